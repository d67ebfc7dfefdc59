import { describe, expect, it } from 'vitest';
import type { Services } from '../src/context.js';
import { inFlightTotals, jobLiveCounts } from '../src/resolvers/jobs.js';
import { useTestApp, type GqlResult } from './helpers.js';

const statements: string[] = [];
const t = useTestApp({}, { onQuery: (query) => statements.push(query) });

const services = (): Services => ({ sql: t.sql, config: t.app.config, log: t.app.log });

/**
 * The statements the pool sends while `run` is in progress, but for the type
 * lookup postgres.js makes once on each new connection.
 */
async function statementsOf(run: () => Promise<unknown>): Promise<string[]> {
  statements.length = 0;
  await run();
  return statements.filter((text) => !/from pg_catalog\.pg_type/.test(text));
}

async function insertExecutions(jobId: string, counts: Record<string, number>) {
  for (const [status, n] of Object.entries(counts)) {
    await t.sql`
      insert into executions (job_id, version, initiated_by, target_count, status)
      select ${jobId}, '1', 'test', 1, ${status} from generate_series(1, ${n})`;
  }
}

const LIVE = `{ jobs { id: rowId live { running pending } } }`;

describe('Job.live', () => {
  it('counts RUNNING and PENDING executions only, and zeros for a job with none', async () => {
    await t.sql`insert into jobs (id, version) values ('mixed', '1'), ('idle', '1'), ('history', '1')`;
    await insertExecutions('mixed', { RUNNING: 2, PENDING: 3, COMPLETED: 4, FAILED: 1 });
    await insertExecutions('history', { COMPLETED: 5, FAILED: 2 });
    await insertExecutions('deleted-long-ago', { RUNNING: 1 });
    const { data } = await t.gql(LIVE, {}, 'VIEWER');
    expect(data!.jobs).toEqual([
      { id: 'history', live: { running: 0, pending: 0 } },
      { id: 'idle', live: { running: 0, pending: 0 } },
      { id: 'mixed', live: { running: 2, pending: 3 } },
    ]);
    expect(await jobLiveCounts(services(), 'mixed')).toEqual({ id: 'mixed', running: 2, pending: 3 });
    expect(await jobLiveCounts(services(), 'idle')).toEqual({ id: 'idle', running: 0, pending: 0 });
    // Totals include in-flight executions of jobs no longer in the catalog.
    expect(await inFlightTotals(services())).toEqual({ running: 3, pending: 3 });
    await t.sql`delete from executions`;
    await t.sql`delete from jobs`;
  });

  it('loads a whole list with the same number of statements for 1 job and for 500', async () => {
    await t.sql`insert into jobs (id, version) values ('job-0000', '1')`;
    await insertExecutions('job-0000', { RUNNING: 1 });
    const one = await statementsOf(() => t.gql(LIVE, {}, 'VIEWER'));

    await t.sql`
      insert into jobs (id, version)
      select 'job-' || lpad(i::text, 4, '0'), '1' from generate_series(1, 499) as i`;
    await t.sql`
      insert into executions (job_id, version, initiated_by, target_count, status)
      select 'job-' || lpad((i % 500)::text, 4, '0'), '1', 'test', 1, case when i % 3 = 0 then 'RUNNING' else 'PENDING' end
      from generate_series(1, 1500) as i`;
    let result: GqlResult | undefined;
    const many = await statementsOf(async () => (result = await t.gql(LIVE, {}, 'VIEWER')));

    expect(result!.data!.jobs).toHaveLength(500);
    expect(result!.data!.jobs[1]).toEqual({ id: 'job-0001', live: { running: 1, pending: 2 } });
    expect(result!.data!.jobs[0]).toEqual({ id: 'job-0000', live: { running: 2, pending: 2 } });
    expect(many.length).toBe(one.length);
    expect(many).toHaveLength(1); // the jobs joined to their counts in one statement
    // The counts come from the counter cache (sql/00180), never from the executions themselves.
    expect(many[0]).toMatch(/execution_live_counts/);
    expect(many[0]).not.toMatch(/from executions/);
  });

  it('reads only ids and counts when the selection asks for nothing else, every column otherwise', async () => {
    await t.sql`insert into jobs (id, version, description) values ('cols-a', '7', 'described')`;
    await insertExecutions('cols-a', { RUNNING: 1, PENDING: 2 });
    const slim = await statementsOf(() => t.gql(`{ jobs { __typename id: rowId scriptStatus live { id: rowId running pending } } }`, {}, 'VIEWER'));
    const listing = (texts: string[]) => texts.find((text) => /from jobs j/.test(text))!;
    expect(listing(slim)).not.toMatch(/version|created_at/);
    // Any other field, directly, through a fragment or an inline fragment, reads the whole row.
    for (const query of [
      `{ jobs { id: rowId version } }`,
      `{ jobs { id: rowId ...F } } fragment F on Job { createdAt }`,
      `{ jobs { id: rowId ... on Job { description } live { running } } }`,
    ]) {
      let result: GqlResult | undefined;
      const texts = await statementsOf(async () => (result = await t.gql(query, {}, 'VIEWER')));
      expect(result!.errors).toBeUndefined();
      expect(listing(texts)).toMatch(/j\.version, j\.description/);
      expect(result!.data!.jobs.find((job: { id: string }) => job.id === 'cols-a')).toMatchObject(
        query.includes('version') ? { version: '7' } : query.includes('createdAt') ? { createdAt: expect.any(String) } : { description: 'described', live: { running: 1 } },
      );
    }
    const { data } = await t.gql(`{ jobs { id: rowId live { running pending } } }`, {}, 'VIEWER');
    expect(data!.jobs.find((job: { id: string }) => job.id === 'cols-a')).toEqual({ id: 'cols-a', live: { running: 1, pending: 2 } });
    await t.sql`delete from executions`;
    await t.sql`delete from jobs`;
  });

  it('resolves Schedule.job and Execution.job for a whole list in one batched query', async () => {
    await t.sql`insert into jobs (id, version) values ('batch-a', '1'), ('batch-b', '1')`;
    await t.sql`
      insert into schedules (id, job_id, cron)
      select 'batch-s-' || i, case when i % 2 = 0 then 'batch-a' else 'batch-b' end, '0 0 * * *' from generate_series(1, 20) as i`;
    await insertExecutions('batch-a', { PENDING: 10 });
    const schedules = await statementsOf(() => t.gql(`{ schedules { id: rowId job { id: rowId live { pending } } } }`, {}, 'VIEWER'));
    expect(schedules.filter((text) => /from jobs where id = any/.test(text))).toHaveLength(1);
    expect(schedules).toHaveLength(3); // the schedules, their jobs, the jobs' counts
    const executions = await statementsOf(() => t.gql(`{ executions(jobId: "batch-a") { nodes { job { id: rowId scriptStatus } } } }`, {}, 'VIEWER'));
    expect(executions).toHaveLength(4); // the page, its total, the jobs, their statuses
  });
});
