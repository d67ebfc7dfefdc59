// The topic catalogue: every topic a live subscription can be woken by, how
// the database announces it, and which subscriptions it wakes. Producers (the
// SQL in sql/) and consumers (the LISTEN target, the probes, the badges, the
// kill feed) all name topics through `Topic`, so a typo does not compile, and
// test/live-topics.test.ts reads sql/*.sql and src/ to check that every
// channel notified is listed here and every topic listed is notified.

/** The live subscriptions (fields of Subscription) a topic can wake. */
export type LiveSubscription =
  | 'scanStats'
  | 'failureCount'
  | 'failureSeries'
  | 'deadLetterCount'
  | 'jobLiveCounts'
  | 'jobListLiveCounts'
  | 'dashboard'
  | 'killSignals';

interface NotifiedTopic {
  /** The migrations whose SQL sends `pg_notify('opsgraph_<topic>', '')` (directly or through opsgraph_notify_change('<topic>')). */
  notifiedBy: readonly string[];
  wakes: readonly LiveSubscription[];
}

interface ProbedTopic {
  /**
   * No NOTIFY: a hot write path, where one per transaction would serialise
   * commits. Watched by polling a digest while it has listeners (src/live/probes.ts).
   */
  probed: true;
  wakes: readonly LiveSubscription[];
}

export const TOPICS = {
  failures: {
    notifiedBy: ['sql/00020_failure_buckets.sql', 'sql/00170_failure_rebalance.sql'],
    wakes: ['failureCount', 'failureSeries', 'dashboard'],
  },
  notifications: { notifiedBy: ['sql/00050_change_capture.sql'], wakes: ['deadLetterCount', 'dashboard'] },
  executions: { notifiedBy: ['sql/00050_change_capture.sql'], wakes: ['jobLiveCounts', 'jobListLiveCounts', 'dashboard'] },
  // A job added to or removed from the catalogue: a row of the job list.
  jobs: { notifiedBy: ['sql/00211_jobs_changed.sql'], wakes: ['jobListLiveCounts'] },
  kill_signals: { notifiedBy: ['sql/00050_change_capture.sql'], wakes: ['killSignals'] },
  // Every check-in commits to the counter cache: measured, a NOTIFY each cut insert + bump to 0.22x of a plain INSERT.
  scans: { probed: true, wakes: ['scanStats', 'dashboard'] },
} as const satisfies Record<string, NotifiedTopic | ProbedTopic>;

export type Topic = keyof typeof TOPICS;

/** The topics watched by polling instead of NOTIFY. */
export type PolledTopic = { [T in Topic]: (typeof TOPICS)[T] extends { probed: true } ? T : never }[Topic];

/** The PostgreSQL channel a topic is notified on. */
export const channelOf = (topic: Topic): string => `opsgraph_${topic}`;

/** The topics whose changes may move a subscription's value, from the catalogue. */
export function topicsWaking(subscription: LiveSubscription): Topic[] {
  return (Object.keys(TOPICS) as Topic[]).filter((topic) => (TOPICS[topic].wakes as readonly string[]).includes(subscription));
}
