// The server's own reaper, end to end, with a 2 s result timeout swept every 200 ms.
import { describe, expect, it } from 'vitest';
import { useTestApp } from './helpers.js';
import { eventually } from './notifications-receiver.js';

const TIMEOUT_MS = 2_000;
const t = useTestApp({ EXECUTION_REAPER: 'on', EXECUTION_RESULT_TIMEOUT: '2s', EXECUTION_REAPER_INTERVAL: '200ms' });

const EXECUTION = `id: rowId status resultCount targetCount createdAt finishedAt`;

async function createJob(id: string) {
  const result = await t.gql(`mutation ($input: JobInput!) { upsertJob(input: $input) { id: rowId } }`, { input: { id, version: '1' } }, 'ADMIN');
  expect(result.errors).toBeUndefined();
}

async function start(jobId: string, targetCount: number): Promise<string> {
  const result = await t.gql(
    `mutation ($input: StartExecutionInput!) { startExecution(input: $input) { id: rowId } }`,
    { input: { jobId, targetCount } },
    'OPERATOR',
  );
  expect(result.errors).toBeUndefined();
  return result.data!.startExecution.id;
}

async function report(execId: string, agentId: string, success = true) {
  const result = await t.gql(
    `mutation ($input: ExecutionResultInput!) { reportExecutionResult(input: $input) { ${EXECUTION} } }`,
    { input: { execId, agentId, success } },
    'OPERATOR',
  );
  expect(result.errors).toBeUndefined();
  return result.data!.reportExecutionResult;
}

async function live(jobId: string) {
  const result = await t.gql(`query ($id: ID!) { job(id: $id) { live { running pending } } }`, { id: jobId }, 'VIEWER');
  return result.data!.job.live;
}

async function execution(id: string) {
  const [row] = await t.sql`
    select status, result_count, failed_count, unreported_count, finish_reason, created_at, finished_at
    from executions where id = ${id}`;
  return row!;
}

async function reapedCounter(): Promise<number> {
  const text = await (await fetch(t.url.replace('/graphql', '/metrics'))).text();
  return Number(/^opsgraph_executions_reaped_total (\d+)$/m.exec(text)?.[1] ?? 'NaN');
}

describe('the execution reaper', () => {
  it('fails an overdue PENDING and an overdue RUNNING execution, counting each missing result as a failure', async () => {
    await createJob('reap-overdue');
    const metricBefore = await reapedCounter();
    const pending = await start('reap-overdue', 3);
    const running = await start('reap-overdue', 3);
    await report(running, 'agent-1', true);
    await report(running, 'agent-2', false);
    expect(await live('reap-overdue')).toEqual({ running: 1, pending: 1 });

    await eventually(async () => (await execution(pending)).status === 'FAILED' && (await execution(running)).status === 'FAILED', 8_000, 'both reaped');

    const reapedPending = await execution(pending);
    expect(reapedPending).toMatchObject({ result_count: 0, failed_count: 3, unreported_count: 3, finish_reason: 'no result within 2s' });
    const reapedRunning = await execution(running);
    // One failure reported by an agent, one missing result.
    expect(reapedRunning).toMatchObject({ result_count: 2, failed_count: 2, unreported_count: 1, finish_reason: 'no result within 2s' });
    for (const row of [reapedPending, reapedRunning]) {
      expect(row.finished_at.getTime() - row.created_at.getTime()).toBeGreaterThanOrEqual(TIMEOUT_MS);
    }

    expect(await live('reap-overdue')).toEqual({ running: 0, pending: 0 });
    const audits = await t.sql<{ actor: string; target: string | null; details: { count: number; execIds: string[]; reason: string } }[]>`
      select actor, target, details from audit_log where action = 'reapExecutions' order by id`;
    const audited = audits.flatMap((entry) => entry.details.execIds);
    expect(audited.filter((id) => id === pending || id === running).sort()).toEqual([pending, running].sort());
    for (const entry of audits) {
      expect(entry).toMatchObject({ actor: 'system:reaper', target: null, details: { reason: 'no result within 2s' } });
      expect(entry.details.count).toBe(entry.details.execIds.length);
    }
    expect(await reapedCounter()).toBeGreaterThanOrEqual(metricBefore + 2);
  });

  it('leaves an execution alone until it is overdue', async () => {
    await createJob('reap-fresh');
    const fresh = await start('reap-fresh', 2);
    await report(fresh, 'agent-1');
    // Five sweeps go by while the execution is well within its timeout.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const row = await execution(fresh);
    expect(Date.now() - row.created_at.getTime()).toBeLessThan(TIMEOUT_MS);
    expect(row).toMatchObject({ status: 'RUNNING', finished_at: null, finish_reason: null, unreported_count: 0 });
    expect(await live('reap-fresh')).toEqual({ running: 1, pending: 0 });
  });

  it('stores a result that arrives after reaping without reopening the execution or counting it twice', async () => {
    await createJob('reap-late');
    const id = await start('reap-late', 2);
    await eventually(async () => (await execution(id)).status === 'FAILED', 8_000, 'the execution reaped');
    const reaped = await execution(id);

    const late = await report(id, 'agent-1', false);
    expect(late).toMatchObject({ status: 'FAILED', resultCount: 1, finishedAt: reaped.finished_at.toISOString() });
    const late2 = await report(id, 'agent-2', true);
    expect(late2).toMatchObject({ status: 'FAILED', resultCount: 2, finishedAt: reaped.finished_at.toISOString() });

    // agent-1's failure was already counted as its missing result.
    expect(await execution(id)).toEqual({ ...reaped, result_count: 2 });
    const stored = await t.sql`select agent_id, success from execution_results where exec_id = ${id} order by agent_id`;
    expect(stored).toEqual([
      { agent_id: 'agent-1', success: false },
      { agent_id: 'agent-2', success: true },
    ]);
    expect(await live('reap-late')).toEqual({ running: 0, pending: 0 });
  });

  it('does not touch an execution that finished on time', async () => {
    await createJob('reap-finished');
    const id = await start('reap-finished', 1);
    await report(id, 'agent-1');
    const finished = await execution(id);
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 600));
    expect(await execution(id)).toEqual(finished);
    expect(finished).toMatchObject({ status: 'COMPLETED', finish_reason: null, failed_count: 0 });
  });
});
