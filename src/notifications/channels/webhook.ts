import http from 'node:http';
import https from 'node:https';
import { formatDuration } from '../../duration.js';
import { checkDestination, DestinationRefused, guardedLookup, systemResolve, type DestinationPolicy, type Resolve } from './destination.js';
import { setLongTimeout } from '../../timers.js';
import { DeliveryFailure, type Channel } from './channel.js';
import { signatureHeader } from '../signing.js';
import { staleSocketRetries } from '../metrics.js';
import { injectTraceHeaders } from '../../tracing/tracing.js';

export interface WebhookOptions {
  timeoutMs: number;
  policy: DestinationPolicy;
  /** The keys that sign an attempt made now (Standard Webhooks v1); none: unsigned (the bench's baseline only). */
  keys: () => readonly Buffer[];
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
 * Retry-After as milliseconds from now: delay-seconds or an HTTP date (RFC 9110
 * 10.2.3); null when absent or neither.
 */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | null {
  if (header === undefined) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * POSTs `{id, subject, body}` as JSON to the recipient URL, signed per Standard
 * Webhooks v1: webhook-id is the notification's id (the same on every attempt:
 * receivers dedupe on it), webhook-timestamp the attempt's Unix seconds,
 * webhook-signature one `v1,…` per live secret over the exact bytes sent.
 *
 * Any 2xx is success. 410 Gone: the receiver asks to stop, and no further
 * attempt is made. 429 or 503 with Retry-After: the next attempt waits at
 * least that long (the worker caps it at the backoff cap). Anything else, a
 * network error, or no response within `timeoutMs` is a failure on the usual
 * schedule. Redirects are not followed: a webhook that moved has failed until
 * its URL is fixed (and a redirect could point anywhere). The destination is
 * checked before sending and again by the socket's own lookup when it connects.
 *
 * A keep-alive connection the receiver closed while it sat idle fails the next
 * request on it before any answer (ECONNRESET, EPIPE): the request is sent
 * again at once on a fresh connection, within the same timeout, and only that
 * second try's failure counts as an attempt. A receiver that did get the first
 * one sees the same webhook-id twice and dedupes.
 */
export function webhookChannel(options: WebhookOptions): Channel {
  const resolve = options.resolve ?? systemResolve;
  const lookup = guardedLookup(options.policy, resolve);
  const agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };
  return async ({ id, recipient, subject, body }) => {
    let answer: Answer;
    try {
      const url = new URL(recipient);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DestinationRefused('not an http(s) URL');
      await checkDestination(options.policy, resolve, url.hostname);
      const payload = Buffer.from(JSON.stringify({ id, subject, body }));
      const headers: http.OutgoingHttpHeaders = {
        'content-type': 'application/json',
        'content-length': payload.length,
        'user-agent': 'opsgraph-notifications',
      };
      // The delivery's span (src/tracing/deliveries.ts): the receiver's spans join the trace that queued it.
      injectTraceHeaders(headers);
      const keys = options.keys();
      if (keys.length > 0) {
        const timestamp = Math.floor(Date.now() / 1000);
        headers['webhook-id'] = id;
        headers['webhook-timestamp'] = String(timestamp);
        headers['webhook-signature'] = signatureHeader(keys, id, timestamp, payload);
      }
      const deadline = Date.now() + options.timeoutMs;
      try {
        answer = await post(url, payload, headers, deadline, agents[url.protocol], lookup);
      } catch (error) {
        if (!(error instanceof StaleSocket)) throw error;
        staleSocketRetries.inc();
        // A connection of its own, closed after the answer: never one the receiver may have closed meanwhile.
        answer = await post(url, payload, headers, deadline, false, lookup);
      }
    } catch (error) {
      throw new Error(`delivery failed: ${category(error instanceof StaleSocket ? error.reset : error, options.timeoutMs)}`);
    }
    const { status } = answer;
    if (status >= 200 && status <= 299) return;
    if (status === 410) {
      throw new DeliveryFailure('delivery failed: HTTP 410 (the receiver asked not to be sent this again: no further attempts)', { gone: true });
    }
    const wait = status === 429 || status === 503 ? retryAfterMs(answer.retryAfter) : null;
    if (wait !== null) {
      throw new DeliveryFailure(`delivery failed: HTTP ${status} (Retry-After: ${answer.retryAfter!.trim().slice(0, 40)})`, { retryAfterMs: wait });
    }
    throw new Error(`delivery failed: HTTP ${status}`);
  };
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
}

/** A reused keep-alive connection failed before any answer: the receiver had closed it. */
class StaleSocket extends Error {
  constructor(readonly reset: Error) {
    super('reused connection reset before an answer');
  }
}

function post(
  url: URL,
  payload: Buffer,
  headers: http.OutgoingHttpHeaders,
  deadline: number,
  agent: http.Agent | false,
  lookup: ReturnType<typeof guardedLookup>,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      agent,
      lookup: lookup as never,
      headers,
    });
    let answered = false;
    const timer = setLongTimeout(() => {
      const error = new Error('timed out');
      error.name = 'TimeoutError';
      request.destroy(error);
    }, Math.max(0, deadline - Date.now()));
    request.once('error', (error: NodeJS.ErrnoException) => {
      timer.clear();
      const stale = !answered && request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
      reject(stale ? new StaleSocket(error) : error);
    });
    request.once('response', (response) => {
      answered = true;
      // Read the body to the end so the keep-alive connection returns to the pool.
      response.resume();
      response.once('end', () => {
        timer.clear();
        const retryAfter = response.headers['retry-after'];
        resolve({ status: response.statusCode ?? 0, retryAfter });
      });
      response.once('error', (error) => {
        timer.clear();
        reject(error);
      });
    });
    request.end(payload);
  });
}
