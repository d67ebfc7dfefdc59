import type { Services } from '../context.js';
import { failureSeriesId } from '../badge-ids.js';
import { failureStepsSince } from '../db/failure-series.js';
import type { OrchestratorKind } from '../db/orchestrator-events.js';
import { sharedRead } from '../db/shared-reads.js';
import { parseSince, parseStep } from '../failure-window.js';
import { oldestFailureInWindow } from './failures.js';

export interface FailurePoint {
  /** The step's start, on the UTC epoch's grid of steps (so the first one may lie before the window's start). */
  at: Date;
  /** traffic + file + email. */
  count: number;
  traffic: number;
  file: number;
  email: number;
}

export interface FailureSeries {
  /** The series' cache identity: one per window, step and kind, whatever their spelling (src/badge-ids.ts). */
  id: string;
  since: string;
  step: string;
  kind: OrchestratorKind | null;
  /** The window's start, asOf − since: the first point counts from here. */
  from: Date;
  /** failureCount(since, kind).count at asOf: the sum of the points. */
  total: number;
  asOf: Date;
  points: FailurePoint[];
}

export interface FailureSeriesArgs {
  since: string;
  step: string;
  kind?: OrchestratorKind | null;
}

const FIELD = { TRAFFIC: 'traffic', FILE: 'file', EMAIL: 'email' } as const;

/** One statement per window, step and kind for the requests asking at the same moment (src/db/shared-reads.ts). */
const sharedFailureSteps = sharedRead(
  'failureSeries',
  (sql, { sinceSeconds, stepSeconds, kind }: { sinceSeconds: number; stepSeconds: number; kind: OrchestratorKind | null }) =>
    failureStepsSince(sql, sinceSeconds, stepSeconds, kind && [kind]),
  ({ sinceSeconds, stepSeconds, kind }) => `${sinceSeconds}:${stepSeconds}:${kind ?? ''}`,
);

/** Validates since, then step (BAD_USER_INPUT), before anything is read. */
export function parseSeriesArgs(args: FailureSeriesArgs): { sinceSeconds: number; stepSeconds: number; kind: OrchestratorKind | null } {
  const sinceSeconds = parseSince(args.since);
  return { sinceSeconds, stepSeconds: parseStep(args.step, sinceSeconds), kind: args.kind ?? null };
}

/**
 * The failure badge's shape: the failures of [asOf − since, asOf] per step,
 * per kind. Steps lie on a grid aligned to the UTC epoch (whole minutes, whole
 * hours, UTC days), so a point keeps its `at` while the window slides; the
 * first and last points are usually partial (the first counts from `from`, the
 * last up to asOf). Every step in between is present, with zeros. The points
 * sum to `total`, which is failureCount for the same window and kind at asOf.
 */
export async function failureSeries({ sql }: Services, args: FailureSeriesArgs): Promise<FailureSeries> {
  const { sinceSeconds, stepSeconds, kind } = parseSeriesArgs(args);
  const { asOf, steps } = await sharedFailureSteps(sql, { sinceSeconds, stepSeconds, kind });
  const stepMs = stepSeconds * 1000;
  const from = new Date(asOf.getTime() - sinceSeconds * 1000);
  const first = Math.floor(from.getTime() / stepMs) * stepMs;
  const last = Math.floor(asOf.getTime() / stepMs) * stepMs;
  const points: FailurePoint[] = [];
  for (let at = first; at <= last; at += stepMs) points.push({ at: new Date(at), count: 0, traffic: 0, file: 0, email: 0 });
  let total = 0;
  for (const row of steps) {
    const point = points[(row.at.getTime() - first) / stepMs];
    if (!point) throw new Error(`failure step ${row.at.toISOString()} outside the series from ${new Date(first).toISOString()}`);
    point[FIELD[row.kind]] += row.failures;
    point.count += row.failures;
    total += row.failures;
  }
  return { id: failureSeriesId(sinceSeconds, stepSeconds, kind), since: args.since, step: args.step, kind, from, total, asOf, points };
}

/**
 * When a series computed at `series.asOf` next changes with no write at all:
 * a new step begins at its right end, its first step leaves at its left, or
 * its oldest failure leaves the window, whichever comes first.
 */
export async function failureSeriesChangesAt(services: Services, args: FailureSeriesArgs, series: FailureSeries): Promise<Date> {
  const { sinceSeconds, stepSeconds, kind } = parseSeriesArgs(args);
  const stepMs = stepSeconds * 1000;
  const asOf = series.asOf.getTime();
  const from = asOf - sinceSeconds * 1000;
  const nextStep = Math.floor(asOf / stepMs) * stepMs + stepMs;
  const firstLeaves = Math.floor(from / stepMs) * stepMs + stepMs + sinceSeconds * 1000;
  const { leavesAt } = await oldestFailureInWindow(services, { since: args.since, kind, asOf: series.asOf });
  return new Date(Math.min(nextStep, firstLeaves, leavesAt?.getTime() ?? Infinity));
}
