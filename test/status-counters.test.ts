// The counter caches of sql/00180 (notifications by status, in-flight
// executions by job) against the rows they count: after single writes, bulk
// writes, deletes, truncation, rolled-back transactions and concurrent
// writers on many connections, every count read through src/db equals a
// count of the rows themselves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql } from '../src/db/client.js';
import { inFlightTotals, listJobsWithLiveCounts, liveCountsByJob } from '../src/db/jobs.js';
import { countAllByStatus, countNotifications } from '../src/db/notifications.js';
import { createTestDatabase } from './helpers.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: Sql;
beforeAll(async () => {
  db = await createTestDatabase();
  sql = createSql(db.url, 4, undefined, 'counters-test', 1, 16); // 16 transactions at once
  await sql`insert into jobs (id, version) select 'job-' || i, '1' from generate_series(1, 6) as i`;
});
afterAll(async () => {
  await sql.end();
  await db.drop();
});

const STATUSES = ['PENDING', 'SENT', 'FAILED', 'DEAD', 'READ'] as const;
const EXEC_STATUSES = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED'] as const;
const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)]!;

async function notificationTruth(): Promise<Record<string, number>> {
  const rows = await sql<{ status: string; n: number }[]>`select status, count(*)::int as n from notifications group by status`;
  const counts: Record<string, number> = { PENDING: 0, SENT: 0, FAILED: 0, DEAD: 0, READ: 0 };
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

async function expectNotificationsExact() {
  const truth = await notificationTruth();
  expect(await countAllByStatus(sql)).toEqual(truth);
  for (const status of STATUSES) expect(await countNotifications(sql, status)).toBe(truth[status]);
  expect(await countNotifications(sql, null)).toBe(Object.values(truth).reduce((a, b) => a + b, 0));
}

async function expectExecutionsExact() {
  const truth = await sql<{ id: string; running: number; pending: number }[]>`
    select job_id as id, count(*) filter (where status = 'RUNNING')::int as running, count(*) filter (where status = 'PENDING')::int as pending
    from executions where status in ('PENDING', 'RUNNING') group by job_id order by job_id`;
  const byJob = await liveCountsByJob(sql, ['job-1', 'job-2', 'job-3', 'job-4', 'job-5', 'job-6', 'gone-job']);
  expect([...byJob.values()].sort((a, b) => a.id.localeCompare(b.id))).toEqual(truth);
  const listed = await listJobsWithLiveCounts(sql);
  for (const job of listed) {
    const want = truth.find((row) => row.id === job.id) ?? { running: 0, pending: 0 };
    expect({ id: job.id, running: job.running, pending: job.pending }).toEqual({ id: job.id, running: want.running, pending: want.pending });
  }
  expect(await inFlightTotals(sql)).toEqual({
    running: truth.reduce((sum, row) => sum + row.running, 0),
    pending: truth.reduce((sum, row) => sum + row.pending, 0),
  });
  // A count that falls to zero leaves no row behind.
  const [zero] = await sql<{ n: number }[]>`select count(*)::int as n from execution_live_counts where n = 0`;
  expect(zero!.n).toBe(0);
}

const insertNotifications = (tx: Sql, n: number, status: string) => tx`
  insert into notifications (channel, recipient, subject, body, status)
  select 'LOG', 'ops', 's', 'b', ${status} from generate_series(1, ${n})`;
const insertExecutions = (tx: Sql, n: number, job: string, status: string) => tx`
  insert into executions (job_id, version, initiated_by, target_count, status)
  select ${job}, '1', 'test', 1, ${status} from generate_series(1, ${n})`;

describe('counter caches of sql/00180', () => {
  it('follow inserts, status changes, other updates, deletes and TRUNCATE exactly', async () => {
    await insertNotifications(sql, 30, 'PENDING');
    await insertNotifications(sql, 5, 'DEAD');
    await sql`update notifications set status = 'SENT' where id in (select id from notifications where status = 'PENDING' limit 10)`;
    await sql`update notifications set retry_count = retry_count + 1`; // no status changes: no counter moves
    await sql`update notifications set status = case when id % 2 = 0 then 'FAILED' else 'READ' end where status = 'SENT'`;
    await sql`delete from notifications where status = 'DEAD' and id % 2 = 0`;
    await expectNotificationsExact();

    await insertExecutions(sql, 12, 'job-1', 'PENDING');
    await insertExecutions(sql, 4, 'job-2', 'RUNNING');
    await insertExecutions(sql, 3, 'gone-job', 'PENDING'); // a job since deleted: still counted in the totals
    await sql`update executions set status = 'RUNNING' where job_id = 'job-1' and id % 3 = 0`;
    await sql`update executions set status = 'COMPLETED' where job_id = 'job-2'`; // job-2 drops to zero
    await sql`update executions set job_id = 'job-3' where job_id = 'job-1' and id % 4 = 0`; // moves between jobs
    await sql`update executions set result_count = result_count + 1`;
    await sql`delete from executions where job_id = 'job-3' and status = 'PENDING'`;
    await expectExecutionsExact();

    await sql`truncate notifications`;
    await sql`truncate executions cascade`;
    await expectNotificationsExact();
    await expectExecutionsExact();
    expect(await countNotifications(sql, 'PENDING')).toBe(0);
    expect(await inFlightTotals(sql)).toEqual({ running: 0, pending: 0 });
  });

  it('a rolled-back transaction leaves the counts as they were', async () => {
    await insertNotifications(sql, 3, 'FAILED');
    await insertExecutions(sql, 2, 'job-4', 'RUNNING');
    const before = { notifications: await countAllByStatus(sql), executions: await inFlightTotals(sql) };
    await sql
      .begin(async (tx) => {
        await insertNotifications(tx as unknown as Sql, 7, 'DEAD');
        await tx`update executions set status = 'COMPLETED' where job_id = 'job-4'`;
        throw new Error('roll back');
      })
      .catch(() => {});
    expect(await countAllByStatus(sql)).toEqual(before.notifications);
    expect(await inFlightTotals(sql)).toEqual(before.executions);
    await expectNotificationsExact();
    await expectExecutionsExact();
  });

  it('stay exact under concurrent writers on many connections, some of them rolling back', async () => {
    await insertNotifications(sql, 200, 'PENDING');
    for (const job of ['job-1', 'job-2', 'job-3', 'job-4', 'job-5', 'job-6']) await insertExecutions(sql, 20, job, 'PENDING');
    const errors: string[] = [];
    const writer = async (w: number) => {
      for (let i = 0; i < 25; i++) {
        const rollback = i % 7 === 3;
        await sql
          .begin(async (transaction) => {
            const tx = transaction as unknown as Sql;
            // One statement that moves counts per transaction, as every writer in src does (multi-row
            // statements lock their counter rows in key order; two such statements in one transaction
            // could deadlock with another doing the same in the other order, see sql/00180).
            const job = `job-${1 + ((w + i) % 6)}`;
            switch ((w + i) % 5) {
              case 0: // the outbox: claim some rows and move them on, as the worker and the mutations do
                await tx`
                  update notifications set status = ${pick(STATUSES)}
                  where id in (select id from notifications order by random() limit ${1 + (i % 4)} for update skip locked)`;
                break;
              case 1:
                await insertNotifications(tx, 2, pick(STATUSES));
                break;
              case 2:
                await tx`delete from notifications where id in (select id from notifications order by random() limit 1 for update skip locked)`;
                break;
              case 3: // results and the reaper move executions of a job on
                await tx`
                  update executions set status = ${pick(EXEC_STATUSES)}
                  where id in (select id from executions where job_id = ${job} order by random() limit ${1 + (i % 3)} for update skip locked)`;
                break;
              default:
                await insertExecutions(tx, 1, job, pick(['PENDING', 'RUNNING']));
            }
            await tx`select count(*) from notification_status_counts`;
            if (rollback) throw new Error('roll back');
          })
          .catch((error: Error & { code?: string }) => {
            if (error.message !== 'roll back') errors.push(`${error.code}: ${error.message}`);
          });
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, w) => writer(w)));
    expect(errors).toEqual([]);
    await expectNotificationsExact();
    await expectExecutionsExact();
  });
});
