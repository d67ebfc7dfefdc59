import type { Sql } from './client.js';

export type OrchestratorKind = 'TRAFFIC' | 'FILE' | 'EMAIL';

export interface OrchestratorEventRow {
  id: string;
  kind: OrchestratorKind;
  success: boolean;
  detail: string | null;
  occurredAt: Date;
}

export interface NewOrchestratorEvent {
  kind: OrchestratorKind;
  success: boolean;
  detail: string | null;
  /** null: the database's now(), the same default direct writers get. */
  occurredAt: Date | null;
}

/** TRAFFIC and FILE go to orchestrator_events, EMAIL to orchestrator_emails. Ids are per table. */
export async function insertOrchestratorEvent(sql: Sql, event: NewOrchestratorEvent): Promise<OrchestratorEventRow> {
  const [row] =
    event.kind === 'EMAIL'
      ? await sql<OrchestratorEventRow[]>`
          insert into orchestrator_emails (success, detail, occurred_at)
          values (${event.success}, ${event.detail}, coalesce(${event.occurredAt}::timestamptz, now()))
          returning id::text, 'EMAIL' as kind, success, detail, occurred_at as "occurredAt"`
      : await sql<OrchestratorEventRow[]>`
          insert into orchestrator_events (kind, success, detail, occurred_at)
          values (${event.kind}, ${event.success}, ${event.detail}, coalesce(${event.occurredAt}::timestamptz, now()))
          returning id::text, kind, success, detail, occurred_at as "occurredAt"`;
  return row!;
}

/**
 * Failed rows of `kinds` (null: all) in [asOf − since, asOf], with asOf the
 * database clock cut to whole milliseconds, so the instant returned is exactly
 * the one counted up to. orchestrator_failure_count (sql/00020) reads buckets
 * for whole minutes and hours and the partial indexes only at the edges.
 */
export async function countFailuresSince(
  sql: Sql,
  sinceSeconds: number,
  kinds: OrchestratorKind[] | null,
): Promise<{ asOf: Date; count: number }> {
  const [row] = await sql<{ asOf: Date; count: number }[]>`
    select as_of as "asOf",
           orchestrator_failure_count(as_of - make_interval(secs => ${sinceSeconds}), as_of, ${kinds}::text[])::int as count
    from (select date_trunc('milliseconds', now()) as as_of) clock`;
  return row!;
}

/**
 * occurredAt of the oldest failed row in the window, or null: the next row to
 * leave it. Two short index-only range scans stopping at their first match.
 * `asOf` defaults to the database clock.
 */
export async function oldestFailureSince(
  sql: Sql,
  sinceSeconds: number,
  kinds: OrchestratorKind[] | null,
  asOf: Date | null,
): Promise<{ asOf: Date; oldest: Date | null }> {
  const [row] = await sql<{ asOf: Date; oldest: Date | null }[]>`
    with w as (
      select as_of, as_of - make_interval(secs => ${sinceSeconds}) as lo
      from (select coalesce(${asOf}::timestamptz, date_trunc('milliseconds', now())) as as_of) clock
    )
    select w.as_of as "asOf", least(
      (select min(occurred_at) from orchestrator_events e
        where not success and occurred_at between w.lo and w.as_of
          and (${kinds}::text[] is null or kind = any(${kinds}::text[]))),
      (select min(occurred_at) from orchestrator_emails m
        where not success and occurred_at between w.lo and w.as_of
          and (${kinds}::text[] is null or 'EMAIL' = any(${kinds}::text[])))
    ) as oldest
    from w`;
  return row!;
}
