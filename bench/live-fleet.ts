// Live badges on a fleet (issue 28): 1, 2 and 4 instances of opsgraph on one
// PostgreSQL and one machine, 2 000 graphql-ws subscribers in all (spread
// evenly), 50 changes. For each bus (and, as the control, LIVE_LEADER=off,
// where each instance recomputes its own subscribers' badges) it prints:
//
// - the badge's recompute statements per change, cluster-wide, from
//   pg_stat_statements (the count and the window's oldest failure);
// - every statement the database ran per change on the bench database besides
//   the change itself (bus, election, heartbeats and probes included: the
//   constant per-instance polling is in this figure, spread over the changes);
// - p50 / p99 from commit to the last subscriber, and p99 as a ratio to one
//   instance of the same mode in the same run.
//
// It starts its own embedded PostgreSQL with pg_stat_statements preloaded.
//
//   npx tsx bench/live-fleet.ts
//   LIVE_FLEET_INSTANCES=1,2,4 LIVE_FLEET_SUBSCRIBERS=2000 LIVE_FLEET_CHANGES=50 LIVE_FLEET_MODES=postgres,redis,off npx tsx bench/live-fleet.ts
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import WebSocket from 'ws';
import { signToken } from '../src/auth/tokens.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { createLogger } from '../src/logger.js';
import { percentile, SECRET, startServerProcess, type ServerProcess } from './lib.js';

const INSTANCES = (process.env.LIVE_FLEET_INSTANCES ?? '1,2,4').split(',').map(Number);
const SUBSCRIBERS = Number(process.env.LIVE_FLEET_SUBSCRIBERS ?? 2000);
const CHANGES = Number(process.env.LIVE_FLEET_CHANGES ?? 50);
const GAP_MS = Number(process.env.LIVE_FLEET_GAP_MS ?? 300);
const MODES = (process.env.LIVE_FLEET_MODES ?? 'postgres,redis,off').split(',');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SUBSCRIPTION = 'subscription { failureCount(since: "1h") { count } }';
const IDLE_MS = Number(process.env.LIVE_FLEET_IDLE_MS ?? 5000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((n) => n.toFixed(1)).join(' ');

interface Subscriber {
  socket: WebSocket;
  last: number;
  /** When each count arrived. */
  at: Map<number, number>;
}

/** A raw graphql-transport-ws subscriber: cheaper than a full client when there are thousands in one process. */
function subscriber(base: string, bearer: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const sub: Subscriber = { socket, last: -1, at: new Map() };
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${bearer}` } })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
        resolve(sub);
      } else if (message.type === 'next') {
        const count = message.payload.data.failureCount.count as number;
        sub.last = count;
        sub.at.set(count, performance.now());
      } else if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
    });
    socket.on('error', reject);
  });
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

interface Row {
  mode: string;
  instances: number;
  recomputePerChange: number;
  allPerChange: number;
  /** allPerChange less what the cluster runs when idle over the same time. */
  netPerChange: number;
  idlePerSecond: number;
  p50: number;
  p99: number;
  missed: number;
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-live-fleet-'));
  await chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres(dir, createLogger('silent'), undefined, undefined, [
    '-c',
    'shared_preload_libraries=pg_stat_statements',
    '-c',
    'pg_stat_statements.track=top',
  ]);
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  await admin`create extension if not exists pg_stat_statements`;
  const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => signToken(SECRET, `bench-viewer-${i}`, 'VIEWER', 86_400)));
  const rows: Row[] = [];
  console.log(`live fleet: ${SUBSCRIBERS} subscribers in all, ${CHANGES} changes ${GAP_MS} ms apart; load average at start ${load()} (${os.cpus().length} cores)`);

  for (const mode of MODES) {
    for (const n of INSTANCES) {
      const name = `live_fleet_${mode}_${n}`;
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.unsafe(`create database ${name}`);
      const url = new URL(pg.url);
      url.pathname = `/${name}`;
      const env: Record<string, string> = {
        LOG_LEVEL: 'warn',
        NOTIFICATION_WORKER: 'off',
        EXECUTION_REAPER: 'off',
        SHUTDOWN_DRAIN: '0',
        ...(mode === 'off' ? { LIVE_LEADER: 'off' } : {}),
        ...(mode === 'redis' ? { REDIS_URL } : {}),
      };
      const servers: ServerProcess[] = [];
      for (let i = 0; i < n; i++) servers.push(await startServerProcess(url.toString(), env));
      const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
      const subs: Subscriber[] = [];
      for (let i = 0; i < SUBSCRIBERS; i++) subs.push(await subscriber(servers[i % n]!.base, tokens[i % tokens.length]!));
      await until(() => subs.every((s) => s.last === 0), 30_000);
      await sleep(1000);
      const oid = (await admin<{ oid: number }[]>`select oid::int from pg_database where datname = ${name}`)[0]!.oid;
      // The statements an idle cluster runs anyway (election, heartbeats, announcements), per second.
      const tally = async () => {
        const stats = await admin<{ query: string; calls: string }[]>`select query, calls::text from pg_stat_statements where dbid = ${oid}`;
        let recompute = 0;
        let all = 0;
        for (const s of stats) {
          if (s.query.includes('insert into orchestrator_events') || /pg_stat_statements/.test(s.query)) continue;
          all += Number(s.calls);
          if (s.query.includes('orchestrator_failure_count(') || s.query.includes('select min(occurred_at) from orchestrator_events')) recompute += Number(s.calls);
        }
        return { recompute, all };
      };
      await admin`select pg_stat_statements_reset()`;
      const idleStart = performance.now();
      await sleep(IDLE_MS);
      const idleRate = (await tally()).all / ((performance.now() - idleStart) / 1000);
      await admin`select pg_stat_statements_reset()`;
      const changesStart = performance.now();
      const latencies: number[] = [];
      let missed = 0;
      for (let change = 1; change <= CHANGES; change++) {
        await sql`insert into orchestrator_events (kind, success) values ('TRAFFIC', false)`;
        const committedAt = performance.now();
        const all = await until(() => subs.every((s) => s.last >= change), 5_000);
        if (!all) missed++;
        latencies.push(Math.max(...subs.map((s) => s.at.get(change) ?? s.at.get(s.last) ?? Infinity)) - committedAt);
        await sleep(GAP_MS);
      }
      const { recompute, all } = await tally();
      const seconds = (performance.now() - changesStart) / 1000;
      const row: Row = {
        mode,
        instances: n,
        recomputePerChange: recompute / CHANGES,
        allPerChange: all / CHANGES,
        netPerChange: (all - idleRate * seconds) / CHANGES,
        idlePerSecond: idleRate,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        missed,
      };
      rows.push(row);
      console.log(
        `${mode.padEnd(8)} ${n} instance(s): recompute statements per change ${row.recomputePerChange.toFixed(2)}, all statements per change ${row.allPerChange.toFixed(1)} ` +
          `(${row.netPerChange.toFixed(1)} beyond the ${row.idlePerSecond.toFixed(1)}/s an idle cluster runs), ` +
          `commit→last subscriber p50 ${row.p50.toFixed(0)} ms p99 ${row.p99.toFixed(0)} ms${missed ? `, ${missed} changes not everywhere within 5 s` : ''}; load ${load()}`,
      );
      for (const s of subs) s.socket.terminate();
      await sql.end();
      await Promise.all(servers.map((s) => s.stop()));
      await admin.unsafe(`drop database if exists ${name} with (force)`);
    }
  }

  console.log('\n| mode | instances | recompute statements / change | all statements / change | of which for the change | idle statements / s | p50 ms | p99 ms | p99 vs 1 instance |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const one = rows.find((r) => r.mode === row.mode && r.instances === 1);
    console.log(
      `| ${row.mode === 'off' ? 'LIVE_LEADER=off' : `leader, ${row.mode} bus`} | ${row.instances} | ${row.recomputePerChange.toFixed(2)} | ${row.allPerChange.toFixed(1)} | ${row.netPerChange.toFixed(1)} | ${row.idlePerSecond.toFixed(1)} | ${row.p50.toFixed(0)} | ${row.p99.toFixed(0)} | ${one ? (row.p99 / one.p99).toFixed(2) + '×' : '–'} |`,
    );
  }
  console.log(`\nload average at the end ${load()}`);
  await admin.end();
  await pg.remove();
  await rm(dir, { recursive: true, force: true });
}

await main();
