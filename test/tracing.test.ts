// OpenTelemetry spans of one request, in process, with an in-memory exporter: the HTTP request
// continuing the caller's traceparent, the GraphQL operation with parse, validate and execute, a span
// per statement named after its src/db function, a shared read linked to its statement, and a
// notification's delivery in the trace of the mutation that queued it, carried to the receiver.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { token, until, useTestApp } from './helpers.js';
import { eventually } from './notifications-receiver.js';

const exporter = new InMemorySpanExporter();
const t = useTestApp({ NOTIFICATION_WORKER: 'on', LIVE_COALESCE_INTERVAL: '20ms' }, { spanExporter: exporter });

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const traceparent = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

async function post(query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token('OPERATOR')}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const byName = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);
const one = (spans: ReadableSpan[], name: string) => {
  const found = byName(spans, name);
  expect(found.map((span) => span.name), `exactly one span ${name} among ${spans.map((s) => s.name).join(', ')}`).toEqual([name]);
  return found[0]!;
};
/** Whether `span` lies under `ancestor` in `spans`. */
function under(spans: ReadableSpan[], span: ReadableSpan, ancestor: ReadableSpan): boolean {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  for (let at = byId.get(parentOf(span) ?? ''); at; at = byId.get(parentOf(at) ?? '')) if (at === ancestor) return true;
  return false;
}

beforeEach(() => exporter.reset());

describe('one request', () => {
  it('is one span tree under the incoming traceparent, statements named after their src/db functions, without parameter values', async () => {
    const secretId = '987654321';
    const result = await post(
      'query Badges($id: ID!) { dashboard { deadLetterCount failedNotificationCount } notification(id: $id) { id } }',
      { id: secretId },
      { traceparent },
    );
    expect(result.errors).toBeUndefined();
    await eventually(async () => byName(spansOf(TRACE_ID), 'POST /graphql').length === 1, 5000, 'the HTTP span');
    const spans = spansOf(TRACE_ID);

    const http = one(spans, 'POST /graphql');
    expect(parentOf(http)).toBe(CALLER_SPAN);
    expect(http.attributes['http.response.status_code']).toBe(200);
    const operation = one(spans, 'query Badges');
    expect(parentOf(operation)).toBe(http.spanContext().spanId);
    expect(operation.attributes).toMatchObject({ 'graphql.operation.name': 'Badges', 'graphql.operation.type': 'query' });
    for (const step of ['graphql.parse', 'graphql.validate', 'graphql.execute query.Badges']) {
      expect(parentOf(one(spans, step)), step).toBe(operation.spanContext().spanId);
    }
    const execute = one(spans, 'graphql.execute query.Badges');

    const statements = spans.filter((span) => span.attributes['db.system.name'] === 'postgresql');
    expect(statements.map((span) => span.name)).toContain('findNotification');
    expect(statements.map((span) => span.name)).toContain('countNotifications');
    for (const statement of statements) {
      expect(under(spans, statement, execute), `${statement.name} under the execution`).toBe(true);
      expect(statement.attributes['code.file.path']).toMatch(/^src\/db\/.+\.ts$/);
      expect(String(statement.attributes['db.query.text'])).toMatch(/\$1|select/i);
    }
    expect(JSON.stringify(spans.map((span) => [span.name, span.attributes, span.events]))).not.toContain(secretId);

    // The two dashboard counts are shared reads: each request's read links to the statement it waited for.
    const reads = byName(spans, 'sharedRead notificationCount');
    expect(reads.length).toBe(2);
    const sharedStatements = byName(spans, 'sharedStatement notificationCount');
    expect(sharedStatements.length).toBe(2);
    for (const read of reads) {
      expect(read.links.length).toBe(1);
      const statement = sharedStatements.find((s) => s.spanContext().spanId === read.links[0]!.context.spanId);
      expect(statement, 'the linked statement is in the trace').toBeDefined();
      expect(statements.some((s) => parentOf(s) === statement!.spanContext().spanId && s.name === 'countNotifications')).toBe(true);
    }
  });

  it('starts a trace of its own for a malformed traceparent, and names the errors of a bad document', async () => {
    const result = await post('query Broken { dashboard { nope } }', {}, { traceparent: `00-${'z'.repeat(32)}-${CALLER_SPAN}-01`.padEnd(2000, 'x') });
    expect(result.errors).toBeDefined();
    await eventually(async () => exporter.getFinishedSpans().some((span) => span.name === 'POST /graphql'), 5000, 'the HTTP span');
    const http = one(exporter.getFinishedSpans(), 'POST /graphql');
    expect(http.parentSpanContext).toBeUndefined();
    const spans = spansOf(http.spanContext().traceId);
    const validate = one(spans, 'graphql.validate');
    expect(validate.status.code).toBe(2);
    expect(spans.some((span) => span.name.startsWith('graphql.execute'))).toBe(false);
  });
});

describe('a notification', () => {
  const received: IncomingHttpHeaders[] = [];
  const receiver = createServer((req, res) => {
    received.push(req.headers);
    req.resume().on('end', () => res.writeHead(200).end('ok'));
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('is delivered in the trace of the mutation that queued it, and the receiver gets that trace', async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const result = await post(
      'mutation Send($input: SendNotificationInput!) { sendNotification(input: $input) { id: rowId } }',
      { input: { channel: 'WEBHOOK', recipient: url, subject: 'disk almost full', body: 'db-1: 93%' } },
      { traceparent },
    );
    expect(result.errors).toBeUndefined();
    const id = result.data!.sendNotification.id as string;
    const headers = await eventually(async () => received.find((h) => h['webhook-id'] === id), 10_000, 'the delivery');
    const delivery = await eventually(async () => byName(spansOf(TRACE_ID), 'notification delivery WEBHOOK')[0], 5000, 'the delivery span');

    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(headers.traceparent));
    expect(match, `traceparent ${headers.traceparent}`).not.toBeNull();
    expect(match![1]).toBe(TRACE_ID);
    expect(match![2]).toBe(delivery.spanContext().spanId);

    const spans = spansOf(TRACE_ID);
    const mutation = one(spans, 'mutation Send');
    const insert = one(spans, 'insertNotification');
    expect(under(spans, insert, mutation)).toBe(true);
    expect(parentOf(one(spans, 'POST /graphql'))).toBe(CALLER_SPAN);
    // Queued by the mutation: the delivery continues the mutation's context as it was when the row was written.
    expect(under(spans, delivery, mutation)).toBe(true);
    expect(delivery.attributes).toMatchObject({
      'opsgraph.notification.id': id,
      'opsgraph.notification.attempt': 1,
      'opsgraph.notification.outcome': 'sent',
    });
    await eventually(async () => byName(spansOf(TRACE_ID), 'finishSent')[0], 5000, 'the finish statement');
    expect(parentOf(one(spansOf(TRACE_ID), 'finishSent'))).toBe(delivery.spanContext().spanId);
    // The mutation woke the worker, but its sweeps (claims, signing-secret reads) are polling: no part of this trace.
    expect(byName(spansOf(TRACE_ID), 'claimDue').length + byName(spansOf(TRACE_ID), 'liveSigningSecrets').length).toBe(0);
  });
});

describe('live badges', () => {
  const dead = () => t.sql`insert into notifications (channel, recipient, subject, body, status) values ('LOG', 'ops', 'x', 'y', 'DEAD')`;

  it('give a span per graphql-ws subscription, and a pass span whose pushes are events, not a span per socket', async () => {
    const sockets = await Promise.all(
      [0, 1].map(async () => {
        const ws = new WebSocket(t.wsUrl, 'graphql-transport-ws');
        const messages: any[] = [];
        ws.on('message', (data) => messages.push(JSON.parse(String(data))));
        await new Promise((resolve) => ws.once('open', resolve));
        ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await token('VIEWER')}` } }));
        await until(() => messages.some((m) => m.type === 'connection_ack'));
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription Dead { deadLetterCount }' } }));
        return { ws, nexts: () => messages.filter((m) => m.type === 'next') };
      }),
    );
    await until(() => sockets.every((s) => s.nexts().length === 1));
    exporter.reset();
    await dead();
    await until(() => sockets.every((s) => s.nexts().length === 2));
    const pass = await eventually(async () => exporter.getFinishedSpans().find((span) => span.name === 'live pass'), 5000, 'the pass span');
    const spans = spansOf(pass.spanContext().traceId);
    expect(parentOf(one(spans, 'live recompute'))).toBe(pass.spanContext().spanId);
    expect(parentOf(one(spans, 'live fan-out'))).toBe(pass.spanContext().spanId);
    const pushes = pass.events.filter((event) => event.name === 'push');
    expect(pushes.map((event) => [event.attributes!['opsgraph.live.badge'], event.attributes!['opsgraph.live.listeners']])).toEqual([['deadLetterCount', 1]]);
    // One fan-out group for both sockets: no span per socket.
    expect(spans.filter((span) => span.name.startsWith('subscription'))).toEqual([]);

    for (const { ws } of sockets) ws.send(JSON.stringify({ id: '1', type: 'complete' }));
    const subscriptions = await eventually(async () => {
      const found = exporter.getFinishedSpans().filter((span) => span.name === 'subscription Dead');
      return found.length === 2 && found;
    }, 5000, 'the subscription spans');
    for (const span of subscriptions) {
      expect(span.attributes).toMatchObject({ 'graphql.operation.type': 'subscription', 'opsgraph.live.badge': 'deadLetterCount', 'network.protocol.name': 'graphql-ws' });
    }
    for (const { ws } of sockets) ws.terminate();
  });

  it('give a span per SSE subscription, under its HTTP request', async () => {
    const abort = new AbortController();
    const res = await fetch(t.url, {
      method: 'POST',
      signal: abort.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${await token('VIEWER')}`, traceparent },
      body: JSON.stringify({ query: 'subscription DeadSse { deadLetterCount }' }),
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('deadLetterCount')) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    const subscription = await eventually(async () => byName(spansOf(TRACE_ID), 'subscription.DeadSse')[0], 5000, 'the SSE subscription span');
    const spans = spansOf(TRACE_ID);
    expect(parentOf(one(spans, 'subscription DeadSse'))).toBe(one(spans, 'POST /graphql').spanContext().spanId);
    expect(parentOf(subscription)).toBe(one(spans, 'subscription DeadSse').spanContext().spanId);
    expect(subscription.attributes['graphql.execute.operationType']).toBe('subscription');
  });
});
