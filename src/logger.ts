import pino from 'pino';

export type Logger = pino.Logger;

/**
 * `sync: false` buffers lines and writes them from the event loop (pino.destination; flushed on exit)
 * instead of one write(2) per line on the request's path (LOG_SYNC, bench/README.md "Issue 20").
 */
export function createLogger(level: string, options: { sync?: boolean } = {}): Logger {
  const base = { level, base: { service: 'opsgraph' } };
  return options.sync === false ? pino(base, pino.destination({ dest: 1, sync: false })) : pino(base);
}
