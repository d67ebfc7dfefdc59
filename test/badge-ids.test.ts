import type { Client } from 'graphql-ws';
import { afterAll, describe, expect, it } from 'vitest';
import { globalId } from '../src/global-ids.js';
import { token, until, useTestApp } from './helpers.js';
import { wsClient } from './ws-client.js';

// The badge types carry an id so that normalised client caches (Apollo, urql
// Graphcache) put a pushed value on the object a query cached: the same badge
// must have the same id on every path that produces it.
const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms' });
const clients: Client[] = [];
afterAll(async () => {
  for (const client of clients) await client.dispose();
});

async function query(text: string, variables?: Record<string, unknown>) {
  const result = await t.gql(text, variables, 'VIEWER');
  expect(result.errors).toBeUndefined();
  return result.data!;
}

/** The first two values of a graphql-ws subscription (live fan-out path); `change` makes the second. */
async function firstTwo(text: string, change: () => Promise<unknown>): Promise<any[]> {
  const client = wsClient(t.wsUrl, await token('VIEWER'));
  clients.push(client);
  const values: any[] = [];
  const errors: unknown[] = [];
  const stop = client.subscribe({ query: text }, { next: (v) => (v.errors ? errors.push(v.errors) : values.push(v.data)), error: (e) => errors.push(e), complete: () => {} });
  await until(() => values.length === 1 || errors.length > 0);
  await change();
  await until(() => values.length === 2 || errors.length > 0);
  stop();
  expect(errors).toEqual([]);
  return values;
}

/** The first value of a subscription over SSE (yoga's own execution path, not the fan-out). */
async function overSse(text: string): Promise<any> {
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${await token('VIEWER')}` },
    body: JSON.stringify({ query: text }),
  });
  const reader = res.body!.getReader();
  let text_ = '';
  while (!/event: next\ndata: .*\n\n/.test(text_)) {
    const { value, done } = await reader.read();
    if (done) break;
    text_ += new TextDecoder().decode(value);
  }
  await reader.cancel();
  return JSON.parse(/event: next\ndata: (.*)\n\n/.exec(text_)![1]!).data;
}

// The badges' ids are global (src/global-ids.ts): the type's name and the rowId this file used to compare.
const fc = (rowId: string) => globalId('FailureCount', rowId);
const SCANS = globalId('ScanStats', 'scanStats');
const DASHBOARD = globalId('Dashboard', 'dashboard');
const liveId = (job: string) => globalId('JobLiveCounts', job);

const FAILURE = 'mutation { recordOrchestratorEvent(input: { kind: FILE, success: false }) { id } }';
const operator = (text: string) => t.gql(text, {}, 'OPERATOR');

describe('badge ids', () => {
  it('FailureCount: one id per window and kind, whatever the spelling of the window', async () => {
    const data = await query(`{
      a: failureCount(since: "1h") { id since }
      b: failureCount(since: "60m") { id since }
      c: failureCount(since: "3600s") { id }
      d: failureCount(since: "24h", kind: EMAIL) { id }
      e: failureCount(since: "1d", kind: EMAIL) { id }
      f: failureCount(since: "90m") { id }
      g: failureCount(since: "1h", kind: FILE) { id }
      h: failureCount { id }
      dashboard { failureCount { id } other: failureCount(since: "60m", kind: FILE) { id } }
    }`);
    expect(data.a).toEqual({ id: fc('1h'), since: '1h' });
    expect(data.b).toEqual({ id: fc('1h'), since: '60m' }); // the same badge; since still comes back as asked
    expect(data.c.id).toBe(fc('1h'));
    expect([data.d.id, data.e.id]).toEqual([fc('1d:EMAIL'), fc('1d:EMAIL')]);
    expect(data.f.id).toBe(fc('90m'));
    expect(data.g.id).toBe(fc('1h:FILE'));
    expect(data.h.id).toBe(fc('1h'));
    expect(data.dashboard.failureCount.id).toBe(fc('1h'));
    expect(data.dashboard.other.id).toBe(fc('1h:FILE'));
  });

  it('ScanStats and Dashboard: one id each, from the query, the dashboard and the rebalance mutation', async () => {
    const data = await query('{ scanStats { id } dashboard { id scanStats { id } } }');
    expect(data).toEqual({ scanStats: { id: SCANS }, dashboard: { id: DASHBOARD, scanStats: { id: SCANS } } });
    // Mutations run on graphql-js, queries here on graphql-jit: both paths give the id.
    const rebalanced = await t.gql('mutation { rebalanceScanStats { id total } }', {}, 'SUPERADMIN');
    expect(rebalanced.data!.rebalanceScanStats.id).toBe(SCANS);
  });

  it('JobLiveCounts: the job id, from the list, from one job and from an execution', async () => {
    await t.gql('mutation { upsertJob(input: { id: "ids.job", version: "1" }) { id } }', {}, 'ADMIN');
    await operator('mutation { startExecution(input: { jobId: "ids.job", targetCount: 1 }) { id } }');
    const data = await query('{ jobs { id live { id pending } } job(id: "ids.job") { live { id pending } } executions(jobId: "ids.job") { nodes { job { live { id } } } } }');
    expect(data.jobs.find((j: any) => j.id === globalId('Job', 'ids.job'))).toEqual({ id: globalId('Job', 'ids.job'), live: { id: liveId('ids.job'), pending: 1 } });
    expect(data.job.live).toEqual({ id: liveId('ids.job'), pending: 1 });
    expect(data.executions.nodes[0].job.live.id).toBe(liveId('ids.job'));
  });

  it('every badge subscription over graphql-ws carries the id its query gives, before and after a change', async () => {
    const failures = await firstTwo('subscription { failureCount(since: "60m") { id count } }', () => operator(FAILURE));
    expect(failures.map((v) => v.failureCount.id)).toEqual([fc('1h'), fc('1h')]);
    expect(failures[1].failureCount.count).toBe(failures[0].failureCount.count + 1);

    const scans = await firstTwo('subscription { scanStats { id total } }', () =>
      operator('mutation { recordScan(input: { scanType: "ids", subjectId: "s" }) { id } }'),
    );
    expect(scans.map((v) => v.scanStats.id)).toEqual([SCANS, SCANS]);

    const dashboard = await firstTwo('subscription { dashboard { id failureCount { id count } scanStats { id } } }', () => operator(FAILURE));
    expect(dashboard.map((v) => [v.dashboard.id, v.dashboard.failureCount.id, v.dashboard.scanStats.id])).toEqual([
      [DASHBOARD, fc('1h'), SCANS],
      [DASHBOARD, fc('1h'), SCANS],
    ]);

    await t.gql('mutation { upsertJob(input: { id: "ids.live", version: "1" }) { id } }', {}, 'ADMIN');
    const live = await firstTwo('subscription { jobLiveCounts(jobId: "ids.live") { id pending } }', () =>
      operator('mutation { startExecution(input: { jobId: "ids.live", targetCount: 1 }) { id } }'),
    );
    expect(live.map((v) => v.jobLiveCounts)).toEqual([{ id: liveId('ids.live'), pending: 0 }, { id: liveId('ids.live'), pending: 1 }]);
  });

  it('a subscription over SSE carries the same ids', async () => {
    expect(await overSse('subscription { failureCount(since: "3600s", kind: FILE) { id } }')).toEqual({ failureCount: { id: fc('1h:FILE') } });
    expect(await overSse('subscription { dashboard { id scanStats { id } } }')).toEqual({ dashboard: { id: DASHBOARD, scanStats: { id: SCANS } } });
    expect(await overSse('subscription { jobLiveCounts(jobId: "nope") { id running } }')).toEqual({ jobLiveCounts: { id: liveId('nope'), running: 0 } });
  });
});
