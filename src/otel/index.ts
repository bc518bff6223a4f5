import type { TaleConfig } from "../config/types";
import type { AttemptEnd, SchedulerOptions } from "../scheduler";
import { timeRouting, type RouteTiming } from "../scheduler/route-timing";
import type { Task } from "../store";

/**
 * What the daemon tells OpenTelemetry export. Calls only record; exporting
 * happens in the background and never blocks or fails the caller.
 */
export interface OtelSink {
  routed(timing: RouteTiming): void;
  attemptEnded(attempt: AttemptEnd): void;
  taskChanged(task: Task): void;
  /** Exports what is pending (bounded in time) and stops. */
  shutdown(): Promise<void>;
}

export interface OtelLog {
  warn(message: string): void;
}

/** Where each signal goes; a signal without a URL is not exported. */
export interface OtelTargets {
  metricsUrl?: string;
  tracesUrl?: string;
  headers: Record<string, string>;
  exportIntervalMs: number;
  serviceName: string;
  traceSampleRatio: number;
}

/** As the OpenTelemetry specification resolves them: a signal's own URL as is, else the base endpoint plus /v1/<signal>. */
export function otelTargets(config: TaleConfig["otel"]): OtelTargets | undefined {
  const base = config.endpoint.replace(/\/+$/, "");
  const metricsUrl = config.metricsEndpoint || (base ? `${base}/v1/metrics` : undefined);
  const tracesUrl = config.tracesEndpoint || (base ? `${base}/v1/traces` : undefined);
  if (!metricsUrl && !tracesUrl) return undefined;
  const { headers, exportIntervalMs, serviceName, traceSampleRatio } = config;
  return { metricsUrl, tracesUrl, headers, exportIntervalMs, serviceName, traceSampleRatio };
}

/**
 * Starts export when the config asks for it; undefined (and nothing loaded)
 * when it does not. The SDK is imported only here, so a daemon with export
 * off pays neither its start time nor its memory.
 */
export async function startOtel(config: TaleConfig["otel"], options: { log: OtelLog; serviceVersion: string }): Promise<OtelSink | undefined> {
  const targets = otelTargets(config);
  if (!targets) return undefined;
  const { createOtelSink } = await import("./sdk");
  return createOtelSink(targets, options);
}

/**
 * The scheduler's options with the sink told of every routing decision,
 * attempt and status change, after the daemon's own hooks; unchanged when
 * export is off. The scheduler never knows about OpenTelemetry.
 */
export function withOtel(sink: OtelSink | undefined, options: SchedulerOptions): SchedulerOptions {
  if (!sink) return options;
  const { router, onAttemptEnd, onTaskChange } = options;
  return {
    ...options,
    router: router && timeRouting(router, (timing) => sink.routed(timing)),
    onAttemptEnd(attempt) {
      onAttemptEnd?.(attempt);
      sink.attemptEnded(attempt);
    },
    onTaskChange(task) {
      onTaskChange?.(task);
      sink.taskChanged(task);
    },
  };
}
