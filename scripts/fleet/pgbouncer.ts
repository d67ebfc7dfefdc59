// Debian's pgbouncer, configured from deploy/pgbouncer.ini, in front of one PostgreSQL:
// for `npm run fleet` and the tests that run opsgraph through a pooler.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/db/embedded.js';
import { findTool } from './tools.js';
import { stopProcess } from './stop-process.js';

export const TEMPLATE = fileURLToPath(new URL('../../deploy/pgbouncer.ini', import.meta.url));

export interface Pgbouncer {
  port: number;
  pid: number;
  process: ChildProcess;
  /** The same URL as `upstreamUrl`, through the pooler. */
  url(upstreamUrl: string): string;
  stop(): Promise<void>;
}

/** deploy/pgbouncer.ini with the site's lines replaced: the upstream server, the port, the pool mode. */
export function pgbouncerConfig(template: string, upstreamUrl: string, port: number, mode: 'transaction' | 'session'): string {
  const upstream = new URL(upstreamUrl);
  const server = [
    `host=${upstream.hostname}`,
    `port=${upstream.port || '5432'}`,
    `user=${decodeURIComponent(upstream.username || 'postgres')}`,
    ...(upstream.password ? [`password=${decodeURIComponent(upstream.password)}`] : []),
  ].join(' ');
  return template
    .replace(/^\* = .*$/m, `* = ${server}`)
    .replace(/^listen_port = .*$/m, `listen_port = ${port}`)
    .replace(/^pool_mode = .*$/m, `pool_mode = ${mode}`);
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts pgbouncer in front of `upstreamUrl`'s server and resolves once it accepts connections.
 * As root it runs as `nobody` (pgbouncer refuses root); its config lives in a directory of its own.
 */
export async function startPgbouncer(upstreamUrl: string, options: { mode?: 'transaction' | 'session'; port?: number; dir?: string } = {}): Promise<Pgbouncer> {
  const binary = await findTool('pgbouncer');
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'opsgraph-pgbouncer-')));
  await chmod(dir, 0o755);
  const file = path.join(dir, 'pgbouncer.ini');
  await writeFile(file, pgbouncerConfig(await readFile(TEMPLATE, 'utf8'), upstreamUrl, port, options.mode ?? 'transaction'), { mode: 0o644 });
  const args = [...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), file];
  // A process group of its own: Ctrl-C at `npm run fleet` reaches the runner, which stops the pooler last.
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  for (const end = Date.now() + 10_000; !(await accepting(port)); ) {
    if (child.exitCode !== null || Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`pgbouncer did not start on port ${port}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    pid: child.pid!,
    process: child,
    url(upstream) {
      const url = new URL(upstream);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    async stop() {
      await stopProcess(child, 'SIGINT', 3000);
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
