import { formatDuration } from './duration.js';
import type { OrchestratorKind } from './db/orchestrator-events.js';

// The ids of the badge types. Apollo's InMemoryCache and urql's Graphcache key
// an object by its type name and `id`: a query and a subscription that return
// the same badge must give it the same id, so that a pushed value lands on the
// object the query cached. Like every id of this API, an id is unique within
// its type (the JobLiveCounts of job "nightly" is "nightly", as the Job is).

/** There is one scan counter cache: every ScanStats value is the same object. */
export const SCAN_STATS_ID = 'scanStats';

/** There is one dashboard: every Dashboard value is the same object. */
export const DASHBOARD_ID = 'dashboard';

/**
 * One failure badge per window and kind. The window is named in its largest
 * exact unit, so `60m`, `3600s` and `1h` (which count the same rows) are one
 * badge, `1h`; one kind's badge is `1h:EMAIL`. (`since` itself still comes
 * back as it was asked for.)
 */
export function failureCountId(sinceSeconds: number, kind: OrchestratorKind | null): string {
  const window = formatDuration(sinceSeconds * 1000);
  return kind ? `${window}:${kind}` : window;
}

/**
 * One failure series per window, step and kind, each named as in
 * failureCountId: `1h/1m`, or `24h/1h:EMAIL` for one kind.
 */
export function failureSeriesId(sinceSeconds: number, stepSeconds: number, kind: OrchestratorKind | null): string {
  const shape = `${formatDuration(sinceSeconds * 1000)}/${formatDuration(stepSeconds * 1000)}`;
  return kind ? `${shape}:${kind}` : shape;
}
