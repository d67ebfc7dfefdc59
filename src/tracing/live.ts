import { context, SpanKind, trace, type Span } from '@opentelemetry/api';
import { getOperationAST, type ExecutionArgs } from 'graphql';
import { operationContexts, tracing } from './tracing.js';

/** Now, in milliseconds since the epoch with a fraction: a span's start or end given after the fact. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/** When a pass started and finished recomputing (null: values from the cluster's leader, nothing recomputed here). */
export interface PassTiming {
  startedAt: number;
  recomputedAt: number;
  recomputed: number;
}

export interface PassTrace {
  /** One event on the pass's span per badge value pushed to its listeners (sockets and SSE streams alike). */
  push(badge: string, key: string, listeners: number): void;
  /** Runs the fan-out inside its span (an execution a group runs may read the database). */
  fanOut(work: () => void): void;
}

/**
 * A live pass that pushes: `live pass` with `live recompute` (started when the pass did: whether it
 * pushes is known only after it, so a pass that changes nothing costs no span) and `live fan-out`,
 * whose pushes are events, not a span per socket. A root span: a pass serves every subscriber.
 */
export function tracePass(timing: PassTiming | null, changed: number): PassTrace | null {
  const t = tracing();
  if (t === null) return null;
  const startedAt = timing?.startedAt ?? epochNow();
  const pass = t.tracer.startSpan(
    timing ? 'live pass' : 'live pass (from leader)',
    { kind: SpanKind.INTERNAL, startTime: startedAt, attributes: { 'opsgraph.live.changed': changed } },
    context.active(),
  );
  const inPass = trace.setSpan(context.active(), pass);
  if (timing) {
    pass.setAttribute('opsgraph.live.recomputed', timing.recomputed);
    t.tracer.startSpan('live recompute', { startTime: timing.startedAt, attributes: { 'opsgraph.live.recomputed': timing.recomputed } }, inPass).end(timing.recomputedAt);
  }
  let pushes = 0;
  return {
    push(badge, key, listeners) {
      pushes += listeners;
      pass.addEvent('push', { 'opsgraph.live.badge': badge, 'opsgraph.live.key': key, 'opsgraph.live.listeners': listeners });
    },
    fanOut(work) {
      const span = t.tracer.startSpan('live fan-out', {}, inPass);
      try {
        context.with(trace.setSpan(inPass, span), work);
      } finally {
        span.setAttribute('opsgraph.live.pushes', pushes);
        span.end();
        pass.end();
      }
    },
  };
}

/** A span per live badge subscription over graphql-ws, as long as it lasts; null when tracing is off. */
export function subscriptionSpan(args: ExecutionArgs, badge: string): Span | null {
  const t = tracing();
  if (t === null) return null;
  const name = getOperationAST(args.document, args.operationName)?.name?.value;
  return t.tracer.startSpan(
    name ? `subscription ${name}` : 'subscription',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'graphql.operation.type': 'subscription',
        ...(name && { 'graphql.operation.name': name }),
        'opsgraph.live.badge': badge,
        'network.protocol.name': 'graphql-ws',
      },
    },
    operationContexts.get(args.contextValue as object) ?? context.active(),
  );
}
