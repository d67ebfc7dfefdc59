import type { Services } from '../../context.js';
import type { ClaimedNotification } from '../../db/notifications.js';
import { destinationPolicy, type Resolve } from './destination.js';
import { logChannel } from './log.js';
import { webhookChannel } from './webhook.js';

/** Delivers one notification; resolves on success, throws an Error whose message becomes lastError. */
export type Channel = (notification: ClaimedNotification) => Promise<void>;

/** The channels this server delivers through, by the name stored in notifications.channel. */
export function createChannels(services: Services, resolve?: Resolve): ReadonlyMap<string, Channel> {
  const { webhookTimeoutMs, webhookAllowHosts } = services.config.notifications;
  return new Map<string, Channel>([
    ['WEBHOOK', webhookChannel({ timeoutMs: webhookTimeoutMs, policy: destinationPolicy(webhookAllowHosts), resolve })],
    ['LOG', logChannel(services.log)],
  ]);
}
