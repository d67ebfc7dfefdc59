import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Tracing } from './tracing.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Probes and scrapes: a span each every few seconds would bury the requests. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

const headerGetter = {
  get: (headers: IncomingMessage['headers'], key: string) => headers[key],
  keys: (headers: IncomingMessage['headers']) => Object.keys(headers),
};

/**
 * A SERVER span per HTTP request, continuing the caller's W3C traceparent, with everything the
 * request does (GraphQL, statements, queued notifications) under it. An SSE stream's span lasts as
 * long as the stream.
 */
export function tracedRequests({ tracer, propagator }: Tracing, endpoint: string, handler: Handler): Handler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (UNTRACED.has(path)) return handler(req, res);
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, headerGetter);
    const method = req.method ?? 'GET';
    const route = path === endpoint ? endpoint : undefined;
    const span = tracer.startSpan(
      route ? `${method} ${route}` : method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.path': path,
          'url.scheme': 'http',
          ...(route && { 'http.route': route }),
          ...(req.headers['user-agent'] && { 'user_agent.original': req.headers['user-agent'] }),
        },
      },
      parent,
    );
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    return context.with(trace.setSpan(parent, span), () => handler(req, res));
  };
}
