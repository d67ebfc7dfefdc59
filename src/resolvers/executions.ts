import DataLoader from 'dataloader';
import { loader, type Context, type Services } from '../context.js';
import { insertAudit } from '../db/audit.js';
import * as executions from '../db/executions.js';
import type { ExecutionRow, ExecutionStatus } from '../db/executions.js';
import { lockJob } from '../db/jobs.js';
import { insertKillSignals } from '../db/kill-signals.js';
import { scriptStatusOf } from '../db/script-status.js';
import { transaction } from '../db/transaction.js';
import { BadUserInputError, ConflictError, NotFoundError } from '../errors.js';
import { couldBeTextId, parseSerialId } from './ids.js';
import { actorOf } from './actor.js';
import { characters } from './characters.js';
import { paginate, type Page } from './pagination.js';

const MAX_TARGET_COUNT = 100_000;

/** An execution id is a positive bigint in decimal; any other string names no execution. */
function parseExecId(id: string): string {
  const execId = parseSerialId(id);
  if (execId === null) throw new NotFoundError(`There is no execution ${JSON.stringify(id)}`, { execId: id });
  return execId;
}

/**
 * PENDING, on the job's current version. The job row is share-locked and the
 * script status read after it, so a concurrent deleteJob (which revokes under
 * the same row's update lock) either finishes first, and this is NOT_FOUND,
 * or waits until this execution exists.
 */
export async function startExecution(ctx: Context, input: { jobId: string; targetCount: number }): Promise<ExecutionRow> {
  if (!Number.isInteger(input.targetCount) || input.targetCount < 1 || input.targetCount > MAX_TARGET_COUNT) {
    throw new BadUserInputError(`targetCount must be between 1 and ${MAX_TARGET_COUNT}`, { argument: 'input.targetCount' });
  }
  const initiatedBy = actorOf(ctx);
  if (!couldBeTextId(input.jobId)) throw new NotFoundError(`There is no job ${JSON.stringify(input.jobId)}`, { jobId: input.jobId });
  return transaction(ctx.sql, async (tx) => {
    const job = await lockJob(tx, input.jobId, 'share');
    if (!job) throw new NotFoundError(`There is no job "${input.jobId}"`, { jobId: input.jobId });
    if ((await scriptStatusOf(tx, job.id)) === 'REVOKED') {
      throw new ConflictError(`Job "${job.id}" is revoked; unrevokeJob it before starting executions`, { jobId: job.id });
    }
    return executions.insertExecution(tx, { jobId: job.id, version: job.version, initiatedBy, targetCount: input.targetCount });
  });
}

const FINISHED: ExecutionStatus[] = ['COMPLETED', 'FAILED'];

/**
 * Where one more stored result takes an execution. resultCount always mirrors
 * the stored results. Everything else only moves while the execution is in
 * flight, so a late result (e.g. after the reaper failed the execution) never
 * reopens it, and a late failure is not counted twice: the reaper already
 * counted that agent's missing result as a failure.
 */
export function afterResult(execution: ExecutionRow, success: boolean, now = new Date()) {
  const resultCount = execution.resultCount + 1;
  if (FINISHED.includes(execution.status)) {
    return { resultCount, failedCount: execution.failedCount, status: execution.status, finishedAt: execution.finishedAt };
  }
  const failedCount = execution.failedCount + (success ? 0 : 1);
  if (resultCount < execution.targetCount) return { resultCount, failedCount, status: 'RUNNING' as const, finishedAt: null };
  return { resultCount, failedCount, status: failedCount > 0 ? ('FAILED' as const) : ('COMPLETED' as const), finishedAt: now };
}

/**
 * One result per agent per execution: a repeat is stored nowhere and changes
 * nothing. The execution row is locked first, so concurrent reports from many
 * agents each see the count the previous one left.
 */
export async function reportExecutionResult(
  ctx: Context,
  input: { execId: string; agentId: string; success: boolean; output?: string | null },
): Promise<ExecutionRow> {
  const execId = parseExecId(input.execId);
  const agentLength = characters(input.agentId);
  if (agentLength < 1 || agentLength > 200) {
    throw new BadUserInputError('agentId must be 1 to 200 characters long', { argument: 'input.agentId' });
  }
  return transaction(ctx.sql, async (tx) => {
    const execution = await executions.lockExecution(tx, execId);
    if (!execution) throw new NotFoundError(`There is no execution ${execId}`, { execId });
    const stored = await executions.insertResult(tx, {
      execId,
      agentId: input.agentId,
      success: input.success,
      output: input.output ?? null,
    });
    if (!stored) return execution;
    return executions.updateProgress(tx, execId, afterResult(execution, input.success));
  });
}

export async function listExecutions(
  { sql }: Services,
  args: { jobId?: string | null; status?: ExecutionStatus | null; first?: number | null; after?: string | null },
): Promise<Page<ExecutionRow>> {
  // A job id no job could have has no executions (history outlives jobs, so a plain unknown id is a filter like any other).
  if (args.jobId != null && !couldBeTextId(args.jobId)) return paginate(args, async () => [], async () => 0);
  const filter = { jobId: args.jobId ?? null, status: args.status ?? null };
  return paginate(
    args,
    (page) => executions.listExecutions(sql, { ...filter, ...page }),
    () => executions.countExecutions(sql, filter),
  );
}

/** One execution, batched per operation (Query.nodes); null for an id no execution has. */
export function executionById(ctx: Context, id: string): Promise<ExecutionRow | null> {
  const key = parseSerialId(id);
  if (key === null) return Promise.resolve(null);
  const byId = loader(ctx, 'executions.byId', () => new DataLoader<string, ExecutionRow | null>(async (ids) => {
    const rows = new Map((await executions.executionsByIds(ctx.sql, ids)).map((row) => [row.id, row]));
    return ids.map((id) => rows.get(id) ?? null);
  }));
  return byId.load(key);
}

export interface KillJobResult {
  jobId: string;
  execIds: string[];
  count: number;
}

/**
 * One durable kill signal per PENDING or RUNNING execution of the job, with
 * the audit entry, in one transaction. No NOT_FOUND: executions outlive their
 * job, and killing a deleted job's leftovers is a reason to call this.
 */
export async function killJob(ctx: Context, jobId: string): Promise<KillJobResult> {
  const requestedBy = actorOf(ctx);
  if (!couldBeTextId(jobId)) return { jobId, execIds: [], count: 0 };
  return transaction(ctx.sql, async (tx) => {
    const execIds = await executions.lockInFlightOfJob(tx, jobId);
    await insertKillSignals(tx, { jobId, execIds, requestedBy });
    await insertAudit(tx, { actor: requestedBy, action: 'killJob', target: jobId, details: { execIds } });
    return { jobId, execIds, count: execIds.length };
  });
}
