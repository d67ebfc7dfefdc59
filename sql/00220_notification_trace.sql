-- The W3C traceparent of the request that queued (or requeued) a notification, when tracing was on:
-- the delivery's span continues that trace, and the webhook carries it to the receiver (docs/operations.md, Tracing).
alter table notifications add column trace_parent text;
