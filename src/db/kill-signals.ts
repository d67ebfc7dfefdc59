import type { Sql } from './client.js';

export interface KillSignalRow {
  id: string;
  execId: string;
  jobId: string;
  requestedBy: string;
  requestedAt: Date;
}

const columns = (sql: Sql) => sql`
  id::text, exec_id::text as "execId", job_id as "jobId", requested_by as "requestedBy", requested_at as "requestedAt"`;

/** One durable signal per execution, in the caller's transaction. */
export async function insertKillSignals(
  sql: Sql,
  signal: { jobId: string; execIds: string[]; requestedBy: string },
): Promise<KillSignalRow[]> {
  if (signal.execIds.length === 0) return [];
  return sql<KillSignalRow[]>`
    insert into kill_signals (exec_id, job_id, requested_by)
    select exec_id, ${signal.jobId}, ${signal.requestedBy}
    from unnest(${sql.array(signal.execIds)}::bigint[]) as exec_id
    returning ${columns(sql)}`;
}

/**
 * Signals by their own ids and/or by the executions they target, oldest first.
 */
export async function loadKillSignals(
  sql: Sql,
  by: { ids?: readonly string[]; execIds?: readonly string[] },
): Promise<KillSignalRow[]> {
  const ids = by.ids ? sql.array(by.ids as string[]) : null;
  const execIds = by.execIds ? sql.array(by.execIds as string[]) : null;
  return sql<KillSignalRow[]>`
    select ${columns(sql)} from kill_signals
    where (${ids}::bigint[] is null or id = any(${ids}::bigint[]))
      and (${execIds}::bigint[] is null or exec_id = any(${execIds}::bigint[]))
    order by id`;
}

export interface KillSignalRead {
  /** Every signal with id <= highWater is committed and in `rows` (from `after` on) or read before. */
  highWater: bigint;
  /** Signals with after < id <= highWater, in id order; none when `after` is null. */
  rows: KillSignalRow[];
  /** For each replay asked for: its signals with after < id <= highWater, in id order. */
  replays: KillSignalRow[][];
}

/**
 * Reads signals by id up to a high-water mark below which nothing can appear
 * any more. Ids come from a sequence when a row is inserted, not when it
 * commits, so a signal with a lower id can commit after one with a higher id
 * has been read. SHARE mode waits until every transaction that is writing
 * kill_signals has committed or rolled back, and holds off new writers for
 * the few milliseconds of this read (or until its lock_timeout, when the feed
 * tries again): then every id handed out so far is either
 * committed (and visible to the statements below, each a new READ COMMITTED
 * snapshot) or gone for good, and every id handed out later is higher.
 */
export async function readKillSignals(
  sql: Sql,
  after: bigint | null,
  replays: { after: bigint; execIds: readonly string[] | null }[],
): Promise<KillSignalRead> {
  return sql.begin(async (transaction) => {
    const tx = transaction as unknown as Sql;
    // A writer left open (idle in transaction) must not stall every later kill queued behind this
    // request: give up quickly, and the feed tries again.
    await tx`set local lock_timeout = '250ms'`;
    await tx`lock table kill_signals in share mode`;
    const [top] = await tx<{ max: string }[]>`select coalesce(max(id), 0)::text as max from kill_signals`;
    const highWater = [BigInt(top!.max), after ?? 0n].reduce((a, b) => (a > b ? a : b));
    const rows =
      after === null || after >= highWater
        ? []
        : await tx<KillSignalRow[]>`
            select ${columns(tx)} from kill_signals
            where id > ${after.toString()}::bigint and id <= ${highWater.toString()}::bigint order by id`;
    const replayed: KillSignalRow[][] = [];
    for (const replay of replays) {
      const execIds = replay.execIds ? tx.array(replay.execIds as string[]) : null;
      replayed.push(
        replay.after >= highWater
          ? []
          : await tx<KillSignalRow[]>`
              select ${columns(tx)} from kill_signals
              where id > ${replay.after.toString()}::bigint and id <= ${highWater.toString()}::bigint
                and (${execIds}::bigint[] is null or exec_id = any(${execIds}::bigint[]))
              order by id`,
      );
    }
    return { highWater, rows, replays: replayed };
  }) as Promise<KillSignalRead>;
}

/** Ids above `above` committed as of this statement's snapshot, taken without any lock. */
export async function committedKillSignalIdsAbove(sql: Sql, above: bigint): Promise<Set<string>> {
  const rows = await sql<{ id: string }[]>`select id::text from kill_signals where id > ${above.toString()}::bigint`;
  return new Set(rows.map((row) => row.id));
}

/** The executions among `ids` that exist. */
export async function existingExecutions(sql: Sql, ids: readonly string[]): Promise<Set<string>> {
  const rows = await sql<{ id: string }[]>`
    select id::text from executions where id = any(${sql.array(ids as string[])}::bigint[])`;
  return new Set(rows.map((row) => row.id));
}
