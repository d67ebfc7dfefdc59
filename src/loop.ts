import { AsyncResource } from 'node:async_hooks';
import { setLongTimeout, type LongTimer } from './timers.js';

export interface BackgroundTask {
  name: string;
  /** Finishes or releases whatever is in flight, then resolves. */
  stop(): Promise<void>;
}

export interface Loop extends BackgroundTask {
  /** Runs a sweep as soon as the current one (if any) ends, without waiting for the interval. */
  wake(): void;
}

/**
 * Runs `sweep` every `intervalMs`. Sweeps never overlap: a wake or a tick that
 * arrives mid-sweep schedules exactly one more sweep after it. `stop` waits for
 * the sweep in flight; the signal it passes lets a long sweep end early.
 */
export function startLoop(
  name: string,
  intervalMs: number,
  sweep: (signal: AbortSignal) => Promise<void>,
  onError: (error: unknown) => void,
): Loop {
  const abort = new AbortController();
  let running: Promise<void> | null = null;
  let again = false;
  let timer: LongTimer | null = null;

  const schedule = () => {
    if (abort.signal.aborted) return;
    timer?.clear();
    timer = setLongTimeout(run, intervalMs);
  };
  // Bound to the loop's own (start-up) async context: a wake comes from a request (a mutation
  // queueing a notification), and a sweep run in its context would pass it to every later sweep
  // it schedules, so all the polling would join that request's trace.
  const run = AsyncResource.bind(() => {
    if (abort.signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    running = sweep(abort.signal)
      .catch(onError)
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          setImmediate(run);
        } else {
          schedule();
        }
      });
  });
  setImmediate(run);

  return {
    name,
    wake: run,
    async stop() {
      abort.abort();
      timer?.clear();
      await running;
    },
  };
}
