// `npm run fleet`, put together: one database (the embedded PostgreSQL, or DATABASE_URL), PgBouncer in
// transaction mode in front of it, FLEET_INSTANCES opsgraph instances on the pooler (LISTEN on the direct
// URL), and HAProxy in front of the instances. Everything it starts, it stops, in the reverse order.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { loadOrCreateDevSecret } from '../../src/auth/dev-secret.js';
import { signToken } from '../../src/auth/tokens.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { freePort, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { createLogger } from '../../src/logger.js';
import { serverStates, startHaproxy, type Haproxy } from './haproxy.js';
import { Instance } from './instances.js';
import { startPgbouncer, type Pgbouncer } from './pgbouncer.js';
import { findTool } from './tools.js';

export interface FleetSettings {
  instances: number;
  port: number;
  stateFile: string | null;
}

export function fleetSettings(env: Record<string, string | undefined>): FleetSettings {
  const count = env.FLEET_INSTANCES || '3';
  if (!/^\d+$/.test(count) || Number(count) < 1 || Number(count) > 50) throw new ConfigError(`FLEET_INSTANCES must be a whole number from 1 to 50, got "${count}"`);
  const port = env.FLEET_PORT || '4000';
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new ConfigError(`FLEET_PORT must be a port number, got "${port}"`);
  return { instances: Number(count), port: Number(port), stateFile: env.FLEET_STATE_FILE || null };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

export class Fleet {
  readonly settings: FleetSettings;
  instances: Instance[] = [];
  balancer: Haproxy | null = null;
  pooler: Pgbouncer | null = null;
  databaseUrl = '';
  directUrl = '';
  token: string | null = null;
  /** Where the database came from, for the banner. */
  database = '';
  private stopAll: (() => Promise<void>)[] = [];
  private stopping: Promise<void> | null = null;
  private rolling: Promise<void> | null = null;

  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly say: (line: string) => void,
  ) {
    this.settings = fleetSettings(env);
  }

  get url(): string {
    return `http://localhost:${this.settings.port}/graphql`;
  }

  /** Starts everything; a stop() meanwhile ends the start with whatever had started stopped again. */
  async start(): Promise<void> {
    const config = loadConfig(this.env);
    // Both before anything starts, so a missing one is the only thing said.
    await findTool('haproxy');
    await findTool('pgbouncer');
    if (!(await portFree(this.settings.port))) {
      throw new ConfigError(`port ${this.settings.port} is in use (an \`npm start\`?); set FLEET_PORT to another`);
    }
    let upstream = config.databaseUrl;
    if (upstream === null) {
      const embedded = await startEmbeddedPostgres(config.dataDir, createLogger(this.env.LOG_LEVEL || 'warn'), undefined, config.embeddedRootDir);
      this.stopAll.push(() => embedded.stop());
      upstream = embedded.url;
      this.database = `the embedded PostgreSQL in ${embedded.dataDirectory}`;
    } else this.database = 'DATABASE_URL';
    this.aborted();
    this.pooler = await startPgbouncer(upstream, { mode: 'transaction' });
    this.stopAll.push(() => this.pooler!.stop());
    this.aborted();
    this.directUrl = upstream;
    this.databaseUrl = this.pooler.url(upstream);

    // One secret for all: a token any instance signed or verified is good on every other.
    const secret = config.jwt.secret ?? (config.jwt.jwksUrl === null ? await loadOrCreateDevSecret(config.dataDir) : null);
    if (secret !== null) {
      const ttlSeconds = Math.floor(Math.min(30 * 86_400_000, config.jwt.maxLifetimeMs) / 1000);
      this.token = await signToken(secret, 'dev-superadmin', 'SUPERADMIN', ttlSeconds);
    }
    const instanceEnv: Record<string, string> = {
      ...(Object.fromEntries(Object.entries(this.env).filter(([, v]) => v !== undefined)) as Record<string, string>),
      HOST: '127.0.0.1',
      DATABASE_URL: this.databaseUrl,
      DATABASE_DIRECT_URL: this.directUrl,
      // Three instances logging a line per operation drown the terminal; LOG_LEVEL=info brings them back.
      LOG_LEVEL: this.env.LOG_LEVEL || 'warn',
      ...(secret !== null ? { JWT_SECRET: secret } : {}),
    };
    for (let i = 1; i <= this.settings.instances; i++) {
      const preferred = this.settings.port + i;
      const port = preferred <= 65535 && (await portFree(preferred)) ? preferred : await freePort();
      this.instances.push(new Instance(`i${i}`, port, instanceEnv, () => this.writeState(), this.say));
    }
    this.stopAll.push(() => Promise.all(this.instances.map((instance) => instance.shutdown())).then(() => {}));
    await Promise.all(this.instances.map((instance) => instance.start()));
    this.aborted();
    this.balancer = await startHaproxy({ port: this.settings.port, servers: this.instances.map(({ name, port }) => ({ name, port })) });
    // Before the instances in stopAll's reverse order: nothing is sent to an instance that is stopping.
    this.stopAll.push(() => this.balancer!.stop());
    for (const instance of this.instances) await this.balancerSees(instance.name);
    this.writeState();
  }

  private aborted(): void {
    if (this.stopping) throw new Error('stopped while starting');
  }

  /** Resolves once HAProxy's checks have marked `name` UP. */
  async balancerSees(name: string, timeoutMs = 60_000): Promise<void> {
    for (const end = Date.now() + timeoutMs; ; ) {
      if ((await serverStates(this.balancer!.statsSocket).catch(() => ({}) as Record<string, string>))[name] === 'UP') return;
      if (Date.now() > end) throw new Error(`HAProxy did not mark ${name} UP within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** One instance at a time: SIGTERM (it drains), wait for its exit, start it again, wait until HAProxy has it UP. */
  rollingRestart(): Promise<void> {
    this.rolling ??= (async () => {
      try {
        for (const instance of this.instances) {
          if (this.stopping) return;
          const started = Date.now();
          this.say(`fleet: restarting ${instance.name} (pid ${instance.pid})`);
          await instance.restart();
          await this.balancerSees(instance.name);
          this.say(`fleet: ${instance.name} is back (pid ${instance.pid}) after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        }
        this.say('fleet: rolling restart done');
      } finally {
        this.rolling = null;
      }
    })();
    return this.rolling;
  }

  get rollingRestartRunning(): boolean {
    return this.rolling !== null;
  }

  /** Stops what has started: the balancer, the instances (no drain: nothing is left to send them work), the pooler, the database. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const stop of this.stopAll.reverse()) await stop().catch((error) => this.say(`fleet: ${(error as Error).message}`));
      if (this.settings.stateFile) rmSync(this.settings.stateFile, { force: true });
    })();
    return this.stopping;
  }

  state() {
    return {
      runner: { pid: process.pid },
      url: this.url,
      instances: this.instances.map((i) => ({ name: i.name, pid: i.pid, nodePid: i.pid, port: i.port, state: i.state, restarts: i.restarts })),
      balancer: this.balancer && { pid: this.balancer.pid, port: this.balancer.port, statsSocket: this.balancer.statsSocket },
      pooler: this.pooler && { pid: this.pooler.pid, port: this.pooler.port },
      databaseUrl: this.databaseUrl,
      directUrl: this.directUrl,
      token: this.token,
    };
  }

  /** FLEET_STATE_FILE, replaced whole (write, then rename) so a reader never sees half of it. */
  private writeState(): void {
    const file = this.settings.stateFile;
    if (!file || this.stopping) return;
    writeFileSync(`${file}.tmp`, JSON.stringify(this.state(), null, 2) + '\n');
    renameSync(`${file}.tmp`, file);
  }
}
