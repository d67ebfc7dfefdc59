// Kill-signal replay across two server instances on one database: an agent
// that reconnects with after gets every signal it missed, then the live ones,
// in id order, each once; without after it gets nothing recorded before it
// subscribed, but does get a kill whose transaction began before and committed
// after it subscribed.
import type { Client } from 'graphql-ws';
import { afterAll, describe, expect, it } from 'vitest';
import { settle, token, until, useSecondInstance, useTestApp } from './helpers.js';
import { wsClient } from './ws-client.js';

const t = useTestApp(); // instance A: the operator's kills go through it
const other = useSecondInstance(t); // instance B: the agents connect to it
const clients: Client[] = [];
afterAll(async () => {
  for (const client of clients) await client.dispose();
});

const SUBSCRIBE = 'subscription($ids: [ID!], $after: ID) { killSignals(execIds: $ids, after: $after) { id: rowId execId jobId } }';

async function agent(ids: string[] | null, after: string | null = null) {
  const client = wsClient(other.wsUrl, await token('OPERATOR', 'agent'));
  clients.push(client);
  const values: { id: string; execId: string; jobId: string }[] = [];
  const errors: any[] = [];
  const stop = client.subscribe(
    { query: SUBSCRIBE, variables: { ids, after } },
    {
      next: (value) => (value.errors ? errors.push(...value.errors) : values.push((value.data as any).killSignals)),
      error: (error) => errors.push(...(Array.isArray(error) ? error : [error])),
      complete: () => {},
    },
  );
  return { values, errors, stop: () => { stop(); return client.dispose(); } };
}

async function job(id: string) {
  await t.gql('mutation($id: ID!) { upsertJob(input: { id: $id, version: "1" }) { id: rowId } }', { id }, 'ADMIN');
}
async function start(jobId: string): Promise<string> {
  const result = await t.gql('mutation($j: ID!) { startExecution(input: { jobId: $j, targetCount: 1 }) { id: rowId } }', { j: jobId }, 'OPERATOR');
  return result.data!.startExecution.id;
}
async function kill(jobId: string): Promise<string[]> {
  const result = await t.gql('mutation($j: ID!) { killJob(id: $j) { execIds } }', { j: jobId }, 'OPERATOR');
  expect(result.errors).toBeUndefined();
  return result.data!.killJob.execIds;
}
const signalIds = async (execId: string) =>
  (await t.sql<{ id: string }[]>`select id::text from kill_signals where exec_id = ${execId} order by id`).map((r) => r.id);

/** Lets a fresh subscription join the feed: it joins at its instance's next read, right after subscribing. */
const joined = () => settle(400);

describe('killSignals(after:) across instances', () => {
  it('replays what an agent missed while reconnecting, in id order, each once, then the live ones', async () => {
    await job('replay');
    await job('elsewhere');
    const exec = await start('replay');
    const foreign = await start('elsewhere');

    const first = await agent([exec]);
    await joined();
    await kill('replay');
    await until(() => first.values.length === 1);
    const seen = first.values[0]!;
    expect(seen).toMatchObject({ execId: exec, jobId: 'replay' });
    expect(seen.id).toBe((await signalIds(exec))[0]);
    await first.stop(); // a deploy: the agent is gone for a while

    await kill('replay'); // missed
    await kill('elsewhere'); // not this agent's execution
    await kill('replay'); // missed
    const missed = (await signalIds(exec)).slice(1);
    expect(missed).toHaveLength(2);

    const again = await agent([exec], seen.id);
    await until(() => again.values.length === 2);
    expect(again.values.map((v) => v.id)).toEqual(missed);
    await kill('replay'); // live, after the replay
    await until(() => again.values.length === 3);
    await settle(300);
    const all = await signalIds(exec);
    expect(again.values.map((v) => v.id)).toEqual(all.slice(1));
    expect(again.values.every((v) => v.execId === exec)).toBe(true);
    // Ids only grow.
    expect(all.map(BigInt)).toEqual([...all.map(BigInt)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(again.errors).toEqual([]);

    // Every execution, after 0: the whole history in id order (this agent's and the other job's).
    const everything = await agent(null, '0');
    const history = (await t.sql<{ id: string }[]>`select id::text from kill_signals order by id`).map((r) => r.id);
    await until(() => everything.values.length === history.length);
    expect(everything.values.map((v) => v.id)).toEqual(history);
    expect(history).toContain((await signalIds(foreign))[0]);
    await everything.stop();
    await again.stop();
  });

  it('without after, emits nothing recorded before the subscription, even a moment before', async () => {
    await job('fresh');
    const exec = await start('fresh');
    await kill('fresh');
    const listener = await agent([exec]); // a moment after the kill committed
    await settle(800);
    expect(listener.values).toEqual([]);
    await kill('fresh');
    await until(() => listener.values.length === 1);
    expect(listener.values[0]!.id).toBe((await signalIds(exec))[1]);
    await listener.stop();
  });

  it('delivers a kill whose transaction began before the subscription and committed after it', async () => {
    await job('slow-kill');
    const exec = await start('slow-kill');
    const warm = await agent(null); // the instance's feed is running already
    await joined();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // A kill transaction that began a while ago (requested_at is its start) and is still open.
    const slow = t.sql.begin(async (tx) => {
      await tx`insert into kill_signals (exec_id, job_id, requested_by, requested_at)
               values (${exec}, 'slow-kill', 'olivia', now() - interval '5 seconds')`;
      await held;
    });
    await settle(200);
    const listener = await agent([exec]);
    await joined();
    // A later kill commits first, with a higher id.
    await t.sql`insert into kill_signals (exec_id, job_id, requested_by) values (${exec}, 'slow-kill', 'quick')`;
    await settle(300);
    release();
    await slow;
    await until(() => listener.values.length === 2);
    await settle(300);
    // Both, once each, in id order: the slow one (lower id) first, though it committed last.
    expect(listener.values.map((v) => v.id)).toEqual(await signalIds(exec));
    await listener.stop();
    await warm.stop();
  });

  it('answers NOT_FOUND for an after or an execId the server never issued', async () => {
    await job('nf');
    const exec = await start('nf');
    for (const [ids, after] of [
      [[exec], 'abc'],
      [[exec], '00000000-0000-0000-0000-000000000000'],
      [[exec], '-1'],
      [['99999999'], null],
      [['not-an-id'], null],
      [[exec, '0'], null],
    ] as [string[], string | null][]) {
      const sub = await agent(ids, after);
      await until(() => sub.errors.length === 1);
      expect(sub.errors[0].extensions?.code).toBe('NOT_FOUND');
      expect(sub.values).toEqual([]);
      await sub.stop();
    }
  });
});
