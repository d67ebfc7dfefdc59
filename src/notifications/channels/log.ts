import type { Logger } from '../../logger.js';
import type { Channel } from './channel.js';

/** Writes the notification to the server log; it cannot fail. */
export function logChannel(log: Logger): Channel {
  return async ({ id, recipient, subject, body }) => {
    log.info({ notification: { id, recipient, subject, body } }, 'notification');
  };
}
