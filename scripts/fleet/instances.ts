// The fleet's opsgraph instances: each `node --import tsx src/main.ts` on a port of its own,
// in a process group of its own (Ctrl-C reaches the runner, which stops them in order), and
// started again on the same port when it exits while the fleet runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));

export type InstanceState = 'starting' | 'ready' | 'stopping' | 'stopped';

/** GET /readyz on 127.0.0.1:port, on a connection of its own; 0 when nothing answers. */
export function readyz(port: number, timeoutMs = 2000, path = '/readyz'): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

export class Instance {
  state: InstanceState = 'stopped';
  process: ChildProcess | null = null;
  /** How often it has been started again. */
  restarts = 0;
  private exited: Promise<void> = Promise.resolve();
  /** Set while the runner itself stops or restarts it; otherwise an exit is a crash or someone's kill. */
  private managed = false;
  private quickExits = 0;
  /** The fleet is stopping: never start again. */
  private closed = false;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly onChange: () => void,
    private readonly say: (line: string) => void,
  ) {}

  get pid(): number | null {
    return this.process?.pid ?? null;
  }

  /** Starts it and resolves once its /readyz answers 200 (it fails after `timeoutMs`). */
  async start(timeoutMs = 120_000): Promise<void> {
    if (this.closed) return;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'src/main.ts')], {
      cwd: repo,
      env: { ...this.env, PORT: String(this.port) },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    this.state = 'starting';
    const startedAt = Date.now();
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop()!;
        for (const line of lines) if (line.trim() !== '') this.say(`[${this.name}] ${line}`);
      });
    }
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (this.process === child) this.state = 'stopped';
        resolve();
        this.onChange();
        if (!this.managed && this.process === child) this.restartAfterExit(code, signal, Date.now() - startedAt);
      }),
    );
    this.onChange();
    for (const end = Date.now() + timeoutMs; ; ) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${this.name} exited while starting (port ${this.port})`);
      if ((await readyz(this.port, 1000)) === 200) break;
      if (Date.now() > end) throw new Error(`${this.name} was not ready on port ${this.port} within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (this.process === child && this.state === 'starting') this.state = 'ready';
    this.onChange();
  }

  /** SIGTERM drains (SHUTDOWN_DRAIN), SIGINT does not. Resolves once it has exited; SIGKILL after `killAfterMs`. */
  async stop(signal: 'SIGTERM' | 'SIGINT', killAfterMs = 60_000): Promise<void> {
    this.managed = true;
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.state = 'stopping';
    this.onChange();
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** A rolling restart's step: stop with a drain, start again on the same port. */
  async restart(): Promise<void> {
    await this.stop('SIGTERM');
    this.managed = false;
    this.restarts++;
    await this.start();
  }

  /** Stops it for good (the fleet is stopping): no restart after this. */
  async shutdown(): Promise<void> {
    this.closed = true;
    await this.stop('SIGINT', 15_000);
  }

  /** Someone else stopped it (a test, `kill <pid>`) or it crashed: start it again, backing off if it keeps dying at once. */
  private restartAfterExit(code: number | null, signal: NodeJS.Signals | null, ranMs: number): void {
    this.quickExits = ranMs < 10_000 ? this.quickExits + 1 : 0;
    const delayMs = this.quickExits === 0 ? 0 : Math.min(500 * 2 ** this.quickExits, 10_000);
    this.say(`fleet: ${this.name} exited (${signal ?? `code ${code}`}); starting it again on port ${this.port}${delayMs ? ` in ${delayMs} ms` : ''}`);
    setTimeout(() => {
      if (this.managed) return;
      this.restarts++;
      this.start().catch((error) => this.say(`fleet: ${this.name}: ${(error as Error).message}`));
    }, delayMs);
  }
}
