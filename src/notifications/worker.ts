import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { startLoop, type BackgroundTask, type Loop } from '../loop.js';
import type { Services } from '../context.js';
import type { Sql } from '../db/client.js';
import { claimDue, finishDead, finishFailed, finishSent, type ClaimedNotification } from '../db/notifications.js';
import type { Resolve } from './channels/destination.js';
import { DeliveryFailure, type Channel } from './channels/channel.js';
import { createChannels } from './channels/index.js';
import { countNotificationsWith, deliveries } from './metrics.js';
import { ensureSigningSecret, SigningKeys } from './signing.js';
import { traceDelivery, type DeliveryOutcome } from '../tracing/deliveries.js';
import { tracing } from '../tracing/tracing.js';

/**
 * How often a worker looks for PENDING rows written by other instances (its own
 * instance wakes it at once). Cheap: one index probe on the PENDING partial index.
 */
export const PENDING_POLL_MS = 1_000;
const DEFAULT_CONCURRENCY = 16;
const MAX_ERROR_LENGTH = 2_000;

// The running loops of this process, by the pool they deliver from, so a write
// through that pool can wake them.
const loopsBySql = new WeakMap<Sql, Set<Loop>>();

/** Asks this process's workers on `sql` to sweep now rather than at their next poll. */
export function wakeNotificationWorkers(sql: Sql): void {
  for (const loop of loopsBySql.get(sql) ?? []) loop.wake();
}

export interface NotificationWorkerOptions {
  /** Stored in claimed_by; unique per worker, so a finish can tell its own claim from another's. */
  id?: string;
  /** Deliveries in flight at once. */
  concurrency?: number;
  /** The DNS resolver webhooks use; tests replace it to play a rebinding DNS server. */
  resolve?: Resolve;
  /** Sign webhooks (the default). Off only for the bench's baseline: every server signs. */
  sign?: boolean;
}

/**
 * Delivers the outbox. Any number of workers, in any number of processes, may
 * run against one database: rows are claimed (claimed_by, claimed_until) with
 * FOR UPDATE SKIP LOCKED in a short transaction, delivered outside it, and
 * finished by a statement that applies only while the claim is still this
 * worker's. A worker that dies leaves a claim that expires after
 * NOTIFICATION_CLAIM_TTL, and the row is delivered again: at least once.
 */
export class NotificationWorker {
  readonly id: string;
  private readonly concurrency: number;
  private readonly channels: ReadonlyMap<string, Channel>;
  private readonly keys: SigningKeys | null;
  private lastRetrySweep = -Infinity;
  private loop: Loop | null = null;

  constructor(
    private readonly services: Services,
    options: NotificationWorkerOptions = {},
  ) {
    this.id = options.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.keys = options.sign === false ? null : new SigningKeys(services);
    const keys = this.keys;
    this.channels = createChannels(services, keys === null ? () => [] : () => keys.now(), options.resolve);
  }

  /**
   * Every PENDING row; and, once per NOTIFICATION_RETRY_INTERVAL, every FAILED
   * row that is due, all of them in this one sweep, in claims of a few rows at
   * a time, at the rate deliveries complete. PENDING rows written meanwhile
   * still go out promptly: every refill of the delivery slots looks at both
   * queues (see drain).
   */
  async sweep(signal?: AbortSignal): Promise<void> {
    const retries = Date.now() - this.lastRetrySweep >= this.services.config.notifications.retryIntervalMs;
    if (retries) this.lastRetrySweep = Date.now();
    await this.drain(retries ? 'both' : 'pending', signal);
  }

  /**
   * Claims and delivers rows until none is left (or `max` were claimed),
   * keeping up to `concurrency` deliveries in flight and refilling the slots
   * once half are free. With 'both', each refill claims from both queues, the
   * two taking turns at going first, so a backlog of retries never holds up a
   * new notification by more than a few deliveries, and a flood of new ones
   * never starves the retries. Once `signal` aborts it claims no more but
   * finishes what it holds. Returns how many rows it claimed.
   */
  async drain(queue: 'pending' | 'retries' | 'both', signal?: AbortSignal, max = Infinity): Promise<number> {
    const { claimTtlMs } = this.services.config.notifications;
    const inFlight = new Set<Promise<void>>();
    const order: ('pending' | 'retries')[] = queue === 'both' ? ['pending', 'retries'] : [queue];
    let claimed = 0;
    // The signing secrets of this moment: a rotation on any instance is signed with from the next drain on.
    await this.keys?.refresh();
    try {
      while (!signal?.aborted && claimed < max) {
        await this.keys?.refresh();
        let got = 0;
        for (const which of order) {
          const free = Math.min(this.concurrency - inFlight.size, max - claimed);
          if (free <= 0) break;
          const rows = await claimDue(this.services.sql, {
            worker: this.id,
            ttlMs: claimTtlMs,
            limit: free,
            retries: which === 'retries',
          });
          got += rows.length;
          claimed += rows.length;
          for (const row of rows) {
            const delivery: Promise<void> = this.deliver(row).finally(() => inFlight.delete(delivery));
            inFlight.add(delivery);
          }
        }
        if (got === 0) break;
        order.reverse();
        // Refill once half the slots are free: one slow webhook does not hold up the rest.
        while (inFlight.size > this.concurrency / 2) await Promise.race(inFlight);
      }
    } finally {
      await Promise.all(inFlight);
    }
    return claimed;
  }

  /** Never rejects; with tracing on, a span per attempt in the trace of the request that queued it. */
  private async deliver(row: ClaimedNotification): Promise<void> {
    await (tracing() === null ? this.attempt(row) : traceDelivery(row, () => this.attempt(row)));
  }

  /** Never rejects: a finish that cannot be written leaves the claim to expire, and the row is retried. Resolves with the outcome. */
  private async attempt(row: ClaimedNotification): Promise<DeliveryOutcome> {
    const { sql, log, config } = this.services;
    const channel = this.channels.get(row.channel);
    try {
      if (channel === undefined) {
        // Retrying cannot help: it goes straight to the dead letter, without counting an attempt.
        const error = unknownChannelError(row.channel, [...this.channels.keys()]);
        await finishDead(sql, row.id, this.id, error, 'UNKNOWN_CHANNEL');
        deliveries.inc({ channel: 'unknown', outcome: 'dead' });
        log.warn({ notification: row.id, channel: row.channel }, 'notification has an unknown channel; it is DEAD');
        return 'dead';
      }
      const failure = await channel(row).then(
        () => null,
        (failure: unknown) => failure,
      );
      if (failure === null) {
        const applied = await finishSent(sql, row.id, this.id);
        deliveries.inc({ channel: row.channel, outcome: 'sent' });
        if (!applied) log.warn({ notification: row.id }, 'notification sent after its claim passed to another worker');
        return 'sent';
      }
      const error = (failure instanceof Error ? failure.message : String(failure)).slice(0, MAX_ERROR_LENGTH);
      const details = failure instanceof DeliveryFailure ? failure.details : {};
      if (details.gone) {
        // 410 Gone: the receiver says stop. Retrying cannot help; requeueing can, once it wants them again.
        await finishDead(sql, row.id, this.id, error, 'GONE');
        deliveries.inc({ channel: row.channel, outcome: 'dead' });
        log.warn({ notification: row.id }, 'the webhook receiver answered 410 Gone; the notification is DEAD');
        return 'dead';
      }
      const status = await finishFailed(sql, row.id, this.id, {
        error,
        maxAttempts: config.notifications.maxAttempts,
        unitMs: config.notifications.backoffUnitMs,
        capMs: config.notifications.backoffCapMs,
        retryAfterMs: details.retryAfterMs ?? null,
      });
      deliveries.inc({ channel: row.channel, outcome: status === 'DEAD' ? 'dead' : 'failed' });
      if (status === 'DEAD') log.warn({ notification: row.id, error }, 'notification is DEAD after its last attempt');
      else log.info({ notification: row.id, error }, 'notification delivery failed; it will be retried');
      return status === 'DEAD' ? 'dead' : 'failed';
    } catch (error) {
      log.error({ err: error, notification: row.id }, 'could not record a delivery; it is retried once its claim expires');
      return 'unrecorded';
    }
  }

  /** Sweeps every PENDING_POLL_MS (or the retry interval, if shorter) until stopped; stop() finishes deliveries in flight. */
  start(): Loop {
    const { config, log, sql } = this.services;
    const interval = Math.min(PENDING_POLL_MS, config.notifications.retryIntervalMs);
    const loop = startLoop('notifications', interval, (signal) => this.sweep(signal), (error) =>
      log.error({ err: error }, 'notification sweep failed'),
    );
    this.loop = loop;
    const loops = loopsBySql.get(sql) ?? new Set<Loop>();
    loopsBySql.set(sql, loops.add(loop));
    return {
      ...loop,
      stop: async () => {
        loops.delete(loop);
        await loop.stop();
      },
    };
  }
}

/** What an operator reads in lastError: which channel, why retrying cannot help, and what will. */
export function unknownChannelError(channel: string, known: string[]): string {
  const name = JSON.stringify(channel.slice(0, 100));
  return `unknown channel ${name}: this server delivers only through ${known.join(' and ')}; ` +
    'requeueing it sends it again only once that channel is back';
}

/** The background starter: null when NOTIFICATION_WORKER is off. */
export function startNotificationWorker(services: Services): BackgroundTask | null {
  // Every app exports the outbox gauge, whether or not it delivers.
  countNotificationsWith(services.sql);
  announceSigning(services);
  if (!services.config.notifications.worker) return null;
  return new NotificationWorker(services).start();
}

/**
 * Makes the database's first signing secret on first start (unless WEBHOOK_SIGNING_SECRET sets
 * them), so every instance signs with the same one, and says where a receiver's owner reads it.
 */
function announceSigning(services: Services): void {
  const { config, log, sql } = services;
  const fromSetting = config.notifications.webhookSigningSecrets.length;
  const where =
    'Receivers verify them with the secret that `npm run webhook-secret` prints (or the webhookSigningSecrets query, SUPERADMIN); docs/notifications.md shows how';
  if (fromSetting > 0) {
    log.info(`webhooks are signed (Standard Webhooks) with the ${fromSetting} secret(s) of WEBHOOK_SIGNING_SECRET. ${where}`);
    return;
  }
  ensureSigningSecret(sql).then(
    () => log.info(`webhooks are signed (Standard Webhooks) with a secret kept in the database. ${where}`),
    (error) => log.warn({ err: error }, 'could not make the webhook signing secret yet; the worker makes it before its first delivery'),
  );
}
