import type { Sql } from './client.js';
import type { OrchestratorKind } from './orchestrator-events.js';

/** The failures of one kind in one step; steps and kinds with none are absent. */
export interface FailureStepRow {
  /** The step's start, on the UTC epoch's grid of steps. */
  at: Date;
  kind: OrchestratorKind;
  failures: number;
}

/**
 * Failed rows of `kinds` (null: all) in [asOf − since, asOf] per step and
 * kind, asOf being the database clock cut to whole milliseconds, as
 * countFailuresSince: one statement, so the same window counts the same rows
 * (orchestrator_failure_series, sql/00210, reads the buckets it can).
 */
export async function failureStepsSince(
  sql: Sql,
  sinceSeconds: number,
  stepSeconds: number,
  kinds: OrchestratorKind[] | null,
): Promise<{ asOf: Date; steps: FailureStepRow[] }> {
  const rows = await sql<{ asOf: Date; at: Date | null; kind: OrchestratorKind | null; failures: number | null }[]>`
    select clock.as_of as "asOf", s.step_start as at, s.failure_kind as kind, s.failures_in_step::int as failures
    from (select date_trunc('milliseconds', now()) as as_of) clock
    left join lateral orchestrator_failure_series(
      clock.as_of - make_interval(secs => ${sinceSeconds}), clock.as_of, ${stepSeconds}::int, ${kinds}::text[]) s on true`;
  const steps = rows.filter((row) => row.at !== null) as FailureStepRow[];
  return { asOf: rows[0]!.asOf, steps };
}
