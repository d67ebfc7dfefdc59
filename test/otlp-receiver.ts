// A local OTLP/HTTP trace receiver for the tests: takes what an OpenTelemetry exporter POSTs to
// /v1/traces, in http/json or http/protobuf, and keeps every span. The protobuf side decodes the
// wire format itself (the few fields of opentelemetry/proto/trace/v1 a test reads).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  attributes: Record<string, string | number | boolean>;
  serviceName: string;
}

export interface OtlpReceiver {
  /** http://127.0.0.1:<port>, for OTEL_EXPORTER_OTLP_ENDPOINT */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Content types of the export requests received. */
  contentTypes: string[];
  close(): Promise<void>;
}

type Fields = Map<number, (bigint | Buffer)[]>;

/** One protobuf message: each field number's values, varints as bigint and everything else as bytes. */
function fields(buffer: Buffer): Fields {
  const out: Fields = new Map();
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const [field, type] = [key >> 3, key & 7];
    let value: bigint | Buffer;
    if (type === 0) value = varint();
    else if (type === 1) value = buffer.subarray(at, (at += 8));
    else if (type === 2) {
      const length = Number(varint());
      value = buffer.subarray(at, (at += length));
    } else if (type === 5) value = buffer.subarray(at, (at += 4));
    else throw new Error(`unexpected protobuf wire type ${type}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}
const bytes = (f: Fields, n: number) => (f.get(n)?.[0] as Buffer | undefined) ?? Buffer.alloc(0);
const all = (f: Fields, n: number) => (f.get(n) ?? []) as Buffer[];

function protobufAttributes(keyValues: Buffer[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of keyValues) {
    const f = fields(kv);
    const value = fields(bytes(f, 2));
    const key = bytes(f, 1).toString('utf8');
    if (value.has(1)) out[key] = bytes(value, 1).toString('utf8');
    else if (value.has(2)) out[key] = value.get(2)![0] === 1n;
    else if (value.has(3)) out[key] = Number(value.get(3)![0] as bigint);
    else if (value.has(4)) out[key] = bytes(value, 4).readDoubleLE(0);
  }
  return out;
}

function fromProtobuf(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of all(fields(body), 1)) {
    const rs = fields(resourceSpans);
    const serviceName = String(protobufAttributes(all(fields(bytes(rs, 1)), 1))['service.name'] ?? '');
    for (const scopeSpans of all(rs, 2)) {
      for (const spanBytes of all(fields(scopeSpans), 2)) {
        const span = fields(spanBytes);
        spans.push({
          traceId: bytes(span, 1).toString('hex'),
          spanId: bytes(span, 2).toString('hex'),
          parentSpanId: bytes(span, 4).toString('hex'),
          name: bytes(span, 5).toString('utf8'),
          attributes: protobufAttributes(all(span, 9)),
          serviceName,
        });
      }
    }
  }
  return spans;
}

interface JsonKeyValue {
  key: string;
  value: { stringValue?: string; boolValue?: boolean; intValue?: number | string; doubleValue?: number };
}
function jsonAttributes(keyValues: JsonKeyValue[] = []): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of keyValues) {
    out[key] = value.stringValue ?? value.boolValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.doubleValue!);
  }
  return out;
}

function fromJson(body: Buffer): ReceivedSpan[] {
  const request = JSON.parse(body.toString('utf8')) as {
    resourceSpans: { resource?: { attributes?: JsonKeyValue[] }; scopeSpans: { spans: any[] }[] }[];
  };
  return request.resourceSpans.flatMap((rs) => {
    const serviceName = String(jsonAttributes(rs.resource?.attributes)['service.name'] ?? '');
    return rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        attributes: jsonAttributes(span.attributes),
        serviceName,
      })),
    );
  });
}

/** On `port` (0: any free one), to start one again where a server already sends. */
export async function startOtlpReceiver(port = 0): Promise<OtlpReceiver> {
  const receiver = { spans: [], contentTypes: [] } as unknown as OtlpReceiver;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const type = req.headers['content-type'] ?? '';
    if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
    receiver.contentTypes.push(type);
    try {
      receiver.spans.push(...(type.startsWith('application/json') ? fromJson(body) : fromProtobuf(body)));
    } catch (error) {
      return void res.writeHead(400).end(String(error));
    }
    // An empty ExportTraceServiceResponse: no partial success to report.
    if (type.startsWith('application/json')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  receiver.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
