import { describe, expect, it } from 'vitest';
import { codes, useTestApp } from './helpers.js';

const t = useTestApp();

const UPSERT_JOB = `mutation ($input: JobInput!) { upsertJob(input: $input) { id: rowId version description inventory scriptStatus createdAt updatedAt } }`;
const UPSERT_SCHEDULE = `mutation ($input: ScheduleInput!) { upsertSchedule(input: $input) { id: rowId jobId cron enabled job { id: rowId } } }`;
const DELETE_JOB = `mutation ($id: ID!) { deleteJob(id: $id) }`;
const STATUS = `query ($id: ID!) { scriptStatus(jobId: $id) }`;

const upsertJob = (input: Record<string, unknown>) => t.gql(UPSERT_JOB, { input: { version: '1', ...input } }, 'ADMIN');
const upsertSchedule = (input: Record<string, unknown>) => t.gql(UPSERT_SCHEDULE, { input }, 'ADMIN');
const deleteJob = (id: string) => t.gql(DELETE_JOB, { id }, 'ADMIN');
const statusOf = async (id: string) => (await t.gql(STATUS, { id }, 'VIEWER')).data?.scriptStatus;

describe('the job catalog', () => {
  it('creates, then replaces a job, and writes an audit entry each time', async () => {
    const created = await upsertJob({ id: 'cat.inventory-1', version: '1.0', description: 'collects inventory', inventory: true });
    expect(created.errors).toBeUndefined();
    expect(created.data!.upsertJob).toMatchObject({ id: 'cat.inventory-1', version: '1.0', description: 'collects inventory', inventory: true, scriptStatus: 'ACTIVE' });
    const replaced = await upsertJob({ id: 'cat.inventory-1', version: '2.0' });
    expect(replaced.data!.upsertJob).toMatchObject({ version: '2.0', description: null, inventory: false });
    expect(replaced.data!.upsertJob.createdAt).toBe(created.data!.upsertJob.createdAt);
    const audit = await t.sql`select actor, target, details from audit_log where action = 'upsertJob' and target = 'cat.inventory-1' order by id`;
    expect(audit.map((row) => [row.actor, row.details.version])).toEqual([['test-admin', '1.0'], ['test-admin', '2.0']]);
  });

  it('gives the same timestamps in the listing (read as text) as for one job (read as Dates)', async () => {
    await upsertJob({ id: 'cat.times', version: '1' });
    // A zone far from UTC and microseconds: the text must still mean the same instant to the millisecond.
    await t.sql`update jobs set created_at = '2026-03-01 23:59:59.123456-09:30' where id = 'cat.times'`;
    const one = (await t.gql(`{ job(id: "cat.times") { createdAt updatedAt } }`, {}, 'VIEWER')).data!.job;
    const listed = (await t.gql(`{ jobs { id: rowId createdAt updatedAt } }`, {}, 'VIEWER')).data!.jobs.find((job: { id: string }) => job.id === 'cat.times');
    expect(one.createdAt).toBe('2026-03-02T09:29:59.123Z');
    expect(listed).toEqual({ id: 'cat.times', ...one });
  });

  it.each([
    ['an empty id', { id: '' }],
    ['an id starting with a dot', { id: '.hidden' }],
    ['an id with a space', { id: 'a b' }],
    ['an id of 129 characters', { id: 'a'.repeat(129) }],
    ['an empty version', { id: 'ok', version: '' }],
    ['a version of 65 characters', { id: 'ok', version: 'v'.repeat(65) }],
  ])('refuses %s with BAD_USER_INPUT and writes nothing', async (_name, input) => {
    const result = await upsertJob(input);
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    // Named as the input checks name an argument: its path.
    expect(result.errors![0]!.extensions!.argument).toBe('version' in input ? 'input.version' : 'input.id');
    const { n } = (await t.sql<{ n: number }[]>`select count(*)::int as n from jobs where id = ${input.id}`)[0]!;
    expect(n).toBe(0);
  });

  it('accepts the longest id and version', async () => {
    const result = await upsertJob({ id: `Z${'x'.repeat(127)}`, version: 'v'.repeat(64) });
    expect(result.errors).toBeUndefined();
  });

  it('lists jobs ordered by id and finds one by id, or null', async () => {
    for (const id of ['list-b', 'list-A', 'list-a', 'list-1']) await upsertJob({ id });
    const { data } = await t.gql(`{ jobs { id: rowId } }`, {}, 'VIEWER');
    const ids = data!.jobs.map((job: { id: string }) => job.id).filter((id: string) => id.startsWith('list-'));
    expect(ids).toEqual(['list-1', 'list-A', 'list-a', 'list-b']);
    expect((await t.gql(`{ job(id: "list-a") { id: rowId version } }`, {}, 'VIEWER')).data).toEqual({ job: { id: 'list-a', version: '1' } });
    expect((await t.gql(`{ job(id: "no-such-job") { id: rowId } }`, {}, 'VIEWER')).data).toEqual({ job: null });
  });
});

describe('schedules', () => {
  it('creates and replaces a schedule whose job resolves through the loader', async () => {
    await upsertJob({ id: 'sched-job' });
    const created = await upsertSchedule({ id: 'nightly', jobId: 'sched-job', cron: ' 0  2 * * 1-5 ' });
    expect(created.data!.upsertSchedule).toEqual({ id: 'nightly', jobId: 'sched-job', cron: '0 2 * * 1-5', enabled: true, job: { id: 'sched-job' } });
    const replaced = await upsertSchedule({ id: 'nightly', jobId: 'sched-job', cron: '*/15 * * JAN-MAR mon', enabled: false });
    expect(replaced.data!.upsertSchedule).toMatchObject({ cron: '*/15 * * JAN-MAR mon', enabled: false });
  });

  it.each([
    ['garbage', 'every day'],
    ['an empty string', ''],
    ['a seconds field (6 fields)', '0 0 2 * * *'],
    ['4 fields', '0 2 * *'],
    ['a macro', '@daily'],
    ['a minute out of range', '60 * * * *'],
    ['a weekday out of range', '0 0 * * 8'],
    ['an unknown name', '0 0 * FOO *'],
    ['a Quartz L', '0 0 L * *'],
    ['a Quartz ?', '0 0 ? * MON'],
    ['a Quartz #', '0 0 * * 1#2'],
    ['a Jenkins H', 'H * * * *'],
    ['a day that never comes', '0 0 31 2 *'],
  ])('refuses %s as cron with BAD_USER_INPUT', async (_name, cron) => {
    await upsertJob({ id: 'cron-job' });
    const result = await upsertSchedule({ id: 'bad-cron', jobId: 'cron-job', cron });
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0]!.extensions!.argument).toBe('input.cron');
    const { n } = (await t.sql<{ n: number }[]>`select count(*)::int as n from schedules where id = 'bad-cron'`)[0]!;
    expect(n).toBe(0);
  });

  it('refuses an unknown job with NOT_FOUND', async () => {
    const result = await upsertSchedule({ id: 'orphan', jobId: 'never-created', cron: '0 0 * * *' });
    expect(codes(result)).toEqual(['NOT_FOUND']);
  });

  it('lists schedules ordered by id, with their jobs batched', async () => {
    await upsertJob({ id: 'sched-list' });
    for (const id of ['s-list-2', 's-list-1']) await upsertSchedule({ id, jobId: 'sched-list', cron: '0 0 * * *' });
    const { data } = await t.gql(`{ schedules { id: rowId job { id: rowId version } } }`, {}, 'VIEWER');
    const mine = data!.schedules.filter((s: { id: string }) => s.id.startsWith('s-list-'));
    expect(mine).toEqual([
      { id: 's-list-1', job: { id: 'sched-list', version: '1' } },
      { id: 's-list-2', job: { id: 'sched-list', version: '1' } },
    ]);
  });

  it('deletes a schedule, then answers NOT_FOUND for it', async () => {
    await upsertJob({ id: 'sched-del' });
    await upsertSchedule({ id: 'to-delete', jobId: 'sched-del', cron: '0 0 * * *' });
    const deleted = await t.gql(`mutation { deleteSchedule(id: "to-delete") }`, {}, 'ADMIN');
    expect(deleted.data).toEqual({ deleteSchedule: 'to-delete' });
    const again = await t.gql(`mutation { deleteSchedule(id: "to-delete") }`, {}, 'ADMIN');
    expect(codes(again)).toEqual(['NOT_FOUND']);
  });
});

describe('deleteJob and the script status', () => {
  it('answers CONFLICT naming every schedule that references the job, and changes nothing', async () => {
    await upsertJob({ id: 'del-busy' });
    await upsertSchedule({ id: 'busy-hourly', jobId: 'del-busy', cron: '0 * * * *' });
    await upsertSchedule({ id: 'busy-daily', jobId: 'del-busy', cron: '0 0 * * *' });
    const result = await deleteJob('del-busy');
    expect(codes(result)).toEqual(['CONFLICT']);
    expect(result.errors![0]!.message).toContain('"busy-daily", "busy-hourly"');
    expect(result.errors![0]!.extensions).toMatchObject({ schedules: ['busy-daily', 'busy-hourly'] });
    expect(await statusOf('del-busy')).toBe('ACTIVE');
    expect((await t.gql(`{ job(id: "del-busy") { id: rowId } }`, {}, 'VIEWER')).data).toEqual({ job: { id: 'del-busy' } });
  });

  it('answers NOT_FOUND for a job that does not exist', async () => {
    expect(codes(await deleteJob('del-never'))).toEqual(['NOT_FOUND']);
    expect(await statusOf('del-never')).toBe('ACTIVE');
  });

  it('revokes the job and deletes it, returning the id and writing an audit entry', async () => {
    await upsertJob({ id: 'del-ok' });
    expect(await statusOf('del-ok')).toBe('ACTIVE');
    expect((await deleteJob('del-ok')).data).toEqual({ deleteJob: 'del-ok' });
    expect(await statusOf('del-ok')).toBe('REVOKED');
    expect((await t.gql(`{ job(id: "del-ok") { id: rowId } }`, {}, 'VIEWER')).data).toEqual({ job: null });
    const [entry] = await t.sql`select actor from audit_log where action = 'deleteJob' and target = 'del-ok'`;
    expect(entry?.actor).toBe('test-admin');
  });

  it('revokes before it deletes, in the same transaction: a failed delete leaves the job ACTIVE', async () => {
    // A trigger that checks the order from inside the delete, and refuses to delete one job at all.
    await t.sql.unsafe(`
      create function test_jobs_before_delete() returns trigger language plpgsql as $$
      begin
        if coalesce((select status from script_status where job_id = old.id), 'ACTIVE') <> 'REVOKED' then
          raise exception 'job % deleted while its script status is still ACTIVE', old.id;
        end if;
        if old.id = 'del-undeletable' then raise exception 'refusing to delete %', old.id; end if;
        return old;
      end $$;
      create trigger test_jobs_before_delete before delete on jobs for each row execute function test_jobs_before_delete();`);
    try {
      await upsertJob({ id: 'del-ordered' });
      expect((await deleteJob('del-ordered')).data).toEqual({ deleteJob: 'del-ordered' });

      await upsertJob({ id: 'del-undeletable' });
      const failed = await deleteJob('del-undeletable');
      expect(failed.errors).toHaveLength(1);
      expect(await statusOf('del-undeletable')).toBe('ACTIVE');
      expect((await t.gql(`{ job(id: "del-undeletable") { id: rowId } }`, {}, 'VIEWER')).data).toEqual({ job: { id: 'del-undeletable' } });
      const { n } = (await t.sql<{ n: number }[]>`select count(*)::int as n from audit_log where action = 'deleteJob' and target = 'del-undeletable'`)[0]!;
      expect(n).toBe(0);
    } finally {
      await t.sql.unsafe(`drop trigger test_jobs_before_delete on jobs; drop function test_jobs_before_delete();`);
    }
  });

  it('keeps a re-created job REVOKED until unrevokeJob, which is audited', async () => {
    await upsertJob({ id: 'del-again' });
    await deleteJob('del-again');
    const recreated = await upsertJob({ id: 'del-again', version: '2' });
    expect(recreated.data!.upsertJob.scriptStatus).toBe('REVOKED');
    const unrevoked = await t.gql(`mutation { unrevokeJob(id: "del-again") }`, {}, 'ADMIN');
    expect(unrevoked.data).toEqual({ unrevokeJob: 'ACTIVE' });
    expect(await statusOf('del-again')).toBe('ACTIVE');
    const [entry] = await t.sql`select actor from audit_log where action = 'unrevokeJob' and target = 'del-again'`;
    expect(entry?.actor).toBe('test-admin');
  });

  it('refuses to unrevoke a job that is not in the catalog', async () => {
    await upsertJob({ id: 'del-gone' });
    await deleteJob('del-gone');
    expect(codes(await t.gql(`mutation { unrevokeJob(id: "del-gone") }`, {}, 'ADMIN'))).toEqual(['NOT_FOUND']);
    expect(await statusOf('del-gone')).toBe('REVOKED');
  });

  it('never leaves a schedule pointing at a deleted job when upsertSchedule races deleteJob', async () => {
    for (let round = 0; round < 20; round++) {
      const jobId = `race-${round}`;
      await upsertJob({ id: jobId });
      const [scheduled, deleted] = await Promise.all([
        upsertSchedule({ id: `race-s-${round}`, jobId, cron: '0 0 * * *' }),
        deleteJob(jobId),
      ]);
      const { jobs, schedules } = (await t.sql<{ jobs: number; schedules: number }[]>`
        select (select count(*)::int from jobs where id = ${jobId}) as jobs,
               (select count(*)::int from schedules where job_id = ${jobId}) as schedules`)[0]!;
      if (deleted.errors) {
        // The schedule came first: the delete names it and nothing changed.
        expect(codes(deleted)).toEqual(['CONFLICT']);
        expect(scheduled.errors).toBeUndefined();
        expect([jobs, schedules]).toEqual([1, 1]);
      } else {
        expect(codes(scheduled)).toEqual(['NOT_FOUND']);
        expect([jobs, schedules]).toEqual([0, 0]);
      }
    }
  });
});
