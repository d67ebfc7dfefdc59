import DataLoader from 'dataloader';
import { CronExpressionParser } from 'cron-parser';
import { loader, type Context, type Services } from '../context.js';
import { insertAudit } from '../db/audit.js';
import * as jobs from '../db/jobs.js';
import type { InFlightCounts, JobRow, LiveCounts } from '../db/jobs.js';
import * as schedules from '../db/schedules.js';
import type { ScheduleRow } from '../db/schedules.js';
import { scriptStatusOf, scriptStatuses, setScriptStatus, type ScriptStatus } from '../db/script-status.js';
import { sharedRead } from '../db/shared-reads.js';
import { transaction } from '../db/transaction.js';
import { BadUserInputError, ConflictError, NotFoundError } from '../errors.js';
import { actorOf } from './actor.js';
import { characters } from './characters.js';
import { isGlobalId } from '../global-ids.js';
import { couldBeTextId, TEXT_ID } from './ids.js';

const ID_PATTERN = TEXT_ID;

/** The id of a job or schedule being created; `argument` as the input checks name it (input.id). */
function checkId(id: string): void {
  if (!ID_PATTERN.test(id)) {
    throw new BadUserInputError(`id must match ${ID_PATTERN.source}`, { argument: 'input.id' });
  }
  // Arguments read a global id of the right type as that object's: a job or schedule named like one could not be named.
  if (isGlobalId(id)) throw new BadUserInputError('id must not be a global id (an `id` this API gives out)', { argument: 'input.id' });
}

// --- catalog ---------------------------------------------------------------

export async function upsertJob(
  ctx: Context,
  input: { id: string; version: string; description?: string | null; inventory?: boolean | null },
): Promise<JobRow> {
  checkId(input.id);
  const versionLength = characters(input.version);
  if (versionLength < 1 || versionLength > 64) {
    throw new BadUserInputError('version must be 1 to 64 characters long', { argument: 'input.version' });
  }
  const job = { id: input.id, version: input.version, description: input.description ?? null, inventory: input.inventory ?? false };
  const actor = actorOf(ctx);
  return transaction(ctx.sql, async (tx) => {
    const row = await jobs.upsertJob(tx, job);
    await insertAudit(tx, { actor, action: 'upsertJob', target: job.id, details: { version: job.version } });
    return row;
  });
}

/**
 * The catalog with each job's live counts, in one statement, so Job.live resolves without a
 * promise per job. `columns: 'counts'` when the caller reads nothing of
 * a job but its id and counts (Query.jobs looks at its selection): PostgreSQL then skips the other
 * columns, formatting 2 000 timestamps among them, and answers about three times faster
 * (bench/README.md "Issue 20"). Those rows carry only id, running and pending.
 */
export function listJobs({ sql }: Services, columns: 'counts' | 'all' = 'all'): Promise<JobRow[]> {
  return sharedJobList(sql, columns);
}

/** Shared with the requests asking at the same moment (src/db/shared-reads.ts); the rows are never changed after reading. */
const sharedJobList = sharedRead(
  'jobs',
  (sql, columns: 'counts' | 'all') => (columns === 'counts' ? (jobs.listJobIdsWithLiveCounts(sql) as Promise<JobRow[]>) : jobs.listJobsWithLiveCounts(sql)),
  (columns) => columns,
);

/** Loads through the per-operation batch, so schedules and executions share one query for their jobs. */
export function jobById(ctx: Context, id: string): Promise<JobRow | null> {
  if (!couldBeTextId(id)) return Promise.resolve(null);
  const byId = loader(ctx, 'jobs.byId', () => new DataLoader<string, JobRow | null>(async (ids) => {
    const rows = new Map((await jobs.jobsByIds(ctx.sql, ids)).map((row) => [row.id, row]));
    return ids.map((id) => rows.get(id) ?? null);
  }));
  return byId.load(id);
}

// --- live counts -----------------------------------------------------------

const nothingInFlight = (id: string): LiveCounts => ({ id, running: 0, pending: 0 });

/**
 * Job.live: where the counts were read with the job (Query.jobs), the job row
 * itself answers them, with no promise and no object per job; else every job
 * of the operation in one aggregate.
 */
export function liveCounts(ctx: Context, job: JobRow): LiveCounts | Promise<LiveCounts> {
  if (job.running !== undefined && job.pending !== undefined) return job as LiveCounts;
  const byJob = loader(ctx, 'jobs.live', () => new DataLoader<string, LiveCounts>(async (ids) => {
    const counts = await jobs.liveCountsByJob(ctx.sql, ids);
    return ids.map((id) => counts.get(id) ?? nothingInFlight(id));
  }));
  return byJob.load(job.id);
}

/** The live counts of one job, outside any operation (subscriptions). */
export async function jobLiveCounts({ sql }: Services, jobId: string): Promise<LiveCounts> {
  return (await jobs.liveCountsByJob(sql, [jobId])).get(jobId) ?? nothingInFlight(jobId);
}

/** Running and pending executions over all jobs (the dashboard's badges). */
export function inFlightTotals({ sql }: Services): Promise<InFlightCounts> {
  return sharedInFlightTotals(sql);
}

const sharedInFlightTotals = sharedRead<void, InFlightCounts>('inFlightTotals', (sql) => jobs.inFlightTotals(sql));

// --- script status, delete, unrevoke ---------------------------------------

export function scriptStatus({ sql }: Services, jobId: string): Promise<ScriptStatus> {
  // No job ever had such an id, so none was ever revoked.
  if (!couldBeTextId(jobId)) return Promise.resolve('ACTIVE');
  return scriptStatusOf(sql, jobId);
}

/** Job.scriptStatus, batched like Job.live. */
export function scriptStatusOfJob(ctx: Context, jobId: string): Promise<ScriptStatus> {
  const byJob = loader(ctx, 'jobs.scriptStatus', () => new DataLoader<string, ScriptStatus>(async (ids) => {
    const statuses = await scriptStatuses(ctx.sql, ids);
    return ids.map((id) => statuses.get(id) ?? 'ACTIVE');
  }));
  return byJob.load(jobId);
}

/**
 * Revokes, then deletes, in one transaction: no one ever sees the job gone
 * while its in-flight commands are still allowed. The job row stays locked
 * throughout, so a schedule or an execution cannot be added in between.
 */
export async function deleteJob(ctx: Context, id: string): Promise<string> {
  const actor = actorOf(ctx);
  if (!couldBeTextId(id)) throw new NotFoundError(`There is no job ${JSON.stringify(id)}`, { jobId: id });
  return transaction(ctx.sql, async (tx) => {
    if (!(await jobs.lockJob(tx, id, 'update'))) throw new NotFoundError(`There is no job "${id}"`, { jobId: id });
    const referencing = await schedules.scheduleIdsOfJob(tx, id);
    if (referencing.length > 0) {
      const names = referencing.map((s) => `"${s}"`).join(', ');
      throw new ConflictError(`Job "${id}" is still referenced by schedule ${names}; delete or repoint it first`, {
        jobId: id,
        schedules: referencing,
      });
    }
    await setScriptStatus(tx, id, 'REVOKED');
    await jobs.deleteJob(tx, id);
    await insertAudit(tx, { actor, action: 'deleteJob', target: id });
    return id;
  });
}

/** Only for a job in the catalog: re-allowing a deleted job's commands is exactly what deleteJob forbids. */
export async function unrevokeJob(ctx: Context, id: string): Promise<ScriptStatus> {
  const actor = actorOf(ctx);
  if (!couldBeTextId(id)) throw new NotFoundError(`There is no job ${JSON.stringify(id)}`, { jobId: id });
  return transaction(ctx.sql, async (tx) => {
    if (!(await jobs.lockJob(tx, id, 'share'))) throw new NotFoundError(`There is no job "${id}"`, { jobId: id });
    await setScriptStatus(tx, id, 'ACTIVE');
    await insertAudit(tx, { actor, action: 'unrevokeJob', target: id });
    return 'ACTIVE' as const;
  });
}

// --- schedules -------------------------------------------------------------

/** The expression's five fields, each of numbers, names, `*`, `,`, `-` and `/` only. */
const CRON_FIELD = /^(\*|\d+|[A-Za-z]{3})(-(\d+|[A-Za-z]{3}))?(\/\d+)?(,(\*|\d+|[A-Za-z]{3})(-(\d+|[A-Za-z]{3}))?(\/\d+)?)*$/;

/**
 * A standard 5-field expression, normalised to single spaces. Seconds fields,
 * @-macros and the Quartz extensions (L, W, #, ?, H) that cron-parser would
 * accept are refused: not every scheduler reading this table understands them.
 */
export function normaliseCron(cron: string): string {
  const fields = cron.trim().split(/\s+/);
  const reject = (why: string) => new BadUserInputError(`cron "${cron}" is not a standard 5-field expression: ${why}`, { argument: 'input.cron' });
  if (fields.length !== 5) throw reject(`it has ${cron.trim() === '' ? 0 : fields.length} fields`);
  const odd = fields.find((field) => !CRON_FIELD.test(field));
  if (odd !== undefined) throw reject(`"${odd}" is not a field`);
  const normalised = fields.join(' ');
  try {
    CronExpressionParser.parse(normalised);
  } catch (error) {
    throw reject((error as Error).message);
  }
  return normalised;
}

export async function upsertSchedule(
  ctx: Context,
  input: { id: string; jobId: string; cron: string; enabled?: boolean | null },
): Promise<ScheduleRow> {
  checkId(input.id);
  if (!couldBeTextId(input.jobId)) throw new NotFoundError(`There is no job ${JSON.stringify(input.jobId)}`, { jobId: input.jobId });
  const schedule = { id: input.id, jobId: input.jobId, cron: normaliseCron(input.cron), enabled: input.enabled ?? true };
  const actor = actorOf(ctx);
  return transaction(ctx.sql, async (tx) => {
    // Shares the lock deleteJob takes for update: the job cannot vanish under the new schedule.
    if (!(await jobs.lockJob(tx, schedule.jobId, 'share'))) {
      throw new NotFoundError(`There is no job "${schedule.jobId}"`, { jobId: schedule.jobId });
    }
    const row = await schedules.upsertSchedule(tx, schedule);
    await insertAudit(tx, { actor, action: 'upsertSchedule', target: row.id, details: { jobId: row.jobId, cron: row.cron, enabled: row.enabled } });
    return row;
  });
}

export async function deleteSchedule(ctx: Context, id: string): Promise<string> {
  const actor = actorOf(ctx);
  if (!couldBeTextId(id)) throw new NotFoundError(`There is no schedule ${JSON.stringify(id)}`, { scheduleId: id });
  return transaction(ctx.sql, async (tx) => {
    const deleted = await schedules.deleteSchedule(tx, id);
    if (deleted === null) throw new NotFoundError(`There is no schedule "${id}"`, { scheduleId: id });
    await insertAudit(tx, { actor, action: 'deleteSchedule', target: id });
    return deleted;
  });
}

export function listSchedules({ sql }: Services): Promise<ScheduleRow[]> {
  return schedules.listSchedules(sql);
}

/** One schedule, batched per operation (Query.nodes); null for an id no schedule has. */
export function scheduleById(ctx: Context, id: string): Promise<ScheduleRow | null> {
  if (!couldBeTextId(id)) return Promise.resolve(null);
  const byId = loader(ctx, 'schedules.byId', () => new DataLoader<string, ScheduleRow | null>(async (ids) => {
    const rows = new Map((await schedules.schedulesByIds(ctx.sql, ids)).map((row) => [row.id, row]));
    return ids.map((id) => rows.get(id) ?? null);
  }));
  return byId.load(id);
}
