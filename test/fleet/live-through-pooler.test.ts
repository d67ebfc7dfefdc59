// (c) of the fleet issue: live badges through PgBouncer in transaction mode. Two instances whose
// pools go through the pooler and whose LISTEN goes to PostgreSQL itself (DATABASE_DIRECT_URL) push
// every commit to graphql-ws subscribers on both instances within 1 s, 20 commits in a row. And the
// defect this guards: an instance that LISTENs through the transaction pooler (no DATABASE_DIRECT_URL,
// main before the change) never hears a NOTIFY, so its subscribers wait for a heartbeat's reconnect,
// and it says so in its log.
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settle, startTestServer, token, until, type TestServer } from '../helpers.js';
import { spawnServer, type SpawnedServer } from '../spawn-server.js';
import { RECORD } from '../scans-fixtures.js';
import { wsClient } from '../ws-client.js';
import { usePooler } from './pooler.js';

const COMMITS = 20;
const WITHIN_MS = 1000;
const SCANS = 'subscription { scanStats { total } }';
const FAILURES = 'subscription { failureCount(since: "1h") { count } }';
const FAIL = 'mutation { recordOrchestratorEvent(input: { kind: TRAFFIC, success: false }) { id } }';

const p = usePooler('transaction');
const clients: Client[] = [];
afterAll(async () => {
  for (const client of clients.splice(0)) await client.dispose();
});

/** A graphql-ws subscriber on `wsUrl`: every value it receives, with the time it arrived. */
async function subscriber(wsUrl: string, query: string, pick: (data: any) => number) {
  const client = wsClient(wsUrl, await token('VIEWER'));
  clients.push(client);
  const values: { value: number; at: number }[] = [];
  const errors: unknown[] = [];
  client.subscribe(
    { query },
    {
      next: (result) => (result.errors ? errors.push(...result.errors) : values.push({ value: pick(result.data), at: performance.now() })),
      error: (error) => errors.push(error),
      complete: () => {},
    },
  );
  await until(() => values.length > 0 || errors.length > 0);
  expect(errors).toEqual([]);
  return { values, errors, latest: () => values.at(-1)?.value };
}

describe('live badges through PgBouncer in transaction mode, LISTEN on DATABASE_DIRECT_URL', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    [a, b] = await Promise.all([p.start(), p.start()]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it(`pushes each of ${COMMITS} commits to subscribers on both instances within ${WITHIN_MS} ms`, async () => {
    expect(a.app.config.databasePreparedStatements).toBe(false);
    const scans = [await subscriber(a.wsUrl, SCANS, (d) => d.scanStats.total), await subscriber(b.wsUrl, SCANS, (d) => d.scanStats.total)];
    const failures = [
      await subscriber(a.wsUrl, FAILURES, (d) => d.failureCount.count),
      await subscriber(b.wsUrl, FAILURES, (d) => d.failureCount.count),
    ];
    let scanTotal = scans[0]!.latest()!;
    let failureTotal = failures[0]!.latest()!;
    const latencies: number[] = [];
    for (let commit = 1; commit <= COMMITS; commit++) {
      // Odd commits record a scan, even ones a failure: each through instance A.
      const scan = commit % 2 === 1;
      const watchers = scan ? scans : failures;
      const expected = scan ? ++scanTotal : ++failureTotal;
      const sent = performance.now();
      const result = scan ? await a.gql(RECORD, { input: { scanType: 'checkin', subjectId: `live-${commit}` } }, 'OPERATOR') : await a.gql(FAIL, {}, 'OPERATOR');
      expect(result.errors, `commit ${commit}`).toBeUndefined();
      const answered = performance.now();
      await until(() => watchers.every((w) => w.values.some((v) => v.value === expected)), WITHIN_MS * 3).catch(() => {});
      // From the mutation's answer (the commit happened before it) to the value's arrival on each instance.
      const arrivals = watchers.map((w) => (w.values.find((v) => v.value === expected)?.at ?? Infinity) - answered);
      expect(arrivals.every((ms) => ms <= WITHIN_MS), `commit ${commit} (${scan ? 'scan' : 'failure'} → ${expected}): arrived after [A, B] ${arrivals.map((ms) => Math.round(ms))} ms; sent ${Math.round(answered - sent)} ms before its answer`).toBe(true);
      latencies.push(...arrivals);
    }
    for (const w of [...scans, ...failures]) expect(w.errors).toEqual([]);
    expect(scans.map((w) => w.latest())).toEqual([scanTotal, scanTotal]);
    expect(failures.map((w) => w.latest())).toEqual([failureTotal, failureTotal]);
    const sorted = [...latencies].sort((x, y) => x - y);
    console.log(
      `live through PgBouncer (transaction mode): ${COMMITS} commits, ${latencies.length} pushes; ` +
        `commit→push median ${Math.round(sorted[Math.floor(sorted.length / 2)]!)} ms, max ${Math.round(sorted.at(-1)!)} ms`,
    );
  });
});

describe('LISTEN through the transaction pooler (no DATABASE_DIRECT_URL): the defect', () => {
  let a: TestServer;
  let through: TestServer;
  beforeAll(async () => {
    // Each instance LISTENs for itself (LIVE_LEADER=off), as before issue 28: the defect is that one
    // instance's LISTEN. With a leader, the deaf instance's election and bus statements would also go
    // through the pooler, and a NOTIFY sometimes reaches it by accident, on the server connection that
    // happens to hold its LISTEN (the "arrive only by accident" of issue 25).
    a = await p.start({ LIVE_LEADER: 'off' });
    // What main did: LISTEN on DATABASE_URL, the pooler. Prepared statements must be off by hand here
    // (auto keeps them on without a DATABASE_DIRECT_URL). The heartbeat, which would replace the
    // "dead" LISTEN connection and re-read every badge, is kept out of the way: only NOTIFY could push.
    through = await startTestServer(p.pooledUrl, { DATABASE_PREPARED_STATEMENTS: 'off', LISTEN_HEARTBEAT_INTERVAL: '1h', LIVE_LEADER: 'off' });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), through?.stop()]);
  });

  it('its subscribers get no push within 1 s of a commit, while those of an instance on the direct URL do', async () => {
    // failureCount: woken by NOTIFY (scanStats polls a digest instead, which needs no LISTEN).
    const lost = await subscriber(through.wsUrl, FAILURES, (d) => d.failureCount.count);
    const heard = await subscriber(a.wsUrl, FAILURES, (d) => d.failureCount.count);
    const first = lost.values[0]!.value;
    // Give the LISTEN time to be in place (it goes through the pooler, and "succeeds").
    await settle(500);
    for (let commit = 1; commit <= 3; commit++) {
      const result = await a.gql(FAIL, {}, 'OPERATOR');
      expect(result.errors).toBeUndefined();
      await until(() => heard.latest() === first + commit, WITHIN_MS);
      await settle(WITHIN_MS);
      expect(lost.values.map((v) => v.value), `commit ${commit}`).toEqual([first]);
    }
    // The instance itself answers queries through the pooler: only its LISTEN is deaf.
    const count = await through.gql('{ failureCount(since: "1h") { count } }', {}, 'VIEWER');
    expect(count.data?.failureCount.count).toBe(first + 3);
  });
});

describe('the LISTEN heartbeat names the cause', () => {
  const NEVER = 'NOTIFYs never reach the LISTEN connection';
  const heartbeat = { LISTEN_HEARTBEAT_INTERVAL: '500ms', LISTEN_HEARTBEAT_TIMEOUT: '300ms' };
  let deaf: SpawnedServer;
  let direct: SpawnedServer;
  beforeAll(async () => {
    [deaf, direct] = await Promise.all([
      spawnServer({ DATABASE_URL: p.pooledUrl, DATABASE_PREPARED_STATEMENTS: 'off', ...heartbeat }),
      spawnServer({ DATABASE_URL: p.pooledUrl, DATABASE_DIRECT_URL: p.directUrl, ...heartbeat }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([deaf?.stop(), direct?.stop()]);
  });

  it('logs an error when LISTEN goes through the transaction pooler, and none when it goes to DATABASE_DIRECT_URL', async () => {
    // A subscription, so LISTEN is in use (the heartbeat runs either way).
    await subscriber(deaf.wsUrl, FAILURES, (d) => d.failureCount.count);
    await subscriber(direct.wsUrl, FAILURES, (d) => d.failureCount.count);
    await until(() => deaf.output().includes(NEVER), 15_000).catch(() => {});
    const errors = deaf
      .output()
      .split('\n')
      .filter((line) => line.includes(NEVER));
    expect(errors, deaf.output()).toHaveLength(1);
    expect(JSON.parse(errors[0]!)).toMatchObject({ level: 50, msg: expect.stringContaining('DATABASE_DIRECT_URL') });
    // As long again on the direct URL: every heartbeat heard, nothing replaced, nothing said.
    await settle(3000);
    expect(direct.output(), 'the instance with DATABASE_DIRECT_URL').not.toContain('missed its heartbeat');
    expect(direct.output()).not.toContain(NEVER);
  });
});
