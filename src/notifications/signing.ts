// Standard Webhooks v1 (https://www.standardwebhooks.com): every webhook carries
// webhook-id (the notification's id, the same on every attempt),
// webhook-timestamp (the attempt's Unix seconds) and webhook-signature, one
// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per live secret, separated
// by spaces, so a receiver can switch secrets without a gap.
// test/notifications-signing.test.ts verifies every one with the
// `standardwebhooks` package, the receivers' reference library.
import { createHmac, randomBytes } from 'node:crypto';
import type { Services } from '../context.js';
import type { Sql } from '../db/client.js';
import { insertFirstSigningSecret, liveSigningSecrets } from '../db/webhook-secrets.js';

export const SECRET_PREFIX = 'whsec_';
/** The spec asks for 24 to 64 bytes of key; opsgraph generates 32. */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;

/** A new secret: `whsec_` and 32 random bytes in base64. */
export function generateSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The HMAC key a `whsec_…` secret holds, or null if it is not one. */
export function signingKey(secret: string): Buffer | null {
  if (!secret.startsWith(SECRET_PREFIX)) return null;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return null;
  const key = Buffer.from(encoded, 'base64');
  return key.length >= MIN_KEY_BYTES && key.length <= MAX_KEY_BYTES ? key : null;
}

/** The webhook-signature header: one v1 signature per key, over the exact bytes sent. */
export function signatureHeader(keys: readonly Buffer[], id: string, timestamp: number, payload: Buffer): string {
  const prefix = `${id}.${timestamp}.`;
  return keys.map((key) => `v1,${createHmac('sha256', key).update(prefix).update(payload).digest('base64')}`).join(' ');
}

export interface SigningSecret {
  secret: string;
  /** SETTING: WEBHOOK_SIGNING_SECRET; DATABASE: generated and kept in webhook_signing_secrets. */
  source: 'SETTING' | 'DATABASE';
  createdAt: Date | null;
  /** null: current; otherwise it signs beside the current one until then. */
  expiresAt: Date | null;
}

/** Makes the first secret if the database has none (every instance may call it; one wins). */
export async function ensureSigningSecret(sql: Sql): Promise<void> {
  await insertFirstSigningSecret(sql, generateSigningSecret());
}

/** The secrets that sign now, newest first: WEBHOOK_SIGNING_SECRET's, or the database's (made on first use). */
export async function currentSigningSecrets({ sql, config }: Services): Promise<SigningSecret[]> {
  const fromSetting = config.notifications.webhookSigningSecrets;
  if (fromSetting.length > 0) return fromSetting.map((secret) => ({ secret, source: 'SETTING', createdAt: null, expiresAt: null }));
  let rows = await liveSigningSecrets(sql);
  if (rows.length === 0) {
    await ensureSigningSecret(sql);
    rows = await liveSigningSecrets(sql);
  }
  return rows.map(({ secret, createdAt, expiresAt }) => ({ secret, source: 'DATABASE', createdAt, expiresAt }));
}

/** How often a worker rereads the database's secrets while it drains (and at the start of every drain). */
const REFRESH_MS = 1_000;

/**
 * A worker's keys: WEBHOOK_SIGNING_SECRET's, or the database's, reread at the
 * start of every drain and at most every second during one, so a rotation on
 * any instance is signed with within about a second. A secret whose overlap
 * ends stops signing at that moment (measured on the database clock), whether
 * or not the list was reread since.
 */
export class SigningKeys {
  private keys: { key: Buffer; until: number }[] = [];
  private readAt = -Infinity;

  constructor(private readonly services: Services) {
    const fromSetting = services.config.notifications.webhookSigningSecrets;
    if (fromSetting.length > 0) {
      this.keys = fromSetting.map((secret) => ({ key: signingKey(secret)!, until: Infinity }));
      this.readAt = Infinity;
    }
  }

  /** Rereads the database's secrets if `force` or a second has passed; a failure keeps the keys it has, if any. */
  async refresh(force = false): Promise<void> {
    if (this.readAt === Infinity || (!force && Date.now() - this.readAt < REFRESH_MS)) return;
    const started = Date.now();
    try {
      let rows = await liveSigningSecrets(this.services.sql);
      if (rows.length === 0) {
        await ensureSigningSecret(this.services.sql);
        rows = await liveSigningSecrets(this.services.sql);
      }
      this.keys = rows.flatMap(({ secret, remainingMs }) => {
        const key = signingKey(secret);
        return key === null ? [] : [{ key, until: remainingMs === null ? Infinity : started + remainingMs }];
      });
      this.readAt = started;
    } catch (error) {
      if (this.keys.length === 0) throw error;
      this.services.log.warn({ err: error }, 'could not reread the webhook signing secrets; signing with those read before');
    }
  }

  /** The keys that sign an attempt made now, newest first. */
  now(): Buffer[] {
    const now = Date.now();
    return this.keys.filter(({ until }) => until > now).map(({ key }) => key);
  }
}
