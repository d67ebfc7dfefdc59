import { GraphQLError } from 'graphql';
import { maskError, type Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.js';

// postgres.js connection failures and PostgreSQL's "shutting down / cannot connect now" states.
const DATABASE_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);

/**
 * Domain errors pass through; a database outage becomes a clear, retryable
 * SERVICE_UNAVAILABLE; anything else is logged in full and masked.
 */
export function errorMasking(log: Logger) {
  return {
    maskError(error: unknown, message: string, isDev?: boolean): Error {
      const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
      if (original instanceof GraphQLError) return maskError(error, message, isDev);
      const code = (original as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && DATABASE_UNAVAILABLE.has(code)) {
        return new GraphQLError('The database is unavailable; try again shortly', {
          path: error instanceof GraphQLError ? error.path : undefined,
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        });
      }
      log.error({ err: original }, 'internal error (masked for the client)');
      return maskError(error, message, isDev);
    },
  };
}

/**
 * yoga answers a body that is not JSON with `extensions.originalError`: the
 * parser's message, which quotes the body back. It never reaches a client:
 * the property stays (non-enumerable) for yoga's own choice of status code
 * (400 rather than 200), and serialisation, which copies enumerable
 * properties only, leaves it out.
 */
export function hideOriginalErrors(): Plugin {
  return {
    onResultProcess: ({ result }) => {
      const results = Array.isArray(result) ? result : [result];
      for (const single of results) {
        if (Symbol.asyncIterator in single) continue;
        for (const error of single.errors ?? []) {
          const extensions = error.extensions as Record<string, unknown> | undefined;
          if (extensions && Object.prototype.propertyIsEnumerable.call(extensions, 'originalError')) {
            Object.defineProperty(extensions, 'originalError', { value: extensions.originalError, enumerable: false });
          }
        }
      }
    },
  };
}
