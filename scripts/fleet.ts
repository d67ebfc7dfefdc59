// `npm run fleet`: opsgraph as a fleet on one machine, for trying it and for the tests (README "Run a
// fleet locally"). FLEET_INSTANCES instances (default 3) behind HAProxy on FLEET_PORT (default 4000),
// PgBouncer in transaction mode in front of the database. SIGHUP rolls a restart through the
// instances; an instance that exits (killed by someone, or crashed) is started again on its port;
// Ctrl-C (SIGINT) or SIGTERM stops everything it started and exits 0. FLEET_STATE_FILE, when set,
// is JSON kept current: each instance's pid and port, the balancer's and the pooler's, the token.
import { ConfigError } from '../src/config.js';
import { EmbeddedPostgresError } from '../src/db/embedded.js';
import { Fleet } from './fleet/fleet.js';
import { MissingToolError } from './fleet/tools.js';

const say = (line: string) => process.stdout.write(line + '\n');

let fleet: Fleet;
try {
  fleet = new Fleet(process.env, say);
} catch (error) {
  console.error(`fleet: ${(error as Error).message}`);
  process.exit(1);
}

// Installed first, so Ctrl-C during the start stops what has started too. Only ours: the embedded
// PostgreSQL's package adds handlers that would exit at once, under instances still running.
const ours = new Set<(...args: unknown[]) => void>();
const on = (signal: NodeJS.Signals, handler: () => void) => (ours.add(handler), process.on(signal, handler));
const dropForeignHandlers = () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    for (const listener of process.listeners(signal)) if (!ours.has(listener as never)) process.off(signal, listener);
  }
};
let exiting = false;
const stopAndExit = (code: number, announce = true) => {
  if (exiting) return say('fleet: already stopping');
  exiting = true;
  if (announce) say('fleet: stopping the instances, HAProxy, PgBouncer and the database');
  void fleet.stop().then(() => process.exit(code));
};
on('SIGINT', () => stopAndExit(0));
on('SIGTERM', () => stopAndExit(0));
on('SIGHUP', () => {
  if (exiting) return;
  if (fleet.rollingRestartRunning) return say('fleet: a rolling restart is already running');
  fleet.rollingRestart().catch((error) => say(`fleet: rolling restart failed: ${(error as Error).message}`));
});
// The terminal went away (EIO, EPIPE): nobody can stop the fleet any more, so it stops itself.
process.stdout.on('error', () => stopAndExit(1));

try {
  await fleet.start();
  dropForeignHandlers();
} catch (error) {
  dropForeignHandlers();
  if (!exiting) {
    const known = error instanceof MissingToolError || error instanceof ConfigError || error instanceof EmbeddedPostgresError;
    console.error(known ? `fleet: ${(error as Error).message}` : error);
    // Whatever had started is stopped quietly: the line above is what the user needs to read.
    stopAndExit(1, false);
  }
}

if (!exiting) {
  const origin = `http://localhost:${fleet.settings.port}`;
  say(
    [
      '',
      `opsgraph fleet is up at ${fleet.url}: ${fleet.instances.length} instances behind HAProxy, PgBouncer (transaction mode) in front of ${fleet.database}.`,
      '',
      `  badge page   ${origin}/`,
      `  GraphQL      ${fleet.url} (HTTP, graphql-ws and SSE)`,
      `  instances    ${fleet.instances.map((i) => `${i.name} 127.0.0.1:${i.port} (pid ${i.pid})`).join(', ')}`,
      `  PgBouncer    127.0.0.1:${fleet.pooler!.port}; LISTEN goes to the database directly`,
      ...(fleet.settings.stateFile ? [`  state file   ${fleet.settings.stateFile}`] : []),
      '',
      ...(fleet.token
        ? [
            'Paste this into GraphiQL\'s Headers tab (or the token alone into the badge page); every instance accepts it:',
            '',
            `  { "Authorization": "Bearer ${fleet.token}" }`,
            '',
          ]
        : ['JWT_JWKS_URL is set: use a token from your identity provider.', '']),
      `\`kill -HUP ${process.pid}\` restarts the instances one by one, as a deploy would; an instance that exits is started again. Ctrl-C stops everything.`,
      '',
    ].join('\n'),
  );
}
