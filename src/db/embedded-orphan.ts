import { execFile } from 'node:child_process';
import { readFile, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../logger.js';
import { EmbeddedPostgresError, OWNER_SETTING } from './embedded-root.js';

/**
 * opsgraph runs the embedded PostgreSQL in a process group of its own and stops it itself
 * (src/db/embedded-root.ts, postgresServer). When node dies without running any code (SIGKILL: the
 * OOM killer, `kill -9`, a runtime that gives up), the postmaster is reparented and keeps running,
 * holding the data directory. It cannot notice: PostgreSQL has no "exit with my parent" setting, and
 * Linux's parent-death signal would need a wrapper (util-linux `setpriv --pdeathsig`, not on macOS
 * or busybox images) and is dropped when the child changes user, as it does under root. So the next
 * start on the same data directory reclaims it instead (reclaimDataDirectory); until then the orphan
 * only holds its port and some memory.
 *
 * Each postmaster is started with `-c opsgraph.owner=<node's pid>` (a placeholder setting PostgreSQL
 * ignores) so that a start can tell an orphan (its parent is no longer its owner) from the database
 * of an opsgraph still running on the same DATA_DIR, which it must not take away.
 */

/** How long a fast shutdown (SIGINT) may take before an immediate one (SIGQUIT; crash recovery on the next start). */
const FAST_SHUTDOWN_MS = 30_000;
const IMMEDIATE_SHUTDOWN_MS = 10_000;

interface Proc {
  argv: string[];
  ppid: number;
  zombie: boolean;
}

const run = promisify(execFile);

/** Process `pid` as the kernel shows it; null when it is gone, undefined when it cannot be read. */
async function inspect(pid: number): Promise<Proc | null | undefined> {
  if (process.platform === 'linux') {
    try {
      const [cmdline, stat] = await Promise.all([readFile(`/proc/${pid}/cmdline`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]);
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { argv: cmdline.split('\0').filter(Boolean), ppid: Number(ppid), zombie: state === 'Z' };
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : undefined;
    }
  }
  // Elsewhere (macOS): ps, whose args are joined by spaces; ours are `postgres -D <dir> -p <port> ...`.
  const { stdout } = await run('ps', ['-o', 'ppid=,stat=,command=', '-p', String(pid)]).catch(() => ({ stdout: '' }));
  const match = /^\s*(\d+)\s+(\S+)\s+(\S+) -D (.+?) -p (.*)$/.exec(stdout.trim());
  if (!match) return stdout.trim() ? { argv: [], ppid: 0, zombie: false } : null;
  return { argv: [match[3]!, '-D', match[4]!, '-p', ...match[5]!.split(' ')], ppid: Number(match[1]), zombie: match[2]!.startsWith('Z') };
}

async function samePath(a: string, b: string): Promise<boolean> {
  const real = (p: string) => realpath(p).catch(() => path.resolve(p));
  return (await real(a)) === (await real(b));
}

/** Whether `proc` is a postmaster on `pgDir`, and the pid of the opsgraph that started it (null: unknown). */
async function postmasterOf(proc: Proc, pgDir: string): Promise<{ owner: number | null } | null> {
  const [program, ...args] = proc.argv;
  if (!program || path.basename(program) !== 'postgres') return null;
  const dir = args[args.indexOf('-D') + 1];
  if (!args.includes('-D') || !dir || !(await samePath(dir, pgDir))) return null;
  const owner = args.map((arg) => new RegExp(`^${OWNER_SETTING.replace('.', '\\.')}=(\\d+)$`).exec(arg)?.[1]).find(Boolean);
  return { owner: owner ? Number(owner) : null };
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

async function exited(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const proc = await inspect(pid);
    if (proc === null || proc?.zombie) return true;
  }
  return false;
}

/**
 * Before PostgreSQL starts on `pgDir`: stops a postmaster that an opsgraph killed without stopping
 * it left running there (fast shutdown, bounded), and removes a postmaster.pid naming a process that
 * is not PostgreSQL on this directory (a pid reused after a crash or reboot, which PostgreSQL would
 * take for a live server). Such a process is never signalled. Fails when the postmaster belongs to
 * an opsgraph still running on the same data directory.
 */
export async function reclaimDataDirectory(pgDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return;
  const proc = await inspect(pid);
  // Gone: PostgreSQL removes the stale file itself. Unreadable: left to PostgreSQL's own check.
  if (!proc) return;
  // A zombie holds nothing, but PostgreSQL would take it for a live server.
  if (proc.zombie) return rm(pidFile, { force: true });
  const postmaster = await postmasterOf(proc, pgDir);
  if (!postmaster) {
    if (proc.argv.length === 0) return; // could not tell (ps without a match): PostgreSQL decides
    log.warn({ pid, pidFile, process: proc.argv[0] }, 'postmaster.pid names a process that is not PostgreSQL on this data directory (stale, the pid reused): removing the file, leaving the process alone');
    await rm(pidFile, { force: true });
    return;
  }
  if (postmaster.owner !== null && postmaster.owner === proc.ppid) {
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL in ${pgDir} (pid ${pid}) belongs to another opsgraph still running on the same DATA_DIR (pid ${proc.ppid}); stop that one, or set another DATA_DIR`,
    );
  }
  const started = Date.now();
  log.warn({ pid, dataDir: pgDir, owner: postmaster.owner }, 'stopping the embedded PostgreSQL that a killed opsgraph left running (fast shutdown), then starting it again');
  signal(pid, 'SIGINT');
  signal(pid, 'SIGCONT'); // a paused one would not act on it
  if (await exited(pid, FAST_SHUTDOWN_MS)) return void log.debug({ pid, ms: Date.now() - started }, 'left-over PostgreSQL stopped');
  log.warn({ pid, ms: FAST_SHUTDOWN_MS }, 'the left-over PostgreSQL did not stop in time: immediate shutdown (crash recovery follows)');
  signal(pid, 'SIGQUIT');
  if (await exited(pid, IMMEDIATE_SHUTDOWN_MS)) return;
  throw new EmbeddedPostgresError(`a PostgreSQL left running on ${pgDir} (pid ${pid}) did not stop; stop it (kill -INT ${pid}) and start again`);
}
