// The operations test/clients/relay-store.test.ts runs through relay-runtime, as
// a Relay app writes them: relay-compiler reads this file (never imported at
// run time: without Relay's Babel plugin the graphql tag throws) and writes the
// artefacts the test imports into __generated__/. Regenerate with
//   npx relay-compiler test/clients/relay/relay.config.json
// (the test fails, with --validate, when they are not what the compiler writes now).
import { graphql } from 'relay-runtime';

export const documents = [
  // Natural keys that collide on purpose: job "1", its live counts, schedule "1",
  // execution 1 and notification 1, all in one store keyed by id alone.
  graphql`
    query relayStoreCollisionsQuery($notification: ID!) {
      jobs {
        id
        rowId
        version
        live {
          id
          rowId
          running
          pending
        }
      }
      notification(id: $notification) {
        id
        rowId
        status
        subject
      }
      executions(jobId: "1") {
        nodes {
          id
          rowId
          status
          jobId
        }
      }
      schedules {
        id
        rowId
        cron
        jobId
      }
    }
  `,
  graphql`
    fragment relayStore_job on Job @refetchable(queryName: "relayStoreJobRefetchQuery") {
      id
      version
      description
      live {
        id
        running
        pending
      }
    }
  `,
  graphql`
    query relayStoreJobsQuery {
      jobs {
        id
        ...relayStore_job
      }
    }
  `,
  graphql`
    fragment relayStore_badge on FailureCount @refetchable(queryName: "relayStoreBadgeRefetchQuery") {
      id
      count
    }
  `,
  graphql`
    query relayStoreBadgesQuery {
      failureCount(since: "1h") {
        id
        count
        ...relayStore_badge
      }
      dashboard {
        id
        failureCount {
          id
          count
        }
      }
    }
  `,
  graphql`
    subscription relayStoreFailuresSubscription {
      failureCount(since: "60m") {
        id
        count
      }
    }
  `,
];
