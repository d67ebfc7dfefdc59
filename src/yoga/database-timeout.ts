import { GraphQLError, Kind, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';
import { formatDuration } from '../duration.js';
import { setLongTimeout } from '../timers.js';

/**
 * A database that hangs (paused, or cut off without a reset) leaves postgres.js
 * waiting with no end, and the request with it. Queries and mutations that
 * have no answer after DATABASE_TIMEOUT get SERVICE_UNAVAILABLE instead. A
 * mutation's transaction may still commit once the database answers again,
 * so the message says so. Subscriptions keep waiting: their first value (or
 * next one) comes when the database answers.
 */
export function databaseTimeoutPlugin(ms: number): Plugin<Context> {
  return {
    onExecute: ({ executeFn, setExecuteFn, args }) => {
      const mutation = (args.document as DocumentNode).definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'mutation');
      setExecuteFn((executeArgs) => {
        let timer: { clear(): void } | undefined;
        const timeout = new Promise<ExecutionResult>((resolve) => {
          timer = setLongTimeout(
            () =>
              resolve({
                errors: [
                  new GraphQLError(
                    `The database did not answer within ${formatDuration(ms)}; try again shortly` +
                      (mutation ? ' (the change may still be applied once it answers)' : ''),
                    { extensions: { code: 'SERVICE_UNAVAILABLE' } },
                  ),
                ],
              }),
            ms,
          );
        });
        const result = Promise.resolve(executeFn(executeArgs) as Promise<ExecutionResult>);
        return Promise.race([result, timeout]).finally(() => timer?.clear()) as never;
      });
    },
  };
}
