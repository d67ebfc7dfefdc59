import type { Services } from '../../context.js';
import type { Channel } from './channel.js';
import { destinationPolicy, type Resolve } from './destination.js';
import { logChannel } from './log.js';
import { webhookChannel } from './webhook.js';

/** The channels this server delivers through, by the name stored in notifications.channel. */
export function createChannels(services: Services, resolve?: Resolve): ReadonlyMap<string, Channel> {
  const { webhookTimeoutMs, webhookAllowHosts } = services.config.notifications;
  return new Map<string, Channel>([
    ['WEBHOOK', webhookChannel({ timeoutMs: webhookTimeoutMs, policy: destinationPolicy(webhookAllowHosts), resolve })],
    ['LOG', logChannel(services.log)],
  ]);
}
