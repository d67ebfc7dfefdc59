import { defineConfig } from 'vitest/config';
import { findTool } from './scripts/fleet/tools.js';

// Node loads graphql 16 as CommonJS for the libraries; make vite load the same
// copy for our code, or graphql sees two realms.
const resolve = { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] };

const shared = {
  // An unhandled rejection fails the test file it happened in.
  setupFiles: ['test/setup/unhandled-rejections.ts'],
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
  // Two cores: more workers than that only adds contention with PostgreSQL.
  maxWorkers: 2,
};

/**
 * The API's own tests a second time, every server behind PgBouncer in transaction mode (issue 25 (a)):
 * every mutation, every badge query, every subscription (graphql-ws and SSE), kill signals and their
 * replay across instances, the notification worker and the reaper. Left out: the files that measure
 * timing or load (scans-concurrency, *-concurrency, shared-reads, live-fanout: the pooler's extra hop
 * changes what they measure, not what they check), and those that run a PostgreSQL of their own
 * (faults, outage, kill-feed-outage) or spawn `npm start` (shutdown): their servers are not on the
 * run's database, so the pooler would not be in front of them anyway.
 */
const THROUGH_POOLER = [
  'test/scans.test.ts',
  'test/failures.test.ts',
  'test/failures-rebalance.test.ts',
  'test/jobs.test.ts',
  'test/jobs-executions.test.ts',
  'test/jobs-live.test.ts',
  'test/jobs-reaper.test.ts',
  'test/notifications.test.ts',
  'test/notifications-delivery.test.ts',
  'test/subscriptions.test.ts',
  'test/sse.test.ts',
  'test/kill-replay.test.ts',
  // The badge page's API (issue 30): its three subscriptions on one socket hung behind PgBouncer once.
  'test/failure-series.test.ts',
  'test/failure-series-live.test.ts',
  'test/job-list-live.test.ts',
  'test/live-leader-dashboard.test.ts',
];

// Debian's pgbouncer runs the "pooler" project. CI installs it (.ci/run), and there a missing one fails the
// run; elsewhere the project is left out, saying so, as test/browser.test.ts does without Chromium.
async function poolerProjectRuns(): Promise<boolean> {
  return findTool('pgbouncer').then(
    () => true,
    (error: Error) => {
      if (process.env.CI) throw error;
      console.warn(`vitest: the "pooler" project (the API's tests through PgBouncer) is skipped: ${error.message}`);
      return false;
    },
  );
}

export default defineConfig(async () => {
  const pooler = await poolerProjectRuns();
  return {
    resolve,
    test: {
      ...shared,
      projects: [
        {
          resolve,
          test: {
            ...shared,
            name: 'default',
            include: ['test/**/*.test.ts'],
            // test/fleet/ runs PgBouncer (and HAProxy) for real: left out where the pooler project is.
            exclude: pooler ? [] : ['test/fleet/**'],
            globalSetup: ['test/global-setup.ts'],
          },
        },
        ...(pooler
          ? [
              {
                resolve,
                test: {
                  ...shared,
                  name: 'pooler',
                  include: THROUGH_POOLER,
                  // The same PostgreSQL as the default project's (test/global-setup.ts shares it), and one
                  // PgBouncer in front of it whose port makes test/helpers.ts route every server through it.
                  globalSetup: ['test/global-setup.ts', 'test/fleet/pooler-global-setup.ts'],
                },
              },
            ]
          : []),
      ],
    },
  };
});
