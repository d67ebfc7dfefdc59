import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { createLogger } from '../src/logger.js';
import { startTestServer, token, until, type TestServer } from './helpers.js';
import { wsClient } from './ws-client.js';

// Issue 30's live badges take the once-per-cluster path of issue 28
// (test/live-leader.test.ts): with three instances and subscribers on each, a
// change runs failureSeries' statement, and the job list's, once for the whole
// cluster, counted by pg_stat_statements on a PostgreSQL of this file's own
// (the run's shared server has no preload). The series is 7d by 1d: it slides
// only at midnight UTC, so no step begins during the test.

const INSTANCES = 3;
const PER_INSTANCE = 20;
const CHANGES = 4;
const SERIES = 'subscription { failureSeries(since: "7d", step: "1d") { total } }';
const JOB_LIST = 'subscription { jobListLiveCounts { complete changed { id running pending } removed } }';

let pg: EmbeddedDatabase;
let dir: string;
let admin: postgres.Sql;
let db: postgres.Sql;
const servers: TestServer[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-live-leader-dashboard-'));
  pg = await startEmbeddedPostgres(dir, createLogger('silent'), undefined, undefined, [
    '-c',
    'shared_preload_libraries=pg_stat_statements',
    '-c',
    'pg_stat_statements.track=all',
  ]);
  admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  await admin`create extension if not exists pg_stat_statements`;
  await admin.unsafe('create database live_dashboard');
  const url = new URL(pg.url);
  url.pathname = '/live_dashboard';
  db = postgres(url.toString(), { max: 1, onnotice: () => {} });
  for (let i = 0; i < INSTANCES; i++) {
    servers.push(await startTestServer(url.toString(), { LIVE_COALESCE_INTERVAL: '20ms' }));
    if (i === 0) await until(async () => (await db`select 1 from live_leader`).length === 1, 10_000);
  }
}, 120_000);

afterAll(async () => {
  for (const client of clients) await client.dispose();
  for (const server of servers.reverse()) await server.stop();
  await db?.end();
  await admin?.end();
  await pg?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Calls, cluster-wide, of the series' statement and of the job list's (ids and counts only, which nothing else runs here). */
async function calls(): Promise<{ series: number; jobList: number }> {
  const rows = await admin<{ query: string; calls: string }[]>`
    select query, calls::text from pg_stat_statements
    where query like '%orchestrator_failure_series(%' or (query like '%from jobs j%' and query not like '%j.version%')`;
  let series = 0;
  let jobList = 0;
  for (const row of rows) {
    if (row.query.includes('orchestrator_failure_series(')) series += Number(row.calls);
    else if (!/pg_stat_statements/.test(row.query)) jobList += Number(row.calls);
  }
  return { series, jobList };
}

describe(`failureSeries and jobListLiveCounts with ${INSTANCES} instances`, () => {
  it(`run their statements once per change for the whole cluster, with ${PER_INSTANCE} subscribers of each on every instance`, async () => {
    await db`insert into jobs (id, version) select 'job-' || i, '1' from generate_series(1, 50) as i`;
    const bearer = await token('VIEWER');
    const totals: number[][] = [];
    const pending: number[][] = [];
    for (const server of servers) {
      for (let i = 0; i < PER_INSTANCE; i++) {
        const client = wsClient(server.wsUrl, bearer);
        clients.push(client);
        const seen: number[] = [];
        totals.push(seen);
        client.subscribe({ query: SERIES }, { next: (v: any) => seen.push(v.data.failureSeries.total), error: () => {}, complete: () => {} });
        const list: number[] = [];
        pending.push(list);
        // The pending executions of job-1 as this subscriber's pushes add up.
        let jobOne = 0;
        client.subscribe(
          { query: JOB_LIST },
          {
            next: (v: any) => {
              const job = v.data.jobListLiveCounts.changed.find((j: any) => j.id === 'job-1');
              if (job) jobOne = job.pending;
              list.push(jobOne);
            },
            error: () => {},
            complete: () => {},
          },
        );
      }
    }
    await until(() => totals.every((t) => t.at(-1) === 0) && pending.every((p) => p.at(-1) === 0), 20_000);
    // The followers' first reads and any recompute still under way are done: count from here.
    await new Promise((r) => setTimeout(r, 500));
    await admin`select pg_stat_statements_reset()`;
    for (let i = 1; i <= CHANGES; i++) {
      await db`insert into orchestrator_events (kind, success) values ('FILE', false)`;
      await until(() => totals.every((t) => t.at(-1) === i), 10_000);
      await db`insert into executions (job_id, version, initiated_by, target_count) values ('job-1', '1', 'test', 1)`;
      await until(() => pending.every((p) => p.at(-1) === i), 10_000);
      await new Promise((r) => setTimeout(r, 150));
    }
    await new Promise((r) => setTimeout(r, 300));
    const counted = await calls();
    console.log(`${INSTANCES} instances, ${totals.length} + ${pending.length} subscribers: ${counted.series} series and ${counted.jobList} job-list statements for ${CHANGES} changes of each`);
    expect(counted).toEqual({ series: CHANGES, jobList: CHANGES });
    expect(await db`select instance from live_leader`).toHaveLength(1);
  }, 120_000);
});
