import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface ExportReports {
  failed(error: Error | undefined, spans: number): void;
  recovered(droppedSpans: number): void;
}

/**
 * The OTLP exporters drop a batch they cannot send and say nothing (OpenTelemetry's diag logger is
 * silent unless set up), so an unreachable collector went unnoticed until shutdown. This wrapper
 * reports the first failure at once, then at most once per `everyMs` while they go on, and the
 * recovery, with how many spans were lost in between.
 */
export function reportingExporter(inner: SpanExporter, reports: ExportReports, everyMs = 60_000): SpanExporter {
  let failing = false;
  let lastReport = 0;
  let dropped = 0;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      inner.export(spans, (result) => {
        if (result.code === ExportResultCode.SUCCESS) {
          if (failing) reports.recovered(dropped);
          failing = false;
          dropped = 0;
        } else {
          dropped += spans.length;
          const now = Date.now();
          if (!failing || now - lastReport >= everyMs) {
            reports.failed(result.error, dropped);
            lastReport = now;
          }
          failing = true;
        }
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}
