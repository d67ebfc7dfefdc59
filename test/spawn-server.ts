// `node src/main.ts` as a process of its own: for what a test server in the test's process cannot
// show, such as its log (pino writes to fd 1), kill -9, SIGSTOP, or a signal's shutdown.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../src/db/embedded.js';
import { TEST_SECRET } from './helpers.js';
import { stopProcess } from '../scripts/fleet/stop-process.js';

export interface SpawnedServer {
  child: ChildProcess;
  port: number;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  wsUrl: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** SIGINT (SIGCONT first, in case it is paused), then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

const ROOT = path.resolve(import.meta.dirname, '..');

/** Starts it with the test defaults (`env` overrides) and resolves once /readyz answers 200. */
export async function spawnServer(env: Record<string, string>): Promise<SpawnedServer> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      JWT_SECRET: TEST_SECRET,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      NOTIFICATION_WORKER: 'off',
      EXECUTION_REAPER: 'off',
      SHUTDOWN_DRAIN: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const base = `http://127.0.0.1:${port}`;
  for (const end = Date.now() + 60_000; !(await fetch(`${base}/readyz`).then((r) => r.ok, () => false)); ) {
    if (Date.now() > end || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`server did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    port,
    url: `${base}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    output: () => output,
    stop: () => stopProcess(child, 'SIGINT', 10_000),
  };
}
