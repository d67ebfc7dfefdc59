import { describe, expect, it } from 'vitest';
import { loadKillSignals } from '../src/db/kill-signals.js';
import { codes, useTestApp } from './helpers.js';

const t = useTestApp();

const EXECUTION = `id: rowId jobId version initiatedBy targetCount resultCount status createdAt finishedAt`;
const START = `mutation ($input: StartExecutionInput!) { startExecution(input: $input) { ${EXECUTION} job { id: rowId } } }`;
const REPORT = `mutation ($input: ExecutionResultInput!) { reportExecutionResult(input: $input) { ${EXECUTION} } }`;
const KILL = `mutation ($id: ID!) { killJob(id: $id) { jobId execIds count } }`;

async function createJob(id: string, version = '1') {
  const result = await t.gql(`mutation ($input: JobInput!) { upsertJob(input: $input) { id: rowId } }`, { input: { id, version } }, 'ADMIN');
  expect(result.errors).toBeUndefined();
}

const start = (jobId: string, targetCount: number) => t.gql(START, { input: { jobId, targetCount } }, 'OPERATOR');

async function startedId(jobId: string, targetCount: number): Promise<string> {
  const result = await start(jobId, targetCount);
  expect(result.errors).toBeUndefined();
  return result.data!.startExecution.id;
}

const report = (execId: string, agentId: string, success = true, output: string | null = null) =>
  t.gql(REPORT, { input: { execId, agentId, success, output } }, 'OPERATOR');

describe('startExecution', () => {
  it('creates a PENDING execution on the job\'s current version, initiated by the caller', async () => {
    await createJob('exec-start', '3.1');
    const result = await start('exec-start', 5);
    expect(result.errors).toBeUndefined();
    expect(result.data!.startExecution).toMatchObject({
      jobId: 'exec-start',
      version: '3.1',
      initiatedBy: 'test-operator',
      targetCount: 5,
      resultCount: 0,
      status: 'PENDING',
      finishedAt: null,
      job: { id: 'exec-start' },
    });
    expect(result.data!.startExecution.id).toMatch(/^\d+$/);
  });

  it('answers NOT_FOUND for an unknown job', async () => {
    expect(codes(await start('exec-nobody', 1))).toEqual(['NOT_FOUND']);
  });

  it.each([0, -1, 100_001])('refuses targetCount %i with BAD_USER_INPUT', async (targetCount) => {
    await createJob('exec-bounds');
    expect(codes(await start('exec-bounds', targetCount))).toEqual(['BAD_USER_INPUT']);
  });

  it('accepts targetCount 1 and 100000', async () => {
    await createJob('exec-edges');
    expect((await start('exec-edges', 1)).errors).toBeUndefined();
    expect((await start('exec-edges', 100_000)).errors).toBeUndefined();
  });

  it('refuses a revoked job with CONFLICT until it is unrevoked', async () => {
    await createJob('exec-revoked');
    await t.gql(`mutation { deleteJob(id: "exec-revoked") }`, {}, 'ADMIN');
    expect(codes(await start('exec-revoked', 1))).toEqual(['NOT_FOUND']);
    await createJob('exec-revoked', '2');
    expect(codes(await start('exec-revoked', 1))).toEqual(['CONFLICT']);
    const { n } = (await t.sql<{ n: number }[]>`select count(*)::int as n from executions where job_id = 'exec-revoked'`)[0]!;
    expect(n).toBe(0);
    await t.gql(`mutation { unrevokeJob(id: "exec-revoked") }`, {}, 'ADMIN');
    const after = await start('exec-revoked', 1);
    expect(after.data!.startExecution).toMatchObject({ status: 'PENDING', version: '2' });
  });
});

describe('reportExecutionResult', () => {
  it('goes PENDING → RUNNING on the first result → COMPLETED when all have reported', async () => {
    await createJob('exec-complete');
    const id = await startedId('exec-complete', 3);
    const first = await report(id, 'agent-1');
    expect(first.data!.reportExecutionResult).toMatchObject({ status: 'RUNNING', resultCount: 1, finishedAt: null });
    expect((await report(id, 'agent-2')).data!.reportExecutionResult).toMatchObject({ status: 'RUNNING', resultCount: 2 });
    const last = (await report(id, 'agent-3', true, 'done')).data!.reportExecutionResult;
    expect(last).toMatchObject({ status: 'COMPLETED', resultCount: 3 });
    expect(Date.parse(last.finishedAt)).toBeGreaterThanOrEqual(Date.parse(last.createdAt));
  });

  it('ends FAILED when any result failed, even an early one', async () => {
    await createJob('exec-fail');
    const id = await startedId('exec-fail', 3);
    await report(id, 'agent-1', false, 'exit 1');
    expect((await report(id, 'agent-2')).data!.reportExecutionResult.status).toBe('RUNNING');
    const last = (await report(id, 'agent-3')).data!.reportExecutionResult;
    expect(last).toMatchObject({ status: 'FAILED', resultCount: 3 });
    expect(last.finishedAt).not.toBeNull();
  });

  it('is idempotent per agent: a repeated report changes nothing and stores nothing', async () => {
    await createJob('exec-idem');
    const id = await startedId('exec-idem', 2);
    const first = (await report(id, 'agent-1', true, 'first')).data!.reportExecutionResult;
    const repeat = await report(id, 'agent-1', false, 'second');
    expect(repeat.errors).toBeUndefined();
    expect(repeat.data!.reportExecutionResult).toEqual(first);
    const rows = await t.sql`select success, output from execution_results where exec_id = ${id}`;
    expect(rows).toEqual([{ success: true, output: 'first' }]);
  });

  it('counts concurrent reports exactly, and a burst from one agent once', async () => {
    await createJob('exec-burst');
    const id = await startedId('exec-burst', 40);
    await Promise.all([
      ...Array.from({ length: 39 }, (_, i) => report(id, `agent-${i}`)),
      ...Array.from({ length: 10 }, () => report(id, 'agent-0')),
    ]);
    const [row] = await t.sql`select status, result_count from executions where id = ${id}`;
    expect(row).toEqual({ status: 'RUNNING', result_count: 39 });
    const last = (await report(id, 'agent-39')).data!.reportExecutionResult;
    expect(last).toMatchObject({ status: 'COMPLETED', resultCount: 40 });
  });

  it('stores a late result for a finished execution without reopening it', async () => {
    await createJob('exec-late');
    const id = await startedId('exec-late', 2);
    await report(id, 'agent-1');
    // As a reaper would: give up on the execution before every agent reported.
    const [reaped] = await t.sql`update executions set status = 'FAILED', finished_at = now() - interval '1 minute' where id = ${id} returning finished_at`;
    const late = (await report(id, 'agent-2')).data!.reportExecutionResult;
    expect(late).toMatchObject({ status: 'FAILED', resultCount: 2, finishedAt: reaped!.finished_at.toISOString() });
    const { n } = (await t.sql<{ n: number }[]>`select count(*)::int as n from execution_results where exec_id = ${id}`)[0]!;
    expect(n).toBe(2);
  });

  it('answers NOT_FOUND for an unknown execution whatever the id looks like, and BAD_USER_INPUT for a bad agent', async () => {
    expect(codes(await report('999999999', 'agent-1'))).toEqual(['NOT_FOUND']);
    for (const execId of ['abc', '0', '-1', '1.5', '99999999999999999999', '00000000-0000-0000-0000-000000000000']) {
      expect(codes(await report(execId, 'agent-1'))).toEqual(['NOT_FOUND']);
    }
    await createJob('exec-agent');
    const id = await startedId('exec-agent', 1);
    expect(codes(await report(id, ''))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await report(id, 'a'.repeat(201)))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('executions', () => {
  it('pages newest first, filtered by job and status, with a total', async () => {
    await createJob('exec-page');
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await startedId('exec-page', 1));
    await report(ids[1]!, 'agent-1');
    await report(ids[3]!, 'agent-1', false);
    const PAGE = `query ($jobId: ID, $status: ExecutionStatus, $first: Int, $after: String) {
      executions(jobId: $jobId, status: $status, first: $first, after: $after) {
        totalCount nodes { id: rowId status } edges { cursor node { id: rowId } } pageInfo { hasNextPage endCursor } } }`;
    const first = (await t.gql(PAGE, { jobId: 'exec-page', first: 2 }, 'VIEWER')).data!.executions;
    expect(first.totalCount).toBe(5);
    expect(first.nodes.map((n: { id: string }) => n.id)).toEqual([ids[4], ids[3]]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.edges[1].cursor).toBe(first.pageInfo.endCursor);
    const second = (await t.gql(PAGE, { jobId: 'exec-page', first: 2, after: first.pageInfo.endCursor }, 'VIEWER')).data!.executions;
    expect(second.nodes.map((n: { id: string }) => n.id)).toEqual([ids[2], ids[1]]);
    const last = (await t.gql(PAGE, { jobId: 'exec-page', first: 2, after: second.pageInfo.endCursor }, 'VIEWER')).data!.executions;
    expect(last.nodes.map((n: { id: string }) => n.id)).toEqual([ids[0]]);
    expect(last.pageInfo).toEqual({ hasNextPage: false, endCursor: last.edges[0].cursor });

    const pending = (await t.gql(PAGE, { jobId: 'exec-page', status: 'PENDING' }, 'VIEWER')).data!.executions;
    expect(pending.totalCount).toBe(3);
    expect(pending.nodes.map((n: { id: string }) => n.id)).toEqual([ids[4], ids[2], ids[0]]);
    const failed = (await t.gql(PAGE, { status: 'FAILED' }, 'VIEWER')).data!.executions;
    expect(failed.nodes.map((n: { id: string }) => n.id)).toContain(ids[3]);
    expect(failed.nodes.every((n: { status: string }) => n.status === 'FAILED')).toBe(true);

    expect(codes(await t.gql(PAGE, { first: 0 }, 'VIEWER'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.gql(PAGE, { first: 501 }, 'VIEWER'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.gql(PAGE, { after: 'not-a-cursor' }, 'VIEWER'))).toEqual(['BAD_USER_INPUT']);
    // Shaped like a cursor but past bigint: PostgreSQL would refuse it, so it is refused first.
    const pastBigint = Buffer.from('id:9999999999999999999').toString('base64url');
    expect(codes(await t.gql(PAGE, { after: pastBigint }, 'VIEWER'))).toEqual(['BAD_USER_INPUT']);
  });

  it('keeps a deleted job\'s history, with job null', async () => {
    await createJob('exec-history');
    const id = await startedId('exec-history', 1);
    await t.gql(`mutation { deleteJob(id: "exec-history") }`, {}, 'ADMIN');
    const { data } = await t.gql(`{ executions(jobId: "exec-history") { nodes { id: rowId job { id: rowId } } } }`, {}, 'VIEWER');
    expect(data!.executions.nodes).toEqual([{ id, job: null }]);
  });
});

describe('killJob', () => {
  it('records exactly one signal per in-flight execution and none for finished ones', async () => {
    await createJob('kill-me');
    const pending = await startedId('kill-me', 2);
    const running = await startedId('kill-me', 2);
    await report(running, 'agent-1');
    const completed = await startedId('kill-me', 1);
    await report(completed, 'agent-1');
    const failed = await startedId('kill-me', 1);
    await report(failed, 'agent-1', false);
    await createJob('kill-other');
    const other = await startedId('kill-other', 1);

    const result = await t.gql(KILL, { id: 'kill-me' }, 'OPERATOR');
    expect(result.data!.killJob).toEqual({ jobId: 'kill-me', execIds: [pending, running], count: 2 });

    const signals = await loadKillSignals(t.sql, { execIds: [pending, running, completed, failed, other] });
    expect(signals.map((s) => [s.execId, s.jobId, s.requestedBy])).toEqual([
      [pending, 'kill-me', 'test-operator'],
      [running, 'kill-me', 'test-operator'],
    ]);
    expect(await loadKillSignals(t.sql, { ids: [signals[1]!.id] })).toEqual([signals[1]]);
    const [entry] = await t.sql`select actor, details from audit_log where action = 'killJob' and target = 'kill-me'`;
    expect(entry).toEqual({ actor: 'test-operator', details: { execIds: [pending, running] } });
  });

  it('answers count 0 without error when nothing is in flight, or the job is unknown', async () => {
    await createJob('kill-idle');
    const done = await startedId('kill-idle', 1);
    await report(done, 'agent-1');
    expect((await t.gql(KILL, { id: 'kill-idle' }, 'OPERATOR')).data).toEqual({ killJob: { jobId: 'kill-idle', execIds: [], count: 0 } });
    expect((await t.gql(KILL, { id: 'kill-unknown' }, 'OPERATOR')).data).toEqual({ killJob: { jobId: 'kill-unknown', execIds: [], count: 0 } });
    const { n } = (await t.sql<{ n: number }[]>`select count(*)::int as n from kill_signals where job_id in ('kill-idle', 'kill-unknown')`)[0]!;
    expect(n).toBe(0);
  });

  it('still reaches the in-flight executions of a deleted job', async () => {
    await createJob('kill-deleted');
    const orphan = await startedId('kill-deleted', 1);
    await t.gql(`mutation { deleteJob(id: "kill-deleted") }`, {}, 'ADMIN');
    expect((await t.gql(KILL, { id: 'kill-deleted' }, 'OPERATOR')).data!.killJob).toEqual({ jobId: 'kill-deleted', execIds: [orphan], count: 1 });
  });
});
