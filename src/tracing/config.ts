import { ConfigError } from '../config.js';

type Env = Record<string, string | undefined>;

export type Protocol = 'http/protobuf' | 'http/json';
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

/** OpenTelemetry tracing as the standard OTEL_* variables set it; null when it is off (the default). */
export interface TracingConfig {
  serviceName: string;
  /** Where spans go: OTLP over HTTP, or the console (OTEL_TRACES_EXPORTER=console, for a quick look). */
  exporter: 'otlp' | 'console';
  /** The traces endpoint, /v1/traces included. */
  url: string;
  protocol: Protocol;
  headers: Record<string, string>;
  sampler: SamplerName;
  /** OTEL_TRACES_SAMPLER_ARG for the ratio samplers. */
  ratio: number;
  resourceAttributes: Record<string, string>;
}

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

const value = (env: Env, name: string): string | undefined => {
  const text = env[name]?.trim();
  return text ? text : undefined;
};

/** `key=value,key2=value2`, percent-decoded (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES). */
function keyValues(name: string, text: string | undefined): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const item of (text ?? '').split(',')) {
    if (item.trim() === '') continue;
    const at = item.indexOf('=');
    if (at <= 0) throw new ConfigError(`${name} must be key=value pairs separated by commas`);
    try {
      pairs[decodeURIComponent(item.slice(0, at).trim())] = decodeURIComponent(item.slice(at + 1).trim());
    } catch {
      throw new ConfigError(`${name} has a malformed percent-encoding in ${JSON.stringify(item.slice(0, 40))}`);
    }
  }
  return pairs;
}

/**
 * Tracing is on when OTEL_TRACES_EXPORTER names otlp (or console), or, with it unset, when
 * OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. OTEL_SDK_DISABLED=true
 * and OTEL_TRACES_EXPORTER=none turn it off whatever else is set.
 */
export function loadTracingConfig(env: Env): TracingConfig | null {
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return null;
  const tracesEndpoint = value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const exporters = (value(env, 'OTEL_TRACES_EXPORTER') ?? (tracesEndpoint || endpoint ? 'otlp' : 'none'))
    .split(',')
    .map((name) => name.trim().toLowerCase());
  for (const name of exporters) {
    if (!['otlp', 'console', 'none'].includes(name)) {
      throw new ConfigError(`OTEL_TRACES_EXPORTER must be otlp, console or none (got ${JSON.stringify(name)})`);
    }
  }
  if (exporters.includes('none')) return null;
  const exporter = exporters.includes('otlp') ? 'otlp' : 'console';

  const protocol = (value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf') as Protocol;
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError(`OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (got ${JSON.stringify(protocol)}; grpc is not supported)`);
  }
  // The signal's own endpoint is used as it is; the base endpoint gets /v1/traces (the OTLP exporter spec).
  const url = tracesEndpoint ?? `${(endpoint ?? 'http://localhost:4318').replace(/\/+$/, '')}/v1/traces`;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new ConfigError(`OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL (got ${JSON.stringify(url)})`);
  }

  const sampler = (value(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on') as SamplerName;
  if (!SAMPLERS.includes(sampler)) {
    throw new ConfigError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')} (got ${JSON.stringify(sampler)})`);
  }
  const arg = value(env, 'OTEL_TRACES_SAMPLER_ARG');
  const ratio = arg === undefined ? 1 : Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 (got ${JSON.stringify(arg)})`);
  }

  return {
    serviceName: value(env, 'OTEL_SERVICE_NAME') ?? 'opsgraph',
    exporter,
    url,
    protocol,
    headers: {
      ...keyValues('OTEL_EXPORTER_OTLP_HEADERS', value(env, 'OTEL_EXPORTER_OTLP_HEADERS')),
      ...keyValues('OTEL_EXPORTER_OTLP_TRACES_HEADERS', value(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS')),
    },
    sampler,
    ratio,
    resourceAttributes: keyValues('OTEL_RESOURCE_ATTRIBUTES', value(env, 'OTEL_RESOURCE_ATTRIBUTES')),
  };
}
