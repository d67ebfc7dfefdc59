import { context, ROOT_CONTEXT, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { tracing } from './tracing.js';

/** A request's shared read while tracing: its span, ended when the read answers. */
export interface Waiter {
  span: Span;
  wait<V>(answer: Promise<V>): Promise<V>;
}

/** A span for one request's shared read (src/db/shared-reads.ts), or null outside a recorded trace. */
export function sharedReadSpan(name: string): Waiter | null {
  const t = tracing();
  const parent = context.active();
  if (t === null || trace.getSpan(parent) === undefined) return null;
  const span = t.tracer.startSpan(`sharedRead ${name}`, { attributes: { 'opsgraph.shared_read.name': name } }, parent);
  return {
    span,
    wait: (answer) =>
      answer.then(
        (value) => (span.end(), value),
        (error: unknown) => {
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
          span.end();
          throw error;
        },
      ),
  };
}

/**
 * Runs the statement that answers `asks` under a span of its own, a child of the first traced
 * request's shared read, and links every request's shared read to it: each trace that waited on the
 * statement leads to it, whichever request it ran for.
 */
export function sharedStatement<V>(name: string, asks: readonly { waiter: Waiter | null }[], run: () => Promise<V>): Promise<V> {
  const t = tracing();
  const waiters = asks.flatMap(({ waiter }) => (waiter ? [waiter] : []));
  if (t === null || waiters.length === 0) return run();
  const span = t.tracer.startSpan(
    `sharedStatement ${name}`,
    { attributes: { 'opsgraph.shared_read.name': name, 'opsgraph.shared_read.requests': asks.length } },
    trace.setSpan(ROOT_CONTEXT, waiters[0]!.span),
  );
  for (const waiter of waiters) waiter.span.addLink({ context: span.spanContext(), attributes: { 'opsgraph.link': 'waited for' } });
  return context.with(trace.setSpan(ROOT_CONTEXT, span), run).then(
    (value) => (span.end(), value),
    (error: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      throw error;
    },
  );
}
