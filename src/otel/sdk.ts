import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { reportExportFailures } from "./export-failures";
import { createGenAiMetrics } from "./genai-metrics";
import type { OtelLog, OtelSink, OtelTargets } from "./index";
import { createTaskTraces } from "./task-traces";
import { isFinal } from "../scheduler";

/** An export that hangs must not hold up the daemon: each one, and the final flush, is bounded. */
const exportTimeoutMs = 5_000;
const shutdownBudgetMs = 3_000;
/** The SDK's default batching delay for spans; a shorter export interval shortens it too. */
const spanDelayMs = 5_000;

/**
 * The OpenTelemetry SDK behind the sink: OTLP/HTTP protobuf exporters, a
 * periodic metric reader and a batching span processor (which drops spans
 * past its queue rather than grow). Loaded only when export is on.
 */
export function createOtelSink(targets: OtelTargets, options: { log: OtelLog; serviceVersion: string }): OtelSink {
  const resource = resourceFromAttributes({ "service.name": targets.serviceName, "service.version": options.serviceVersion });
  const { headers } = targets;
  const stops: Array<() => Promise<void>> = [];
  let metrics: ReturnType<typeof createGenAiMetrics> | undefined;
  let traces: ReturnType<typeof createTaskTraces> | undefined;

  if (targets.metricsUrl) {
    const exporter = reportExportFailures(new OTLPMetricExporter({ url: targets.metricsUrl, headers, timeoutMillis: exportTimeoutMs }), "metrics", targets.metricsUrl, options.log);
    const reader = new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: targets.exportIntervalMs,
      exportTimeoutMillis: Math.min(exportTimeoutMs, targets.exportIntervalMs),
    });
    const provider = new MeterProvider({ resource, readers: [reader] });
    metrics = createGenAiMetrics(provider.getMeter("tale", options.serviceVersion));
    stops.push(() => provider.shutdown());
  }
  if (targets.tracesUrl) {
    const exporter = reportExportFailures(new OTLPTraceExporter({ url: targets.tracesUrl, headers, timeoutMillis: exportTimeoutMs }), "traces", targets.tracesUrl, options.log);
    const processor = new BatchSpanProcessor({ exporter, exportTimeoutMillis: exportTimeoutMs, scheduledDelayMillis: Math.min(spanDelayMs, targets.exportIntervalMs) });
    const provider = new TracerProvider({ resource, spanProcessors: [processor] });
    traces = createTaskTraces(provider.getTracer("tale", options.serviceVersion), targets.traceSampleRatio);
    stops.push(() => provider.shutdown());
  }

  return {
    routed: (timing) => traces?.routed(timing),
    attemptEnded(attempt) {
      metrics?.attemptEnded(attempt);
      traces?.attemptEnded(attempt);
    },
    taskChanged(task) {
      if (isFinal(task.status)) metrics?.taskFinished(task);
      traces?.taskChanged(task);
    },
    async shutdown() {
      // A final task's span is closed a microtask after its last event (see task-traces.ts): let that happen first.
      await Promise.resolve();
      // Shutdown flushes what is pending; a collector that does not answer gets the budget, not the daemon's exit.
      const stopped = Promise.allSettled(stops.map((stop) => stop()));
      await Promise.race([stopped, Bun.sleep(shutdownBudgetMs)]);
    },
  };
}
