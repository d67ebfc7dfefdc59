// "It must show" of issue 27: a real server process (npm start's command, test/spawn-server.ts)
// with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a local OTLP/HTTP receiver, in both protocols. The
// traceparent sent with a sendNotification mutation is the parent of the server span, and its trace
// holds the statements and the delivery attempt; the webhook receiver gets the same trace id.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, token } from './helpers.js';
import { eventually } from './notifications-receiver.js';
import { startOtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';
import { spawnServer } from './spawn-server.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function webhookReceiver() {
  const received: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    received.push(req.headers);
    req.resume().on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

describe.each(['http/json', 'http/protobuf'])('a real server exporting OTLP over %s', (protocol) => {
  it('puts the mutation, its statements and the delivery in the caller’s trace, and hands that trace to the receiver', async () => {
    const otlp = await startOtlpReceiver();
    cleanup.push(() => otlp.close());
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const hook = await webhookReceiver();
    const server = await spawnServer({
      DATABASE_URL: db.url,
      NOTIFICATION_WORKER: 'on',
      WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_SERVICE_NAME: 'opsgraph-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      LOG_LEVEL: 'info',
    });
    cleanup.push(() => server.stop());
    // It says, at start, where its spans go.
    const started = server.output().split('\n').filter((line) => line.includes('tracing is on')).map((line) => JSON.parse(line));
    expect(started).toMatchObject([{ traces: `${otlp.endpoint}/v1/traces`, protocol, sampler: 'parentbased_always_on', serviceName: 'opsgraph-under-test' }]);

    const traceId = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const callerSpan = 'a1b2c3d4e5f60718';
    const res = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await token('OPERATOR')}`,
        traceparent: `00-${traceId}-${callerSpan}-01`,
      },
      body: JSON.stringify({
        query: 'mutation Page($input: SendNotificationInput!) { sendNotification(input: $input) { id: rowId } }',
        variables: { input: { channel: 'WEBHOOK', recipient: hook.url, subject: 'disk almost full', body: 'db-1: 93%' } },
      }),
    });
    const result = (await res.json()) as { data?: { sendNotification: { id: string } }; errors?: unknown };
    expect(result.errors).toBeUndefined();
    const id = result.data!.sendNotification.id;

    const delivered = await eventually(async () => hook.received.find((h) => h['webhook-id'] === id), 15_000, 'the webhook');
    expect(String(delivered.traceparent)).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const inTrace = () => otlp.spans.filter((span) => span.traceId === traceId);
    const named = (name: string) => inTrace().find((span) => span.name === name);
    await eventually(async () => named('notification delivery WEBHOOK') && named('finishSent'), 15_000, 'the spans over OTLP');
    const spans = inTrace();
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const chain = (span: ReceivedSpan): string[] => {
      const names: string[] = [];
      for (let at = byId.get(span.parentSpanId); at; at = byId.get(at.parentSpanId)) names.push(at.name);
      return names;
    };

    const http = named('POST /graphql')!;
    expect(http.parentSpanId).toBe(callerSpan);
    expect(http.serviceName).toBe('opsgraph-under-test');
    const insert = named('insertNotification')!;
    expect(insert.attributes['db.system.name']).toBe('postgresql');
    expect(chain(insert)).toEqual(expect.arrayContaining(['graphql.execute mutation.Page', 'mutation Page', 'POST /graphql']));
    const delivery = named('notification delivery WEBHOOK')!;
    expect(delivery.attributes).toMatchObject({ 'opsgraph.notification.attempt': 1, 'opsgraph.notification.outcome': 'sent' });
    expect(chain(delivery)).toContain('POST /graphql');
    // The receiver's parent is the delivery attempt itself.
    expect(String(delivered.traceparent).split('-')[2]).toBe(delivery.spanId);
    expect(chain(named('finishSent')!)[0]).toBe('notification delivery WEBHOOK');
    // Every span of the trace hangs from the caller's span.
    for (const span of spans) expect([...chain(span), span.name], span.name).toContain('POST /graphql');
    expect(otlp.contentTypes[0]).toMatch(protocol === 'http/json' ? /^application\/json/ : /^application\/x-protobuf/);
  });
});

describe('a collector that cannot be reached', () => {
  it('is logged when spans are dropped, and again when they are exported once more', async () => {
    const first = await startOtlpReceiver();
    const port = Number(new URL(first.endpoint).port);
    await first.close(); // nothing listens there now
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const server = await spawnServer({
      DATABASE_URL: db.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: first.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      LOG_LEVEL: 'info',
    });
    cleanup.push(() => server.stop());
    const ask = async () => {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token('VIEWER')}` },
        body: JSON.stringify({ query: '{ scanStats { total } }' }),
      });
      expect(res.status).toBe(200);
    };
    const logged = (message: string) =>
      server.output().split('\n').filter((line) => line.includes(message)).map((line) => JSON.parse(line));

    await ask();
    await eventually(async () => logged('spans could not be exported').length > 0, 20_000, 'the export failure logged');
    expect(logged('spans could not be exported')[0]).toMatchObject({ level: 40 });
    expect(logged('spans could not be exported')[0].droppedSpans).toBeGreaterThan(0);

    const collector = await startOtlpReceiver(port);
    cleanup.push(() => collector.close());
    await eventually(async () => (await ask(), logged('spans are exported again').length > 0), 20_000, 'the recovery logged');
    expect(collector.spans.length).toBeGreaterThan(0);
  });
});
