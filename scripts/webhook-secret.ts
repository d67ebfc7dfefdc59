// npm run webhook-secret: prints the secrets that sign webhooks now, newest
// (current) first, one per line on stdout, so that
//   WEBHOOK_SECRET="$(npm run -s webhook-secret)"
// hands them to a receiver. They come from WEBHOOK_SIGNING_SECRET when it is set,
// otherwise from the database `npm start` uses (DATABASE_URL, or the embedded
// one in DATA_DIR, running or not), where the first start made one.
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { currentSigningSecrets } from '../src/notifications/signing.js';
import { openDatabase } from './database.js';

const config = loadConfig();
const db = config.notifications.webhookSigningSecrets.length > 0 ? null : await openDatabase();
try {
  const secrets = await currentSigningSecrets({ sql: db?.sql as never, config, log: createLogger('silent') });
  for (const secret of secrets) console.log(secret.secret);
  const where = secrets[0]!.source === 'SETTING' ? 'WEBHOOK_SIGNING_SECRET' : 'the database';
  const overlap = secrets
    .filter((secret) => secret.expiresAt !== null)
    .map((secret) => `  ${secret.secret.slice(0, 12)}… signs until ${secret.expiresAt!.toISOString()}`);
  console.error(
    [
      `${secrets.length === 1 ? 'The secret' : `${secrets.length} secrets, the current one first,`} from ${where}.`,
      ...(overlap.length > 0 ? ['Rotated: the older ones sign beside the current one until their overlap ends:', ...overlap] : []),
      'Receivers verify webhook-signature with it (docs/notifications.md); a SUPERADMIN rotates it with rotateWebhookSigningSecret.',
    ].join('\n'),
  );
} finally {
  await db?.close();
}
