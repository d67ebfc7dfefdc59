import type { ClaimedNotification } from '../../db/notifications.js';

/** Delivers one notification; resolves on success, throws an Error whose message becomes lastError. */
export type Channel = (notification: ClaimedNotification) => Promise<void>;

/**
 * A failed attempt that says more than "retry on the schedule": the receiver
 * answered 410 Gone (`gone`: no further attempt), or 429/503 with Retry-After
 * (`retryAfterMs`: the next attempt no sooner, capped at the backoff cap).
 */
export class DeliveryFailure extends Error {
  constructor(
    message: string,
    readonly details: { gone?: boolean; retryAfterMs?: number } = {},
  ) {
    super(message);
  }
}
