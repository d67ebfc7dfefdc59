import type { Logger } from './logger.js';

/**
 * The drain that comes before a shutdown: /readyz answers 503 at once so the
 * balancer stops sending new work, while the instance keeps serving what still
 * arrives (with `Connection: close`, so no keep-alive connection is left for the
 * balancer to reuse once the port closes). `wait` ends after `ms`, or at once
 * when `skip` is called (a second SIGTERM or SIGINT).
 */
export class Drain {
  draining = false;
  private end: (() => void) | null = null;

  async wait(ms: number): Promise<void> {
    this.draining = true;
    if (ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.skip(), ms);
      this.end = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Ends a drain under way; returns whether there was one. */
  skip(): boolean {
    const end = this.end;
    this.end = null;
    end?.();
    return end !== null;
  }
}

export type Step = readonly [name: string, run: () => Promise<unknown> | unknown];

/**
 * Runs `steps` in order and resolves when they are done, or after `ms` with the
 * names of the step that was still running and of those never started: a hung
 * database, pooler or socket must not keep a stopping process alive. A step
 * that throws is logged and the next one runs.
 */
export async function runSteps(steps: readonly Step[], ms: number, log: Logger): Promise<string[]> {
  let index = 0;
  let timer: NodeJS.Timeout | undefined;
  const all = (async () => {
    for (; index < steps.length; index++) {
      const [name, run] = steps[index]!;
      try {
        await run();
      } catch (error) {
        log.warn({ err: error, step: name }, 'a shutdown step failed');
      }
    }
  })();
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const outcome = await Promise.race([all.then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  return outcome === 'done' ? [] : steps.slice(index).map(([name]) => name);
}
