// Prints the live failure badge and every change to it.
//
//   OPSGRAPH_TOKEN=… npx tsx examples/watch-failures.ts [since=1h] [TRAFFIC|FILE|EMAIL]
import { connectionFromEnv, isMain, subscribe, wsClient, type Connection } from './client.js';
import { WatchFailuresDocument, type OrchestratorKind } from './gql/graphql.js';

export interface FailureChange {
  count: number;
  /** The count before this change; null for the first value. */
  previous: number | null;
  since: string;
  kind: OrchestratorKind | null;
  asOf: string;
}

/**
 * Calls onChange with the current count, then with each change. The socket
 * reconnects by itself; onConnection reports it. Returns the function that stops.
 */
export function watchFailures(
  connection: Connection,
  args: { since: string; kind?: OrchestratorKind | null },
  onChange: (change: FailureChange) => void,
  onError: (error: Error) => void,
  onConnection: (state: 'connected' | 'reconnecting') => void = () => {},
): () => Promise<void> {
  const client = wsClient(connection, {
    connected: () => onConnection('connected'),
    closed: () => onConnection('reconnecting'),
  });
  let previous: number | null = null;
  const stop = subscribe(client, WatchFailuresDocument, { since: args.since, kind: args.kind ?? null }, {
    next: ({ failureCount }) => {
      onChange({ ...failureCount, kind: failureCount.kind ?? null, previous });
      previous = failureCount.count;
    },
    error: onError,
  });
  return async () => {
    stop();
    await client.dispose();
  };
}

function describe(change: FailureChange): string {
  const scope = change.kind ? `${change.kind} failures` : 'failures';
  const delta = change.previous === null ? '' : ` (${change.count >= change.previous ? '+' : ''}${change.count - change.previous})`;
  return `${change.asOf}  ${scope} in the last ${change.since}: ${change.count}${delta}`;
}

if (isMain(import.meta.url)) {
  const [since = '1h', kind] = process.argv.slice(2);
  const stop = watchFailures(
    connectionFromEnv(),
    { since, kind: (kind?.toUpperCase() as OrchestratorKind | undefined) ?? null },
    (change) => console.log(describe(change)),
    (error) => {
      console.error(`watch-failures: ${error.message}`);
      process.exit(1);
    },
    (state) => console.error(state === 'connected' ? '(connected)' : '(disconnected, reconnecting…)'),
  );
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
}
