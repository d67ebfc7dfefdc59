import http from 'node:http';
import https from 'node:https';
import { formatDuration } from '../../duration.js';
import { checkDestination, DestinationRefused, guardedLookup, systemResolve, type DestinationPolicy, type Resolve } from './destination.js';
import { setLongTimeout } from '../../timers.js';
import type { Channel } from './channel.js';

export interface WebhookOptions {
  timeoutMs: number;
  policy: DestinationPolicy;
  /** The DNS resolver; tests replace it. */
  resolve?: Resolve;
}

/**
 * What lastError says about a failed delivery: a category, never the socket
 * error itself. Every VIEWER reads lastError, and errno codes and parser
 * messages would tell open, closed, filtered and non-HTTP ports apart.
 */
function category(error: unknown, timeoutMs: number): string {
  if (error instanceof DestinationRefused) return error.message;
  if ((error as Error).name === 'TimeoutError') return `timeout after ${formatDuration(timeoutMs)}`;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  return 'connection failed';
}

/**
 * POSTs `{id, subject, body}` as JSON to the recipient URL. Any 2xx is success;
 * anything else, a network error, or no response within `timeoutMs` is a failure.
 * Redirects are not followed: a webhook that moved has failed until its URL is
 * fixed (and a redirect could point anywhere). The destination is checked
 * before sending and again by the socket's own lookup when it connects.
 */
export function webhookChannel(options: WebhookOptions): Channel {
  const resolve = options.resolve ?? systemResolve;
  const lookup = guardedLookup(options.policy, resolve);
  const agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };
  return async ({ id, recipient, subject, body }) => {
    let status: number;
    try {
      const url = new URL(recipient);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DestinationRefused('not an http(s) URL');
      await checkDestination(options.policy, resolve, url.hostname);
      status = await post(url, JSON.stringify({ id, subject, body }), options.timeoutMs, agents[url.protocol], lookup);
    } catch (error) {
      throw new Error(`delivery failed: ${category(error, options.timeoutMs)}`);
    }
    if (status < 200 || status > 299) throw new Error(`delivery failed: HTTP ${status}`);
  };
}

function post(url: URL, payload: string, timeoutMs: number, agent: http.Agent, lookup: ReturnType<typeof guardedLookup>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      agent,
      lookup: lookup as never,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        'user-agent': 'opsgraph-notifications',
      },
    });
    const timer = setLongTimeout(() => {
      const error = new Error('timed out');
      error.name = 'TimeoutError';
      request.destroy(error);
    }, timeoutMs);
    request.once('error', (error) => {
      timer.clear();
      reject(error);
    });
    request.once('response', (response) => {
      // Read the body to the end so the keep-alive connection returns to the pool.
      response.resume();
      response.once('end', () => {
        timer.clear();
        resolve(response.statusCode ?? 0);
      });
      response.once('error', (error) => {
        timer.clear();
        reject(error);
      });
    });
    request.end(payload);
  });
}
