// Subscription.jobListLiveCounts with 1 000 jobs: the whole list first, then
// one push per change holding only the jobs that changed (however many one
// statement or transaction moved) and the ids of deleted jobs; a subscriber
// joining a group late still gets the whole list first; graphql-ws and SSE,
// on the instance that computes the badges and on a follower.
import { createClient as createSseClient } from 'graphql-sse';
import { afterAll, describe, expect, it } from 'vitest';
import { settle, token, until, useSecondInstance, useTestApp, type TestServer } from './helpers.js';
import { wsClient } from './ws-client.js';

const t = useTestApp({ LIVE_COALESCE_INTERVAL: '20ms' });
const follower = useSecondInstance(t, { LIVE_COALESCE_INTERVAL: '20ms' });
const clients: { dispose(): unknown }[] = [];
afterAll(async () => {
  for (const client of clients) await client.dispose();
});

const JOBS = 1000;
const LIST = 'subscription { jobListLiveCounts { complete changed { id running pending } removed } }';
const name = (i: number) => `job-${String(i).padStart(4, '0')}`;

interface Counts {
  id: string;
  running: number;
  pending: number;
}
interface Push {
  complete: boolean;
  changed: Counts[];
  removed: string[];
}
interface Watched {
  pushes: Push[];
  errors: any[];
}

function collect(w: Watched) {
  return {
    next: (value: any) => (value.errors ? w.errors.push(...value.errors) : w.pushes.push(value.data.jobListLiveCounts)),
    error: (error: unknown) => w.errors.push(...(Array.isArray(error) ? error : [error])),
    complete: () => {},
  };
}

async function overWs(server: TestServer, role: 'VIEWER' | null = 'VIEWER'): Promise<Watched> {
  const client = wsClient(server.wsUrl, role ? await token(role) : null);
  clients.push(client);
  const w: Watched = { pushes: [], errors: [] };
  client.subscribe({ query: LIST }, collect(w));
  return w;
}

async function overSse(server: TestServer, role: 'VIEWER' | null = 'VIEWER'): Promise<Watched> {
  const bearer = role ? await token(role) : null;
  const client = createSseClient({ url: server.url, headers: bearer ? { authorization: `Bearer ${bearer}` } : {}, retryAttempts: 0 });
  clients.push(client);
  const w: Watched = { pushes: [], errors: [] };
  client.subscribe({ query: LIST }, collect(w));
  return w;
}

/** The list a client holds after applying its pushes, as a page would. */
function applied(w: Watched): Counts[] {
  const jobs = new Map<string, Counts>();
  for (const push of w.pushes) {
    if (push.complete) jobs.clear();
    for (const job of push.changed) jobs.set(job.id, job);
    for (const id of push.removed) jobs.delete(id);
  }
  return [...jobs.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function listed(): Promise<Counts[]> {
  const { data } = await t.gql('{ jobs { id live { running pending } } }', {}, 'VIEWER');
  return data!.jobs.map((job: any) => ({ id: job.id, ...job.live }));
}

describe(`Subscription.jobListLiveCounts with ${JOBS} jobs`, () => {
  it('sends the whole list, then exactly one push per change with only what changed, to every subscriber', async () => {
    await t.sql`insert into jobs (id, version) select 'job-' || lpad(i::text, 4, '0'), '1' from generate_series(0, ${JOBS - 1}) as i`;
    const watchers = [await overWs(t), await overWs(t), await overSse(t), await overWs(follower), await overSse(follower)];
    await until(() => watchers.every((w) => w.pushes.length === 1), 15_000);
    for (const w of watchers) {
      expect(w.errors).toEqual([]);
      expect(w.pushes[0]!.complete).toBe(true);
      expect(w.pushes[0]!.changed).toHaveLength(JOBS);
      expect(w.pushes[0]!.changed[0]).toEqual({ id: name(0), running: 0, pending: 0 });
      expect(w.pushes[0]!.removed).toEqual([]);
    }

    // 1. One statement moves 300 jobs.
    await t.sql`
      insert into executions (job_id, version, initiated_by, target_count, status)
      select 'job-' || lpad((i % 300)::text, 4, '0'), '1', 'test', 1, case when i < 300 then 'RUNNING' else 'PENDING' end
      from generate_series(0, 599) as i`;
    await until(() => watchers.every((w) => w.pushes.length === 2), 15_000);
    // 2. One transaction of 50 statements, each moving one job.
    await t.sql.begin(async (tx) => {
      for (let i = 500; i < 550; i++) {
        await tx`insert into executions (job_id, version, initiated_by, target_count, status) values (${name(i)}, '1', 'test', 1, 'PENDING')`;
      }
    });
    await until(() => watchers.every((w) => w.pushes.length === 3), 15_000);
    // 3. Five jobs deleted (with nothing in flight), one added.
    await t.sql`delete from jobs where id in ('job-0995', 'job-0996', 'job-0997', 'job-0998', 'job-0999')`;
    await until(() => watchers.every((w) => w.pushes.length === 4), 15_000);
    await t.sql`insert into jobs (id, version) values ('job-new', '1')`;
    await until(() => watchers.every((w) => w.pushes.length === 5), 15_000);
    await settle(500);

    for (const w of watchers) {
      expect(w.pushes).toHaveLength(5);
      const [, moved, batch, deleted, added] = w.pushes as [Push, Push, Push, Push, Push];
      expect(moved.complete).toBe(false);
      expect(moved.changed).toHaveLength(300);
      expect(moved.changed[0]).toEqual({ id: name(0), running: 1, pending: 1 });
      expect(moved.changed.map((job) => job.id)).toEqual(Array.from({ length: 300 }, (_, i) => name(i)));
      expect(moved.removed).toEqual([]);
      expect(batch.changed).toEqual(Array.from({ length: 50 }, (_, i) => ({ id: name(500 + i), running: 0, pending: 1 })));
      expect(deleted).toEqual({ complete: false, changed: [], removed: ['job-0995', 'job-0996', 'job-0997', 'job-0998', 'job-0999'] });
      expect(added).toEqual({ complete: false, changed: [{ id: 'job-new', running: 0, pending: 0 }], removed: [] });
      expect(applied(w)).toEqual(await listed());
    }
  }, 60_000);

  it('gives a subscriber joining an existing group the whole current list first, and nothing extra to the others', async () => {
    const early = await overWs(t);
    await until(() => early.pushes.length === 1, 15_000);
    // Same document, same role, same instance: it joins early's fan-out group.
    const late = await overWs(t);
    await until(() => late.pushes.length === 1, 15_000);
    expect(late.pushes[0]!.complete).toBe(true);
    expect(applied(late)).toEqual(await listed());
    await t.sql`update executions set status = 'COMPLETED' where job_id = ${name(1)}`;
    await until(() => early.pushes.length === 2 && late.pushes.length === 2, 15_000);
    expect(late.pushes[1]).toEqual({ complete: false, changed: [{ id: name(1), running: 0, pending: 0 }], removed: [] });
    expect(early.pushes[1]).toEqual(late.pushes[1]);
    await settle(300);
    expect(early.pushes).toHaveLength(2);
  });

  it('refuses a subscriber without a token with UNAUTHENTICATED and no data, over both transports', async () => {
    for (const watch of [overWs, overSse]) {
      const w = await watch(t, null);
      await until(() => w.errors.length > 0 || w.pushes.length > 0);
      await settle(200);
      expect(w.pushes).toEqual([]);
      expect(w.errors[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});
