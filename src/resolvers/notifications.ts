import DataLoader from 'dataloader';
import { loader, type Context, type Services } from '../context.js';
import { transaction } from '../db/transaction.js';
import { sharedRead } from '../db/shared-reads.js';
import { insertAudit } from '../db/audit.js';
import {
  countNotifications,
  findNotification,
  insertNotification,
  listNotifications,
  lockNotification,
  notificationsByIds,
  markRead,
  resetToPending,
  type NotificationRow,
  type NotificationStatus,
} from '../db/notifications.js';
import ipaddr from 'ipaddr.js';
import { bare, destinationPolicy } from '../notifications/channels/destination.js';
import { BadUserInputError, ConflictError, NotFoundError } from '../errors.js';
import { wakeNotificationWorkers } from '../notifications/worker.js';
import { actorOf } from './actor.js';
import { formatDuration, parseDuration } from '../duration.js';
import { insertFirstSigningSecret, liveSigningSecrets, lockCurrentSigningSecret, rotateSigningSecret } from '../db/webhook-secrets.js';
import { currentSigningSecrets, generateSigningSecret, type SigningSecret } from '../notifications/signing.js';
import { characters } from './characters.js';
import { parseSerialId } from './ids.js';
import { paginate, type Page } from './pagination.js';
import { activeTraceparent } from '../tracing/tracing.js';

export interface SendNotificationInput {
  channel: 'WEBHOOK' | 'LOG' | 'UNKNOWN';
  recipient: string;
  subject: string;
  body: string;
}

const MAX_SUBJECT = 500;
const MAX_BODY = 100_000;
const MAX_RECIPIENT = 2_048;

function validate(input: SendNotificationInput, allowHosts: readonly string[]): void {
  const invalid = (field: string, message: string) => new BadUserInputError(message, { argument: `input.${field}` });
  if (input.channel !== 'WEBHOOK' && input.channel !== 'LOG') throw invalid('channel', 'channel must be WEBHOOK or LOG');
  const subjectLength = characters(input.subject);
  if (subjectLength < 1 || subjectLength > MAX_SUBJECT) throw invalid('subject', `subject must be 1 to ${MAX_SUBJECT} characters`);
  if (characters(input.body) > MAX_BODY) throw invalid('body', `body must be at most ${MAX_BODY} characters`);
  if (characters(input.recipient) > MAX_RECIPIENT) throw invalid('recipient', `recipient must be at most ${MAX_RECIPIENT} characters`);
  for (const field of ['recipient', 'subject', 'body'] as const) {
    // PostgreSQL text cannot hold NUL.
    if (input[field].includes('\u0000')) throw invalid(field, `${field} must not contain NUL characters`);
  }
  if (input.channel === 'WEBHOOK') {
    let url: URL | null = null;
    try {
      url = new URL(input.recipient);
    } catch {
      // reported below
    }
    if (url === null || !['http:', 'https:'].includes(url.protocol) || url.hostname === '') {
      throw invalid('recipient', 'recipient must be an http(s) URL for WEBHOOK');
    }
    // A literal address is refused here already; a host name is resolved and checked at delivery.
    const host = bare(url.hostname);
    const reason = ipaddr.isValid(host) ? destinationPolicy(allowHosts).refusal(host, host) : null;
    if (reason !== null) {
      throw invalid('recipient', `recipient must be a public address (${reason}); WEBHOOK_ALLOW_HOSTS lists exceptions`);
    }
  }
}

/** Ids are bigint identities: any other string names no notification. */
const noNotification = (id: string) => new NotFoundError(`No notification ${id}`, { id });

export async function sendNotification({ sql, config }: Services, input: SendNotificationInput): Promise<NotificationRow> {
  validate(input, config.notifications.webhookAllowHosts);
  const row = await insertNotification(sql, { ...input, traceParent: activeTraceparent() });
  wakeNotificationWorkers(sql);
  return row;
}

export async function requeueNotification(ctx: Context, id: string): Promise<NotificationRow> {
  const key = parseSerialId(id);
  if (key === null) throw noNotification(id);
  const row = await transaction(ctx.sql, async (tx) => {
    const current = await lockNotification(tx, key);
    if (current === null) throw noNotification(id);
    if (current.status !== 'DEAD' && current.status !== 'FAILED') {
      throw new ConflictError(`Only a DEAD or FAILED notification can be requeued; ${id} is ${current.status}`, { status: current.status });
    }
    // A FAILED row whose retry a worker is delivering right now: its outcome decides, not a requeue racing it.
    if (current.claimed) throw new ConflictError(`Notification ${id} is being delivered right now`, { status: current.status });
    const requeued = await resetToPending(tx, key, activeTraceparent());
    await insertAudit(tx, {
      actor: actorOf(ctx),
      action: 'notification.requeue',
      target: key,
      details: { from: current.status, retryCount: current.retryCount },
    });
    return requeued;
  });
  wakeNotificationWorkers(ctx.sql);
  return row;
}

/** SENT becomes READ; an already READ one is returned as it is; any other status is CONFLICT. */
export async function markNotificationRead({ sql }: Services, id: string): Promise<NotificationRow> {
  const key = parseSerialId(id);
  if (key === null) throw noNotification(id);
  return transaction(sql, async (tx) => {
    const current = await lockNotification(tx, key);
    if (current === null) throw noNotification(id);
    if (current.status === 'READ') return (await findNotification(tx, key))!;
    if (current.status !== 'SENT') {
      throw new ConflictError(`Only a SENT notification can be marked read; ${id} is ${current.status}`, { status: current.status });
    }
    return markRead(tx, key);
  });
}

export async function notifications(
  { sql }: Services,
  args: { status?: NotificationStatus | null; first?: number | null; after?: string | null },
): Promise<Page<NotificationRow>> {
  const status = args.status ?? null;
  return paginate(
    args,
    (page) => listNotifications(sql, { ...page, status }),
    () => countNotifications(sql, status),
  );
}

export async function notification({ sql }: Services, id: string): Promise<NotificationRow | null> {
  const key = parseSerialId(id);
  return key === null ? null : findNotification(sql, key);
}

/** Query.node's notification: batched per operation, so `nodes` of many notifications is one statement. */
export function notificationById(ctx: Context, id: string): Promise<NotificationRow | null> {
  const key = parseSerialId(id);
  if (key === null) return Promise.resolve(null);
  const byId = loader(ctx, 'notifications.byId', () => new DataLoader<string, NotificationRow | null>(async (ids) => {
    const rows = new Map((await notificationsByIds(ctx.sql, ids)).map((row) => [row.id, row]));
    return ids.map((id) => rows.get(id) ?? null);
  }));
  return byId.load(key);
}

/** The two counts the dashboard shows, shared with the requests asking at the same moment (src/db/shared-reads.ts). */
const sharedCount = sharedRead('notificationCount', (sql, status: 'DEAD' | 'FAILED') => countNotifications(sql, status), (status) => status);

/** The dead letter's size, for the dashboard. */
export function deadLetterCount({ sql }: Services): Promise<number> {
  return sharedCount(sql, 'DEAD');
}

/** FAILED notifications waiting for a retry, for the dashboard. */
export function failedNotificationCount({ sql }: Services): Promise<number> {
  return sharedCount(sql, 'FAILED');
}

/** The secrets that sign webhooks now, newest first (the database's first one is made if need be). */
export function webhookSigningSecrets(services: Services): Promise<SigningSecret[]> {
  return currentSigningSecrets(services);
}

const MAX_OVERLAP_MS = 30 * 86_400_000;

/**
 * A new current secret; the previous one keeps signing beside it for `overlap`
 * (0s: it stops at once). Audited, without the secrets. CONFLICT when
 * WEBHOOK_SIGNING_SECRET sets them: that setting is rotated where it is set.
 */
export async function rotateWebhookSigningSecret(ctx: Context, args: { overlap?: string | null }): Promise<SigningSecret[]> {
  const text = args.overlap ?? '24h';
  const overlapMs = parseDuration(text);
  if (overlapMs === null || overlapMs > MAX_OVERLAP_MS) {
    throw new BadUserInputError('overlap must be a duration like 30m, 24h or 7d, at most 30d (0s: the old secret stops at once)', { argument: 'overlap' });
  }
  if (ctx.config.notifications.webhookSigningSecrets.length > 0) {
    throw new ConflictError(
      'The signing secrets come from WEBHOOK_SIGNING_SECRET: rotate by putting the new secret first in that setting, keeping the old one after it for the overlap',
      { source: 'SETTING' },
    );
  }
  return transaction(ctx.sql, async (tx) => {
    const previous = await lockCurrentSigningSecret(tx);
    // None yet (a database no server has started on): the new one is the first, with nothing to overlap.
    if (previous === null) await insertFirstSigningSecret(tx, generateSigningSecret());
    else await rotateSigningSecret(tx, generateSigningSecret(), overlapMs);
    await insertAudit(tx, {
      actor: actorOf(ctx),
      action: 'webhook.signing_secret.rotate',
      target: previous?.id ?? null,
      details: { overlap: formatDuration(overlapMs) },
    });
    const live = await liveSigningSecrets(tx);
    return live.map(({ secret, createdAt, expiresAt }) => ({ secret, source: 'DATABASE' as const, createdAt, expiresAt }));
  });
}
