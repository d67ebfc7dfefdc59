import { GraphQLError } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';

/** Beyond this many operations an array is not a client's batch but abuse: yoga refuses it whole with 413. */
export const BATCH_HARD_CAP = 100;

const OVER = Symbol('batch over the limit');

/**
 * Request batching (a JSON array of operations, as Apollo's BatchHttpLink
 * sends) up to `max` operations. A longer batch runs none of its operations,
 * and each gets the refusal as its own result: a batching client shows every
 * query failing with this message, where a single error object would only
 * make it complain that the server "returned results with length 1".
 */
export function batchLimit(max: number): Plugin {
  return {
    onRequestParse: () => ({
      onRequestParseDone({ requestParserResult, setRequestParserResult }) {
        if (Array.isArray(requestParserResult) && requestParserResult.length > max) {
          const size = requestParserResult.length;
          setRequestParserResult(requestParserResult.map(() => ({ [OVER]: size }) as unknown as GraphQLParams));
        }
      },
    }),
    onParams({ params }) {
      const size = (params as { [OVER]?: number })[OVER];
      if (size !== undefined) {
        throw new GraphQLError(`Batching is limited to ${max} operations per request; this batch has ${size}, and none of them ran.`, {
          extensions: { code: 'BATCH_LIMIT_EXCEEDED' },
        });
      }
    },
  };
}
