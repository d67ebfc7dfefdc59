import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Plugin } from 'graphql-yoga';
import { loadTracingConfig, type TracingConfig } from './config.js';
import type { ExportReports } from './export-reports.js';
import { setTracing, tracing, type Tracing } from './tracing.js';

/**
 * Turns tracing on when the OTEL_* variables ask for it (or a test hands in `exporter`), loading the SDK
 * only then; returns how to flush and stop it, or null when tracing stays off.
 */
export async function startTracing(
  env: Record<string, string | undefined>,
  instance: string,
  exporter?: SpanExporter,
  reports?: ExportReports,
): Promise<{ config: TracingConfig; tracing: Tracing; plugins: Plugin[]; shutdown(): Promise<void> } | null> {
  const config = loadTracingConfig(env) ?? (exporter ? loadTracingConfig({ ...env, OTEL_TRACES_EXPORTER: 'otlp' }) : null);
  if (config === null) return null;
  const [{ startSdk }, { graphqlTracing }] = await Promise.all([import('./sdk.js'), import('./graphql.js')]);
  const sdk = startSdk(config, instance, exporter, reports);
  setTracing(sdk);
  return {
    config,
    tracing: sdk,
    plugins: graphqlTracing(sdk),
    async shutdown() {
      if (tracing() === sdk) setTracing(null);
      await sdk.shutdown();
    },
  };
}
