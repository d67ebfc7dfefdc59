import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ClaimedNotification } from '../db/notifications.js';
import { contextOfTraceparent, tracing } from './tracing.js';

/** What an attempt came to: the row's new state ('unrecorded': the finish could not be written). */
export type DeliveryOutcome = 'sent' | 'failed' | 'dead' | 'unrecorded';

/**
 * A span per delivery attempt, in the trace of the request that queued the notification (its stored
 * traceparent), with the attempt number and the outcome. The webhook carries this span as its
 * traceparent (src/notifications/channels/webhook.ts), and the finish statements are its children.
 */
export async function traceDelivery(row: ClaimedNotification, attempt: () => Promise<DeliveryOutcome>): Promise<DeliveryOutcome> {
  const t = tracing();
  if (t === null) return attempt();
  const queuedBy = contextOfTraceparent(row.traceParent);
  const span = t.tracer.startSpan(
    `notification delivery ${row.channel}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'opsgraph.notification.id': row.id,
        'opsgraph.notification.channel': row.channel,
        'opsgraph.notification.attempt': row.retryCount + 1,
      },
    },
    queuedBy,
  );
  const outcome = await context.with(trace.setSpan(queuedBy, span), attempt);
  span.setAttribute('opsgraph.notification.outcome', outcome);
  if (outcome !== 'sent') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
  span.end();
  return outcome;
}
