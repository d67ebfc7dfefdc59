import type { Services } from '../../context.js';
import type { Channel } from './channel.js';
import { destinationPolicy, type Resolve } from './destination.js';
import { logChannel } from './log.js';
import { webhookChannel } from './webhook.js';

/**
 * The channels this server delivers through, by the name stored in notifications.channel.
 * `keys` gives the webhook signing keys of the moment (src/notifications/signing.ts).
 */
export function createChannels(services: Services, keys: () => readonly Buffer[], resolve?: Resolve): ReadonlyMap<string, Channel> {
  const { webhookTimeoutMs, webhookAllowHosts } = services.config.notifications;
  return new Map<string, Channel>([
    ['WEBHOOK', webhookChannel({ timeoutMs: webhookTimeoutMs, policy: destinationPolicy(webhookAllowHosts), keys, resolve })],
    ['LOG', logChannel(services.log)],
  ]);
}
