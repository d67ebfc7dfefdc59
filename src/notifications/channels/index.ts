import type { Services } from '../../context.js';
import type { ClaimedNotification } from '../../db/notifications.js';
import { logChannel } from './log.js';
import { webhookChannel } from './webhook.js';

/** Delivers one notification; resolves on success, throws an Error whose message becomes lastError. */
export type Channel = (notification: ClaimedNotification) => Promise<void>;

/** The channels this server delivers through, by the name stored in notifications.channel. */
export function createChannels(services: Services): ReadonlyMap<string, Channel> {
  return new Map<string, Channel>([
    ['WEBHOOK', webhookChannel(services.config.notifications.webhookTimeoutMs)],
    ['LOG', logChannel(services.log)],
  ]);
}
