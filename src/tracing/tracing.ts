import { context, ROOT_CONTEXT, trace, type Context, type Span, type TextMapPropagator, type Tracer, type TracerProvider } from '@opentelemetry/api';

/**
 * The tracing of this process, or null (the default): every hook in the code asks `tracing()` and
 * does nothing more when it is null, so with tracing off a request pays one comparison per hook and
 * the SDK is never loaded (src/tracing/sdk.ts is imported only when OTEL_* turns tracing on).
 */
export interface Tracing {
  tracer: Tracer;
  provider: TracerProvider;
  propagator: TextMapPropagator;
}

let current: Tracing | null = null;

export function tracing(): Tracing | null {
  return current;
}

export function setTracing(value: Tracing | null): void {
  current = value;
}

/** The context of each GraphQL operation's span, by its GraphQL context (src/tracing/graphql.ts). */
export const operationContexts = new WeakMap<object, Context>();

/** The span of the active context, if a trace is being recorded here. */
export function activeSpan(): Span | undefined {
  return trace.getSpan(context.active());
}

/** The W3C traceparent of the active span (to store with work queued for later); null when there is none. */
export function activeTraceparent(): string | null {
  if (current === null || activeSpan() === undefined) return null;
  const carrier: Record<string, string> = {};
  current.propagator.inject(context.active(), carrier, { set: (c, key, value) => (c[key] = value) });
  return carrier.traceparent ?? null;
}

/** The context a stored traceparent continues (the root context when there is none, or it is malformed). */
export function contextOfTraceparent(traceparent: string | null): Context {
  if (current === null || traceparent === null) return ROOT_CONTEXT;
  return current.propagator.extract(ROOT_CONTEXT, { traceparent }, { get: (c, key) => c[key as 'traceparent'], keys: (c) => Object.keys(c) });
}

/** Adds traceparent (and tracestate) for the active span to outgoing HTTP headers; nothing when tracing is off. */
export function injectTraceHeaders(headers: Record<string, unknown>): void {
  if (current === null || activeSpan() === undefined) return;
  current.propagator.inject(context.active(), headers, { set: (c, key, value) => (c[key] = value) });
}
