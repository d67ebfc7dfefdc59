import type { Sql } from './client.js';

export type NotificationStatus = 'PENDING' | 'SENT' | 'FAILED' | 'DEAD' | 'READ';

/** Why a notification is DEAD (sql/00190). */
export type DeadReason = 'MAX_ATTEMPTS' | 'GONE' | 'UNKNOWN_CHANNEL';

export interface NotificationRow {
  id: string;
  /** Usually WEBHOOK or LOG; otherwise a channel this server does not deliver through (removed, or written by SQL). */
  channel: string;
  recipient: string;
  subject: string;
  body: string;
  status: NotificationStatus;
  retryCount: number;
  nextRetryAt: Date | null;
  lastError: string | null;
  /** Set while DEAD: the attempts ran out, the receiver answered 410 Gone, or the channel is unknown. */
  deadReason: DeadReason | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** A claimed row: what a channel needs to deliver it. */
export interface ClaimedNotification {
  id: string;
  channel: string;
  recipient: string;
  subject: string;
  body: string;
  /** Failed attempts so far: this delivery is attempt retryCount + 1. */
  retryCount: number;
  /** The trace of the request that queued it (sql/00220), when tracing was on. */
  traceParent: string | null;
}

const COLUMNS = (sql: Sql) => sql`
  id::text, channel, recipient, subject, body, status,
  retry_count as "retryCount", next_retry_at as "nextRetryAt", last_error as "lastError",
  dead_reason as "deadReason", created_at as "createdAt", sent_at as "sentAt"`;

export async function insertNotification(
  sql: Sql,
  input: { channel: string; recipient: string; subject: string; body: string; traceParent?: string | null },
): Promise<NotificationRow> {
  const [row] = await sql<NotificationRow[]>`
    insert into notifications (channel, recipient, subject, body, trace_parent)
    values (${input.channel}, ${input.recipient}, ${input.subject}, ${input.body}, ${input.traceParent ?? null})
    returning ${COLUMNS(sql)}`;
  return row!;
}

export async function findNotification(sql: Sql, id: string): Promise<NotificationRow | null> {
  const [row] = await sql<NotificationRow[]>`
    select ${COLUMNS(sql)} from notifications where id = ${id}::bigint`;
  return row ?? null;
}

/** The notifications among these ids (each a bigint in decimal); the missing ones are absent. */
export async function notificationsByIds(sql: Sql, ids: readonly string[]): Promise<NotificationRow[]> {
  return sql<NotificationRow[]>`
    select ${COLUMNS(sql)} from notifications where id = any(${sql.array(ids as string[])}::bigint[])`;
}

/** Locks the row for the caller's transaction; `claimed` says whether a worker is delivering it now. */
export async function lockNotification(
  sql: Sql,
  id: string,
): Promise<{ status: NotificationStatus; retryCount: number; claimed: boolean } | null> {
  const [row] = await sql<{ status: NotificationStatus; retryCount: number; claimed: boolean }[]>`
    select status, retry_count as "retryCount", coalesce(claimed_until > now(), false) as claimed
    from notifications where id = ${id}::bigint
    for update`;
  return row ?? null;
}

export async function resetToPending(sql: Sql, id: string, traceParent: string | null = null): Promise<NotificationRow> {
  const [row] = await sql<NotificationRow[]>`
    update notifications
    set status = 'PENDING', retry_count = 0, next_retry_at = null, last_error = null, dead_reason = null,
        claimed_by = null, claimed_until = null, updated_at = now(), trace_parent = ${traceParent}
    where id = ${id}::bigint
    returning ${COLUMNS(sql)}`;
  return row!;
}

export async function markRead(sql: Sql, id: string): Promise<NotificationRow> {
  const [row] = await sql<NotificationRow[]>`
    update notifications set status = 'READ', updated_at = now()
    where id = ${id}::bigint
    returning ${COLUMNS(sql)}`;
  return row!;
}

export async function listNotifications(
  sql: Sql,
  opts: { limit: number; beforeId: string | null; status: NotificationStatus | null },
): Promise<NotificationRow[]> {
  // Two statements rather than `(status is null or ...)`, so each gets its own index:
  // the primary key for all rows, (status, id desc) for one status.
  const before = opts.beforeId === null ? sql`` : sql`and id < ${opts.beforeId}::bigint`;
  if (opts.status === null) {
    return sql<NotificationRow[]>`
      select ${COLUMNS(sql)} from notifications
      where true ${before}
      order by notifications.id desc limit ${opts.limit}`;
  }
  return sql<NotificationRow[]>`
    select ${COLUMNS(sql)} from notifications
    where status = ${opts.status} ${before}
    order by notifications.id desc limit ${opts.limit}`;
}

/** Notifications of a status (null: all), whatever their channel: the counter cache of sql/00180. */
export async function countNotifications(sql: Sql, status: NotificationStatus | null): Promise<number> {
  const [row] =
    status === null
      ? await sql<{ n: number }[]>`select coalesce(sum(n), 0)::int as n from notification_status_counts`
      : await sql<{ n: number }[]>`
          select coalesce(sum(n), 0)::int as n from notification_status_counts where status = ${status}`;
  return row!.n;
}

/** Every row by status, whatever its channel: the raw state of the outbox, for metrics. */
export async function countAllByStatus(sql: Sql): Promise<Record<NotificationStatus, number>> {
  const rows = await sql<{ status: NotificationStatus; n: number }[]>`
    select status, sum(n)::int as n from notification_status_counts group by status`;
  const counts: Record<NotificationStatus, number> = { PENDING: 0, SENT: 0, FAILED: 0, DEAD: 0, READ: 0 };
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

/**
 * Seconds since the oldest notification due for delivery became due, 0 when none is: a PENDING row
 * since it was written or requeued (updated_at), a FAILED row since its retry time came. The worker
 * takes PENDING rows in id order, so only the first 1000 of them are looked at: each side is one probe
 * of its partial index, whatever the backlog, as a scrape-time read must be.
 */
export async function oldestDueAge(sql: Sql): Promise<number> {
  const [row] = await sql<{ seconds: number }[]>`
    select coalesce(extract(epoch from now() - least(
      (select min(updated_at) from (select updated_at from notifications where status = 'PENDING' order by id limit 1000) head),
      (select min(next_retry_at) from notifications where status = 'FAILED' and next_retry_at <= now())
    )), 0)::float8 as seconds`;
  return Math.max(0, row!.seconds);
}

// --- the delivery worker's statements -----------------------------------------

/**
 * Claims up to `limit` deliverable rows for `worker` until `ttlMs` from now.
 * PENDING rows always; FAILED rows only when `retries` and their nextRetryAt
 * has come. A row claimed by a worker whose claim expired (it died) is
 * claimable again. SKIP LOCKED lets several workers claim side by side without
 * waiting on, or taking, each other's rows; the claim commits at once, so the
 * delivery itself holds no lock and no transaction. A claim is bookkeeping, not
 * a change of state: updated_at keeps the time of the last outcome.
 */
export async function claimDue(
  sql: Sql,
  opts: { worker: string; ttlMs: number; limit: number; retries: boolean },
): Promise<ClaimedNotification[]> {
  // One statement per queue, each on its own partial index.
  const due = opts.retries
    ? sql`status = 'FAILED' and next_retry_at <= now()`
    : sql`status = 'PENDING'`;
  const order = opts.retries ? sql`next_retry_at` : sql`id`;
  return sql<ClaimedNotification[]>`
    with due as (
      select id from notifications
      where ${due} and (claimed_until is null or claimed_until < now())
      order by ${order}
      limit ${opts.limit}
      for update skip locked
    )
    update notifications n
    set claimed_by = ${opts.worker},
        claimed_until = now() + ${opts.ttlMs} * interval '1 millisecond'
    from due where n.id = due.id
    returning n.id::text, n.channel, n.recipient, n.subject, n.body,
      n.retry_count as "retryCount", n.trace_parent as "traceParent"`;
}

/**
 * Each finish applies only while `worker` still holds the claim: if the claim
 * expired and another worker took the row, its outcome is the one that counts.
 * Returns whether it applied.
 */
export async function finishSent(sql: Sql, id: string, worker: string): Promise<boolean> {
  const rows = await sql`
    update notifications
    set status = 'SENT', sent_at = now(), next_retry_at = null,
        claimed_by = null, claimed_until = null, updated_at = now()
    where id = ${id}::bigint and claimed_by = ${worker}`;
  return rows.count === 1;
}

/**
 * Records failed attempt n = retryCount + 1. The backoff is computed here, on
 * the database clock (as graphile-worker does), so every instance agrees:
 * nextRetryAt = now() + min(max(unit × 2^(n−1), retryAfter), cap), or DEAD
 * (MAX_ATTEMPTS) after the last attempt. `retryAfterMs` is the receiver's
 * Retry-After (429, 503), null when it sent none.
 */
export async function finishFailed(
  sql: Sql,
  id: string,
  worker: string,
  failure: { error: string; maxAttempts: number; unitMs: number; capMs: number; retryAfterMs?: number | null },
): Promise<NotificationStatus | null> {
  const [row] = await sql<{ status: NotificationStatus }[]>`
    update notifications
    set retry_count = retry_count + 1,
        status = case when retry_count + 1 >= ${failure.maxAttempts} then 'DEAD' else 'FAILED' end,
        dead_reason = case when retry_count + 1 >= ${failure.maxAttempts} then 'MAX_ATTEMPTS' end,
        next_retry_at = case when retry_count + 1 >= ${failure.maxAttempts} then null
          else now() + least(greatest(${failure.unitMs}::float8 * power(2, retry_count), ${failure.retryAfterMs ?? null}::float8),
                             ${failure.capMs}::float8)
                       * interval '1 millisecond' end,
        last_error = ${failure.error},
        claimed_by = null, claimed_until = null, updated_at = now()
    where id = ${id}::bigint and claimed_by = ${worker}
    returning status`;
  return row?.status ?? null;
}

/**
 * No attempt can ever succeed: DEAD at once. UNKNOWN_CHANNEL leaves retryCount
 * untouched (nothing was attempted); GONE counts the attempt the receiver
 * answered 410 Gone.
 */
export async function finishDead(sql: Sql, id: string, worker: string, error: string, reason: 'UNKNOWN_CHANNEL' | 'GONE'): Promise<boolean> {
  const rows = await sql`
    update notifications
    set status = 'DEAD', next_retry_at = null, last_error = ${error}, dead_reason = ${reason},
        retry_count = retry_count + ${reason === 'GONE' ? 1 : 0},
        claimed_by = null, claimed_until = null, updated_at = now()
    where id = ${id}::bigint and claimed_by = ${worker}`;
  return rows.count === 1;
}
