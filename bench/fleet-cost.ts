// What every instance of a fleet costs the database per change (issue 25,
// docs/scaling.md): FLEET_COST_INSTANCES (3) opsgraph instances on one
// database, each with graphql-ws subscribers to failureCount(since: "1h") and
// scanStats, then failures recorded one at a time, then scans. It counts the
// statements each instance sends, two ways:
//
// - its pools' statements, through buildApp's onQuery hook (src/app.ts AppHooks), per instance;
// - every statement PostgreSQL ran on this database, from its own log (log_statement = all, set on
//   this bench's database only), attributed to the sending connection's application_name
//   (opsgraph:<instance> for the pools, opsgraph-listener for the LISTEN side) through pg_stat_activity.
//
// Also: the connections each instance holds (pg_stat_activity), and what an idle fleet sends
// with subscribers and no change (the scan probe, the heartbeat).
//
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/fleet-cost.ts
//   FLEET_COST_LOG      the server's log file (default /var/log/postgresql/postgresql-15-main.log;
//                       Debian's PostgreSQL 15 logs there). Unreadable: only the onQuery counts
//   FLEET_COST_INSTANCES=3  FLEET_COST_CHANGES=20  FLEET_COST_SOCKETS=5 (per instance, 2 subscriptions each)
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import postgres from 'postgres';
import WebSocket from 'ws';
import { benchDatabase, SECRET, type BenchServer } from './lib.js';
import { signToken } from '../src/auth/tokens.js';
import { buildApp } from '../src/app.js';

const INSTANCES = Number(process.env.FLEET_COST_INSTANCES ?? 3);
const CHANGES = Number(process.env.FLEET_COST_CHANGES ?? 20);
const SOCKETS = Number(process.env.FLEET_COST_SOCKETS ?? 5);
const LOG = process.env.FLEET_COST_LOG ?? '/var/log/postgresql/postgresql-15-main.log';
const GAP_MS = 500;
const IDLE_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const db = await benchDatabase('fleet_cost');
const database = new URL(db.url).pathname.slice(1);
const admin = postgres(db.url, { max: 1, onnotice: () => {}, connection: { application_name: 'fleet-cost-admin' } });
// Set before any instance connects: a database-level setting applies to sessions opened after it.
await admin.unsafe(`alter database ${database} set log_statement = 'all'`);
const writer = postgres(db.url, { max: 1, onnotice: () => {}, connection: { application_name: 'fleet-cost-writer' } });

let logReadable = true;
try {
  statSync(LOG);
} catch {
  logReadable = false;
  console.log(`${LOG} is not readable: only the pools' statements (onQuery) are counted`);
}
const logOffset = () => (logReadable ? statSync(LOG).size : 0);
/** The log's lines since `from` that record a statement on this database: [pid, text]. */
function statementsSince(from: number): [number, string][] {
  if (!logReadable) return [];
  const size = statSync(LOG).size;
  const buffer = Buffer.alloc(size - from);
  const fd = openSync(LOG, 'r');
  readSync(fd, buffer, 0, buffer.length, from);
  closeSync(fd);
  const out: [number, string][] = [];
  const line = new RegExp(`^\\S+ \\S+ \\S+ \\[(\\d+)\\] \\S+@${database} LOG:  (?:statement|execute [^:]*): (.*)$`);
  const lines = buffer.toString('utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = line.exec(lines[i]!);
    if (!m) continue;
    // A statement that starts with a line break continues on the next lines, each indented with a tab.
    let text = m[2]!.trim();
    for (let j = i + 1; !text && j < lines.length && lines[j]!.startsWith('\t'); j++) text = lines[j]!.trim();
    out.push([Number(m[1]), text]);
  }
  return out;
}

// --- the fleet ---------------------------------------------------------------

interface Instance {
  index: number;
  server: BenchServer;
  appName: string;
  pool: string[]; // the pools' statements since the last reset (onQuery)
}
const instances: Instance[] = [];
const appNames = new Map<number, string>(); // backend pid → application_name
async function learnPids() {
  for (const row of await admin<{ pid: number; application_name: string }[]>`
    select pid, application_name from pg_stat_activity where datname = ${database}`)
    appNames.set(row.pid, row.application_name);
}

for (let i = 0; i < INSTANCES; i++) {
  const pool: string[] = [];
  // startServer with the hook: buildApp is called here directly so that onQuery reaches the pools.
  const server = await startServerWithHook(db.url, (q) => pool.push(q));
  instances.push({ index: i, server, appName: '', pool });
}
await learnPids();

async function startServerWithHook(url: string, onQuery: (q: string) => void): Promise<BenchServer> {
  // bench/lib.ts startServer's settings, with the hook (buildApp is called here so that onQuery reaches the pools).
  const app = await buildApp(
    { DATABASE_URL: url, JWT_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', NOTIFICATION_WORKER: 'off', EXECUTION_REAPER: 'off' },
    { onQuery },
  );
  const { port } = await app.start();
  const token = await signToken(SECRET, 'fleet-cost', 'VIEWER', 86_400);
  return {
    app,
    url: `http://127.0.0.1:${port}/graphql`,
    token: async () => token,
    gql: async () => {
      throw new Error('not used');
    },
  };
}

// Subscribers: SOCKETS graphql-ws connections per instance, each with the failure badge and the scan badge.
const pushes = { failure: 0, scans: 0 };
const sockets: WebSocket[] = [];
async function subscribe(instance: Instance) {
  const token = await instance.server.token('VIEWER');
  const url = instance.server.url.replace('http', 'ws');
  await Promise.all(
    Array.from({ length: SOCKETS }, () => {
      return new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(url, 'graphql-transport-ws');
        sockets.push(ws);
        let firsts = 0;
        ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
        ws.on('message', (data) => {
          const m = JSON.parse(String(data));
          if (m.type === 'connection_ack') {
            ws.send(JSON.stringify({ id: 'f', type: 'subscribe', payload: { query: 'subscription { failureCount(since: "1h") { count asOf } }' } }));
            ws.send(JSON.stringify({ id: 's', type: 'subscribe', payload: { query: 'subscription { scanStats { total } }' } }));
          } else if (m.type === 'next') {
            if (firsts < 2) {
              if (++firsts === 2) resolve();
              return;
            }
            if (m.id === 'f') pushes.failure++;
            else pushes.scans++;
          } else if (m.type === 'error') reject(new Error(String(data)));
        });
        ws.on('error', reject);
      });
    }),
  );
}
for (const instance of instances) await subscribe(instance);
await sleep(2000);
await learnPids();

// --- measuring ---------------------------------------------------------------

interface Phase {
  name: string;
  changes: number;
  ms: number;
  /** Per instance (index), the pools' statements from onQuery. */
  pool: string[][];
  /** From the server log: per application_name, per statement kind, the count. */
  logged: Map<string, Map<string, number>>;
  pushes: { failure: number; scans: number };
}

/** A short name for a statement: the probe, the heartbeat, or its first words. */
function kind(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.includes('md5(coalesce(string_agg(scan_type')) return 'scan probe (md5 of scan_counters)';
  if (t.startsWith('select pg_notify(')) return 'heartbeat pg_notify';
  if (/^(un)?listen /i.test(t)) return t.split(' ').slice(0, 2).join(' ');
  return t.slice(0, 90);
}

async function phase(name: string, changes: number, change: (i: number) => Promise<unknown>): Promise<Phase> {
  await learnPids();
  for (const instance of instances) instance.pool.length = 0;
  const pushed = { ...pushes };
  const from = logOffset();
  const t0 = Date.now();
  if (changes === 0) await sleep(IDLE_MS);
  for (let i = 0; i < changes; i++) {
    await change(i);
    await sleep(GAP_MS);
  }
  await sleep(changes ? 1500 : 0);
  const ms = Date.now() - t0;
  await sleep(300); // let the log catch up
  await learnPids();
  const logged = new Map<string, Map<string, number>>();
  for (const [pid, text] of statementsSince(from)) {
    const app = appNames.get(pid) ?? `pid ${pid}`;
    if (app.startsWith('fleet-cost')) continue;
    const k = kind(text);
    const byKind = logged.get(app) ?? new Map<string, number>();
    byKind.set(k, (byKind.get(k) ?? 0) + 1);
    logged.set(app, byKind);
  }
  return {
    name,
    changes,
    ms,
    pool: instances.map((i) => [...i.pool]),
    logged,
    pushes: { failure: pushes.failure - pushed.failure, scans: pushes.scans - pushed.scans },
  };
}

const idle = await phase('idle, 10 s, no change', 0, async () => {});
const failures = await phase(`${CHANGES} failures recorded, ${GAP_MS} ms apart`, CHANGES, () =>
  writer`insert into orchestrator_events (kind, success, occurred_at) values ('TRAFFIC', false, now())`,
);
const scans = await phase(`${CHANGES} scans recorded, ${GAP_MS} ms apart`, CHANGES, (i) =>
  writer`
    with scan as (insert into scans (scan_type, subject_id, scanned_by) values ('fleet_cost', ${`s${i}`}, 'bench') returning id),
    bump as (insert into scan_counters as c (scan_type, slot, count) values ('fleet_cost', ${i % 64}, 1)
             on conflict (scan_type, slot) do update set count = c.count + 1, updated_at = now())
    select id from scan`,
);

// Connections each instance holds, by application_name.
const connections = await admin<{ application_name: string; n: number }[]>`
  select application_name, count(*)::int as n from pg_stat_activity where datname = ${database} group by 1 order by 1`;

// --- the report ---------------------------------------------------------------

console.log(`\nbench/fleet-cost  ${INSTANCES} instances on one database, ${SOCKETS} sockets × 2 subscriptions per instance`);
console.log(`load average at the end: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
console.log('\nconnections on the database (pg_stat_activity, by application_name):');
for (const row of connections) console.log(`  ${row.application_name.padEnd(24)} ${row.n}`);

for (const p of [idle, failures, scans]) {
  const per = (n: number) => (p.changes ? n / p.changes : (n * 1000) / p.ms);
  const unit = p.changes ? 'per change' : 'per second';
  console.log(`\n${p.name} (${(p.ms / 1000).toFixed(1)} s); pushes received: failure badge ${p.pushes.failure}, scan badge ${p.pushes.scans}`);
  console.log(`  pools (onQuery), ${unit}, per instance: ${p.pool.map((q) => per(q.length).toFixed(2)).join(' / ')}`);
  const kinds = new Map<string, number>();
  for (const q of p.pool.flat()) kinds.set(kind(q), (kinds.get(kind(q)) ?? 0) + 1);
  for (const [k, n] of [...kinds].sort((a, b) => b[1] - a[1])) console.log(`    ${per(n / INSTANCES).toFixed(2).padStart(6)} per instance  ${k}`);
  if (logReadable) {
    let total = 0;
    console.log(`  PostgreSQL's log, ${unit}:`);
    for (const [app, byKind] of [...p.logged].sort()) {
      for (const [k, n] of [...byKind].sort((a, b) => b[1] - a[1])) {
        total += n;
        console.log(`    ${per(n).toFixed(2).padStart(6)}  ${app.padEnd(20)} ${k}`);
      }
    }
    console.log(`    ${per(total).toFixed(2).padStart(6)}  all of the fleet (${(per(total) / INSTANCES).toFixed(2)} per instance)`);
  }
}

for (const ws of sockets) ws.close();
for (const instance of instances) await instance.server.app.stop();
await writer.end();
await admin.unsafe(`alter database ${database} reset log_statement`);
await admin.end();
await db.close();
