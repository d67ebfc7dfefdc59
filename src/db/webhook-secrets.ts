import type { Sql } from './client.js';

export interface SigningSecretRow {
  id: string;
  secret: string;
  createdAt: Date;
  /** null: the current secret; otherwise it signs until then (a rotation's overlap). */
  expiresAt: Date | null;
  /** Milliseconds it still signs for, on the database clock; null for the current one. */
  remainingMs: number | null;
}

const COLUMNS = (sql: Sql) => sql`
  id::text, secret, created_at as "createdAt", expires_at as "expiresAt",
  (extract(epoch from expires_at - now()) * 1000)::float8 as "remainingMs"`;

/** Inserts `secret` as the current one unless there is one already (a unique index settles a race). */
export async function insertFirstSigningSecret(sql: Sql, secret: string): Promise<void> {
  await sql`
    insert into webhook_signing_secrets (secret)
    select ${secret} where not exists (select 1 from webhook_signing_secrets where expires_at is null)
    on conflict do nothing`;
}

/** The secrets that sign now: the current one and those whose overlap has not ended, newest first. */
export async function liveSigningSecrets(sql: Sql): Promise<SigningSecretRow[]> {
  return sql<SigningSecretRow[]>`
    select ${COLUMNS(sql)} from webhook_signing_secrets
    where expires_at is null or expires_at > now()
    order by id desc`;
}

/** Locks the current secret for the caller's transaction (a rotation), or null if there is none yet. */
export async function lockCurrentSigningSecret(sql: Sql): Promise<{ id: string } | null> {
  const [row] = await sql<{ id: string }[]>`
    select id::text from webhook_signing_secrets where expires_at is null for update`;
  return row ?? null;
}

/** The current secret signs `overlapMs` longer, beside `secret`, which becomes the current one. */
export async function rotateSigningSecret(sql: Sql, secret: string, overlapMs: number): Promise<void> {
  await sql`
    update webhook_signing_secrets set expires_at = now() + ${overlapMs} * interval '1 millisecond'
    where expires_at is null`;
  await sql`insert into webhook_signing_secrets (secret) values (${secret})`;
}
