// Debian's haproxy, configured from deploy/haproxy.cfg, in front of opsgraph instances:
// for `npm run fleet` and the tests that roll a fleet.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTool } from './tools.js';
import { stopProcess } from './stop-process.js';

export const TEMPLATE = fileURLToPath(new URL('../../deploy/haproxy.cfg', import.meta.url));

export interface Backend {
  name: string;
  port: number;
}

export interface Haproxy {
  port: number;
  pid: number;
  process: ChildProcess;
  /** The stats socket: `serverStates(statsSocket)` says which instances are UP. */
  statsSocket: string;
  stop(): Promise<void>;
}

/** deploy/haproxy.cfg with the site's lines replaced: the bind port, the server lines, the stats socket; `user`/`group` only if it can drop privileges. */
export function haproxyConfig(template: string, options: { port: number; servers: Backend[]; statsSocket: string; dropPrivileges: boolean }): string {
  const servers = options.servers.map((s) => `    server ${s.name} 127.0.0.1:${s.port}`).join('\n');
  let text = template
    .replace(/^(\s*)bind \S+$/m, `$1bind :${options.port}`)
    .replace(/^\s*stats socket \S+/m, (line) => line.replace(/stats socket \S+/, `stats socket ${options.statsSocket}`))
    // Every server line goes; the instances' take the place of the first.
    .replace(/(^\s*server .*\n)+/m, servers + '\n');
  // Dropping privileges needs them: as a normal user haproxy would refuse to start.
  if (!options.dropPrivileges) text = text.replace(/^\s*(user|group) \S+\n/gm, '');
  return text;
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts haproxy in the foreground (-db) in a process group of its own (Ctrl-C reaches the runner,
 * which stops the fleet in order) and resolves once it accepts connections.
 */
export async function startHaproxy(options: { port: number; servers: Backend[]; dir?: string }): Promise<Haproxy> {
  const binary = await findTool('haproxy');
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'opsgraph-haproxy-')));
  await chmod(dir, 0o755);
  const statsSocket = path.join(dir, 'haproxy.sock');
  const file = path.join(dir, 'haproxy.cfg');
  // As root, to the `haproxy` user that Debian's package creates (a build from elsewhere may have none).
  const haproxyUser = /^haproxy:/m.test(await readFile('/etc/passwd', 'utf8').catch(() => ''));
  const config = haproxyConfig(await readFile(TEMPLATE, 'utf8'), { ...options, statsSocket, dropPrivileges: process.getuid?.() === 0 && haproxyUser });
  await writeFile(file, config, { mode: 0o644 });
  const child = spawn(binary, ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  for (const end = Date.now() + 10_000; !(await accepting(options.port)); ) {
    if (child.exitCode !== null || Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error(`haproxy did not start on port ${options.port}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port: options.port,
    pid: child.pid!,
    process: child,
    statsSocket,
    async stop() {
      // SIGTERM is haproxy's hard stop: WebSockets would hold a soft stop (SIGUSR1) open for hours.
      await stopProcess(child, 'SIGTERM', 3000);
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What haproxy thinks of each server of the `opsgraph` backend: UP, DOWN, MAINT, and 'UP 1/2' style transitions. */
export async function serverStates(statsSocket: string): Promise<Record<string, string>> {
  const csv = await new Promise<string>((resolve, reject) => {
    let text = '';
    const socket = net.connect(statsSocket);
    socket.on('connect', () => socket.write('show stat\n'));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header!.replace(/^# /, '').split(',');
  const [proxy, server, status] = ['pxname', 'svname', 'status'].map((name) => columns.indexOf(name));
  const states: Record<string, string> = {};
  for (const row of rows) {
    const fields = row.split(',');
    if (fields[proxy!] === 'opsgraph' && fields[server!] !== 'BACKEND' && fields[server!] !== 'FRONTEND') states[fields[server!]!] = fields[status!]!;
  }
  return states;
}
