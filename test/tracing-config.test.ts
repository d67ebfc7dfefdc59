// The OTEL_* variables tracing reads (src/tracing/config.ts): off unless asked for, the standard
// defaults, and a refusal at start for what it cannot do.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.js';
import { loadTracingConfig } from '../src/tracing/config.js';
import { startSdk } from '../src/tracing/sdk.js';
import { types } from 'node:util';
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { createSql } from '../src/db/client.js';
import { setTracing } from '../src/tracing/tracing.js';

describe('tracing configuration', () => {
  it('is off without an endpoint or exporter, and with OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none', () => {
    expect(loadTracingConfig({})).toBeNull();
    expect(loadTracingConfig({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' })).toBeNull();
    expect(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBeNull();
    expect(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
  });

  it('turns on with the endpoint (adding /v1/traces) or OTEL_TRACES_EXPORTER=otlp (localhost:4318), with the standard defaults', () => {
    expect(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      sampler: 'parentbased_always_on',
      serviceName: 'opsgraph',
      exporter: 'otlp',
    });
    expect(loadTracingConfig({ OTEL_TRACES_EXPORTER: 'otlp' })?.url).toBe('http://localhost:4318/v1/traces');
    expect(loadTracingConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://x/otlp/traces', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://y' })?.url).toBe(
      'https://x/otlp/traces',
    );
    expect(
      loadTracingConfig({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'badges',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-team=ops',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod',
      }),
    ).toMatchObject({
      protocol: 'http/json',
      serviceName: 'badges',
      sampler: 'parentbased_traceidratio',
      ratio: 0.25,
      headers: { authorization: 'Bearer abc', 'x-team': 'ops' },
      resourceAttributes: { 'deployment.environment.name': 'prod' },
    });
  });

  it('refuses at start what it cannot do', () => {
    const on = { OTEL_TRACES_EXPORTER: 'otlp' };
    expect(() => loadTracingConfig({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(ConfigError);
    expect(() => loadTracingConfig({ ...on, OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(ConfigError);
    expect(() => loadTracingConfig({ ...on, OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(ConfigError);
    expect(() => loadTracingConfig({ ...on, OTEL_TRACES_SAMPLER_ARG: 'half' })).toThrow(ConfigError);
    expect(() => loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(ConfigError);
    expect(() => loadTracingConfig({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(ConfigError);
    expect(() => loadTracingConfig({ ...on, OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toThrow(ConfigError);
  });

  it('samples as OTEL_TRACES_SAMPLER says: a ratio of 0 records no new trace but follows a sampled caller', async () => {
    const config = loadTracingConfig({ OTEL_TRACES_EXPORTER: 'console', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' })!;
    const sdk = startSdk(config, 'test');
    const root = sdk.tracer.startSpan('root', { kind: SpanKind.SERVER });
    expect(root.isRecording()).toBe(false);
    const caller = trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true });
    const child = sdk.tracer.startSpan('child', { kind: SpanKind.SERVER }, caller);
    expect(child.isRecording()).toBe(true);
    const always = startSdk(loadTracingConfig({ OTEL_TRACES_EXPORTER: 'console', OTEL_TRACES_SAMPLER: 'always_off' })!, 'test');
    expect(always.tracer.startSpan('x', {}, caller).isRecording()).toBe(false);
    await Promise.all([sdk.shutdown(), always.shutdown()]);
  });
});

describe('tracing off', () => {
  it('leaves the pool as postgres.js made it: the statement wrapper exists only with tracing on', async () => {
    const url = 'postgres://nobody@127.0.0.1:1/none';
    const off = createSql(url, 1);
    expect(types.isProxy(off)).toBe(false);
    const sdk = startSdk(loadTracingConfig({ OTEL_TRACES_EXPORTER: 'console' })!, 'test');
    setTracing(sdk);
    try {
      const on = createSql(url, 1);
      expect(types.isProxy(on)).toBe(true);
      await on.end({ timeout: 0 });
    } finally {
      setTracing(null);
      await sdk.shutdown();
    }
    await off.end({ timeout: 0 });
  });
});
