// Several reapers on one database, and results reported while they sweep:
// each execution reaped exactly once, no result ever lost.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { Services } from '../src/context.js';
import { createSql } from '../src/db/client.js';
import { lockExecution, reapOverdue } from '../src/db/executions.js';
import { transaction } from '../src/db/transaction.js';
import { ExecutionReaper, executionsReaped } from '../src/executions/reaper.js';
import { createLogger } from '../src/logger.js';
import { afterResult } from '../src/resolvers/executions.js';
import { useTestApp } from './helpers.js';

const t = useTestApp(); // the server's own reaper stays off: the tests run their own

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await t.sql`truncate executions cascade`;
  await t.sql`delete from audit_log where action = 'reapExecutions'`;
});

/** A reaper with its own pool, as another server instance would have. */
function reaper(limit: number, timeout = '1h'): ExecutionReaper {
  const config = loadConfig({ DATABASE_URL: t.databaseUrl, EXECUTION_RESULT_TIMEOUT: timeout });
  const services: Services = { sql: createSql(t.databaseUrl, 4), config, log: createLogger('silent') };
  cleanups.push(() => services.sql.end());
  return new ExecutionReaper(services, limit);
}

/** `count` executions of `jobId` created `age` ago; every other one RUNNING with one result counted, failed unless told. */
async function insertExecutions(jobId: string, count: number, age: string, targetCount = 3, runningFailed = true): Promise<string[]> {
  const rows = await t.sql<{ id: string }[]>`
    insert into executions (job_id, version, initiated_by, target_count, status, result_count, failed_count, created_at)
    select ${jobId}, '1', 'test', ${targetCount},
           case when g % 2 = 0 then 'RUNNING' else 'PENDING' end,
           case when g % 2 = 0 then 1 else 0 end,
           case when g % 2 = 0 and ${runningFailed} then 1 else 0 end,
           now() - ${age}::interval
    from generate_series(1, ${count}) g
    returning id::text`;
  return rows.map((row) => row.id);
}

const REPORT = `mutation ($input: ExecutionResultInput!) { reportExecutionResult(input: $input) { status resultCount finishedAt } }`;

describe('reaping', () => {
  it('fails exactly the executions older than the timeout', async () => {
    const [young] = await insertExecutions('reap-edge', 1, '59 minutes');
    const [old] = await insertExecutions('reap-edge', 1, '61 minutes');
    expect(await reaper(10).sweep()).toEqual([old]);
    const rows = await t.sql`select id::text, status, finish_reason from executions order by id`;
    expect(rows).toEqual([
      { id: young, status: 'PENDING', finish_reason: null },
      { id: old, status: 'FAILED', finish_reason: 'no result within 1h' },
    ]);
  });

  it('takes a full batch per sweep, and a sweep that reaps nothing writes no audit entry', async () => {
    await insertExecutions('reap-batch', 5, '2 hours');
    const one = reaper(2);
    expect(await one.sweep()).toHaveLength(2);
    expect(await one.sweep()).toHaveLength(2);
    expect(await one.sweep()).toHaveLength(1);
    expect(await one.sweep()).toEqual([]);
    const audits = await t.sql<{ details: { count: number } }[]>`select details from audit_log where action = 'reapExecutions' order by id`;
    expect(audits.map((entry) => entry.details.count)).toEqual([2, 2, 1]);
  });
});

describe('two reapers on one database', () => {
  it('reap each of 600 overdue executions exactly once', async () => {
    const ids = await insertExecutions('reap-race', 600, '2 hours');
    const metricBefore = (await executionsReaped.get()).values[0]?.value ?? 0;
    const reapers = [reaper(25), reaper(25)];
    // Three sweeps at a time per reaper, each sweeping until it finds nothing left to claim.
    const sweeps = reapers.flatMap((r) =>
      Array.from({ length: 3 }, async () => {
        const reaped: string[] = [];
        for (let batch = await r.sweep(); batch.length > 0; batch = await r.sweep()) reaped.push(...batch);
        return reaped;
      }),
    );
    const reaped = (await Promise.all(sweeps)).flat();

    expect(reaped).toHaveLength(600);
    expect(new Set(reaped)).toEqual(new Set(ids));
    const audits = await t.sql<{ details: { count: number; execIds: string[] } }[]>`
      select details from audit_log where action = 'reapExecutions'`;
    expect(audits.reduce((sum, entry) => sum + entry.details.count, 0)).toBe(600);
    expect(new Set(audits.flatMap((entry) => entry.details.execIds)).size).toBe(600);
    // Double counting would show in failed_count: 3 missing for PENDING, 1 reported + 2 missing for RUNNING.
    const outcome = await t.sql`
      select status, failed_count, unreported_count, count(*)::int as n
      from executions group by 1, 2, 3 order by 3`;
    expect(outcome).toEqual([
      { status: 'FAILED', failed_count: 3, unreported_count: 2, n: 300 },
      { status: 'FAILED', failed_count: 3, unreported_count: 3, n: 300 },
    ]);
    expect(((await executionsReaped.get()).values[0]?.value ?? 0) - metricBefore).toBe(600);
  });
});

describe('a result reported while the reaper sweeps', () => {
  it('completes the execution if it commits first: the reaper skips the row and then finds it finished', async () => {
    const [id] = await insertExecutions('reap-first', 1, '2 hours', 1);
    const reaperOne = reaper(10);
    await transaction(t.sql, async (tx) => {
      // What reportExecutionResult does, held open while the reaper sweeps.
      const execution = (await lockExecution(tx, id!))!;
      expect(await reaperOne.sweep()).toEqual([]);
      await tx`insert into execution_results (exec_id, agent_id, success) values (${id!}, 'agent-1', true)`;
      const next = afterResult(execution, true);
      await tx`update executions set status = ${next.status}, result_count = ${next.resultCount}, finished_at = ${next.finishedAt} where id = ${id!}`;
    });
    expect(await reaperOne.sweep()).toEqual([]);
    const [row] = await t.sql`select status, finish_reason, failed_count from executions where id = ${id!}`;
    expect(row).toEqual({ status: 'COMPLETED', finish_reason: null, failed_count: 0 });
  });

  it('is stored as a late result if the reaper commits first', async () => {
    const [id] = await insertExecutions('reap-second', 1, '2 hours', 2);
    let reported: Promise<any> | null = null;
    let settled = false;
    await transaction(t.sql, async (tx) => {
      expect(await reapOverdue(tx, { timeoutMs: 3_600_000, reason: 'no result within 1h', limit: 10 })).toEqual([id]);
      reported = t.gql(REPORT, { input: { execId: id, agentId: 'agent-1', success: true } }, 'OPERATOR');
      reported.then(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The report waits for the reaper's lock on the execution.
      expect(settled).toBe(false);
    });
    const result = await reported!;
    expect(result.errors).toBeUndefined();
    expect(result.data.reportExecutionResult).toMatchObject({ status: 'FAILED', resultCount: 1 });
    const stored = await t.sql`select agent_id from execution_results where exec_id = ${id!}`;
    expect(stored).toEqual([{ agent_id: 'agent-1' }]);
  });

  it('is never lost when 200 final results race two reapers', async () => {
    const ids = await insertExecutions('reap-racing-results', 200, '2 hours', 2, false);
    const pending = new Set(ids.filter((_, i) => i % 2 === 0)); // g odd: PENDING, no result yet
    const reapers = [reaper(3), reaper(3)];
    // Every execution gets its missing results while the reapers sweep, a few rows at a time.
    // The reapers take the oldest first and the reports go newest first, so they meet in the middle.
    const reports = [...ids].reverse().flatMap((id) =>
      (pending.has(id) ? ['agent-a', 'agent-b'] : ['agent-b']).map((agentId) =>
        t.gql(REPORT, { input: { execId: id, agentId, success: true } }, 'OPERATOR'),
      ),
    );
    const sweeps = reapers.map(async (r) => {
      let total = 0;
      for (let batch = await r.sweep(); batch.length > 0; batch = await r.sweep()) {
        total += batch.length;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      return total;
    });
    const results = await Promise.all(reports);
    expect(results.filter((r) => r.errors)).toEqual([]);
    const reapedTotal = (await Promise.all(sweeps)).reduce((a, b) => a + b, 0);
    // A sweep may skip a row a report holds; one more after the race settles the rest.
    const afterRace = (await reapers[0]!.sweep()).length;

    const { n } = (await t.sql<{ n: number }[]>`select count(*)::int as n from execution_results`)[0]!;
    expect(n).toBe(300);
    const rows = await t.sql<{ status: string; result_count: number; finish_reason: string | null; unreported_count: number }[]>`
      select status, result_count, finish_reason, unreported_count from executions`;
    expect(rows.every((row) => row.result_count === 2)).toBe(true);
    for (const row of rows) {
      if (row.finish_reason === null) expect(row).toMatchObject({ status: 'COMPLETED', unreported_count: 0 });
      else expect(row).toMatchObject({ status: 'FAILED', finish_reason: 'no result within 1h' });
    }
    const reapedRows = rows.filter((row) => row.finish_reason !== null).length;
    expect(reapedRows).toBe(reapedTotal + afterRace);
    const audits = await t.sql<{ details: { count: number } }[]>`select details from audit_log where action = 'reapExecutions'`;
    expect(audits.reduce((sum, entry) => sum + entry.details.count, 0)).toBe(reapedRows);
  });
});
