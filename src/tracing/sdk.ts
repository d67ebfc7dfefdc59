import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobuf } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from './config.js';
import { reportingExporter, type ExportReports } from './export-reports.js';
import type { Tracing } from './tracing.js';

function sampler(config: TracingConfig): Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.ratio) });
  }
}

function exporterFor(config: TracingConfig): SpanExporter {
  if (config.exporter === 'console') return new ConsoleSpanExporter();
  const options = { url: config.url, headers: config.headers };
  return config.protocol === 'http/json' ? new OtlpJson(options) : new OtlpProtobuf(options);
}

// One context manager per process (the API keeps the first one set); every app of the process shares it.
let contextManagerSet = false;

/**
 * The SDK, as `config` says: a tracer provider of its own (not the global one, so several apps in one
 * process, as in the tests, each keep theirs), spans exported in batches (or at once to `exporter`, the
 * tests' in-memory one), W3C trace context. Loaded only when tracing is on.
 */
export function startSdk(
  config: TracingConfig,
  instance: string,
  exporter?: SpanExporter,
  reports?: ExportReports,
): Tracing & { shutdown(): Promise<void> } {
  if (!contextManagerSet) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerSet = true;
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      ...config.resourceAttributes,
      'service.name': config.serviceName,
      'service.instance.id': instance,
    }),
    sampler: sampler(config),
    spanProcessors: [
      exporter
        ? new SimpleSpanProcessor(exporter)
        : new BatchSpanProcessor(reports ? reportingExporter(exporterFor(config), reports) : exporterFor(config)),
    ],
  });
  return {
    tracer: provider.getTracer('opsgraph'),
    provider,
    propagator: new W3CTraceContextPropagator(),
    shutdown: () => provider.shutdown(),
  };
}
