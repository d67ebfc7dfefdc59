// The five badge reads bench/run.ts puts to every target: how each target is
// asked for it (opsgraph and PostGraphile in GraphQL, the bare handler by
// path, pgbench as a script of opsgraph's SQL), and the figures every answer
// must agree on before any load is measured.

export interface Scenario {
  name: string;
  opsgraph: string;
  postgraphile: string;
  /** Path on the bare handler (bench/bare-server.ts). */
  bare: string;
  /** The SQL opsgraph sends for one request, as a pgbench script. */
  pgbench(): string;
  /** The badge values in an answer: opsgraph's and the bare handler's (same shape), then PostGraphile's. */
  figures(data: any): number[];
  postgraphileFigures(data: any): number[];
}

const SCAN_STATS_SQL = `select scan_type as "scanType", sum(count)::text as count, max(updated_at) as "updatedAt"
  from scan_counters group by scan_type order by scan_type collate "C";`;

const failureSql = (seconds: number) => `select as_of as "asOf",
  orchestrator_failure_count(as_of - make_interval(secs => ${seconds}), as_of, null::text[])::int as count
  from (select date_trunc('milliseconds', now()) as as_of) clock;`;

const IN_FLIGHT_SQL = `select coalesce(sum(n) filter (where status = 'RUNNING'), 0)::int as running,
  coalesce(sum(n) filter (where status = 'PENDING'), 0)::int as pending
  from execution_live_counts;`;

const notificationCountSql = (status: string) =>
  `select coalesce(sum(n), 0)::int as n from notification_status_counts where status = '${status}';`;

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

const SCAN_STATS_PG = 'allScanStats { nodes { scanType count } } scanTotal { total updatedAt }';

function failureScenario(since: '1h' | '7d', seconds: number, interval: string): Scenario {
  return {
    name: `failureCount(${since})`,
    opsgraph: `{ failureCount(since: "${since}") { count asOf } }`,
    postgraphile: `{ failureCount(since: ${interval}) { count asOf } }`,
    bare: `/failureCount?since=${since}`,
    pgbench: () => failureSql(seconds),
    figures: (data) => [data.failureCount.count],
    postgraphileFigures: (data) => [data.failureCount.count],
  };
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'scanStats',
    opsgraph: '{ scanStats { stats { scanType count } total updatedAt } }',
    postgraphile: `{ ${SCAN_STATS_PG} }`,
    bare: '/scanStats',
    pgbench: () => SCAN_STATS_SQL,
    figures: (data) => [data.scanStats.total, data.scanStats.stats.length],
    postgraphileFigures: (data) => [data.scanTotal.total, data.allScanStats.nodes.length],
  },
  failureScenario('1h', 3600, '{ hours: 1 }'),
  failureScenario('7d', 7 * 86_400, '{ days: 7 }'),
  {
    name: 'jobs { live }',
    opsgraph: '{ jobs { id live { running pending } } }',
    postgraphile: '{ allJobLives { nodes { jobId running pending } } }',
    bare: '/jobs',
    // What Query.jobs sends for this selection (ids and counts only): listJobIdsWithLiveCounts of src/db/jobs.ts.
    pgbench: () => `select j.id, coalesce(r.n, 0)::int as running, coalesce(p.n, 0)::int as pending
  from jobs j
  left join execution_live_counts r on r.job_id = j.id and r.status = 'RUNNING'
  left join execution_live_counts p on p.job_id = j.id and p.status = 'PENDING'
  order by j.id collate "C";`,
    figures: (data) => [
      data.jobs.length,
      sum(data.jobs.map((job: any) => job.live.running)),
      sum(data.jobs.map((job: any) => job.live.pending)),
    ],
    postgraphileFigures: (data) => [
      data.allJobLives.nodes.length,
      sum(data.allJobLives.nodes.map((job: any) => job.running)),
      sum(data.allJobLives.nodes.map((job: any) => job.pending)),
    ],
  },
  {
    name: 'dashboard',
    opsgraph:
      '{ dashboard { failureCount { count asOf } deadLetterCount failedNotificationCount jobsRunning jobsPending ' +
      'scanStats { stats { scanType count } total updatedAt } } }',
    postgraphile:
      '{ failureCount(since: { hours: 1 }) { count asOf } deadLetterCount failedNotificationCount ' +
      `inFlightTotals { running pending } ${SCAN_STATS_PG} }`,
    bare: '/dashboard',
    // opsgraph sends these five concurrently on five pooled connections; pgbench sends them in turn.
    pgbench: () =>
      [failureSql(3600), notificationCountSql('DEAD'), notificationCountSql('FAILED'), IN_FLIGHT_SQL, SCAN_STATS_SQL].join('\n'),
    figures: ({ dashboard: d }) => [d.failureCount.count, d.deadLetterCount, d.failedNotificationCount, d.jobsRunning, d.jobsPending, d.scanStats.total],
    postgraphileFigures: (d) => [
      d.failureCount.count,
      d.deadLetterCount,
      d.failedNotificationCount,
      d.inFlightTotals.running,
      d.inFlightTotals.pending,
      d.scanTotal.total,
    ],
  },
];
