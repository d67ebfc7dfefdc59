import { formatDuration } from '../../duration.js';
import { longTimeoutSignal } from '../../timers.js';
import type { Channel } from './index.js';

/**
 * POSTs `{id, subject, body}` as JSON to the recipient URL. Any 2xx is success;
 * anything else, a network error, or no response within `timeoutMs` is a failure.
 * Redirects are not followed: a webhook that moved has failed until its URL is fixed.
 */
export function webhookChannel(timeoutMs: number): Channel {
  return async ({ id, recipient, subject, body }) => {
    let response: Response;
    try {
      response = await fetch(recipient, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'opsgraph-notifications' },
        body: JSON.stringify({ id, subject, body }),
        redirect: 'manual',
        signal: longTimeoutSignal(timeoutMs),
      });
      // Read the body to the end so the keep-alive connection returns to the pool.
      await response.arrayBuffer();
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError') throw new Error(`webhook timed out after ${formatDuration(timeoutMs)}`);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`webhook request failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    if (response.status < 200 || response.status > 299) {
      throw new Error(`webhook answered HTTP ${response.status}`);
    }
  };
}
