import type { ConfigLayer } from "./layer.ts";

/** A number when the text is one, else the text itself, so validation can quote what was found. */
function numberOrText(value: string): number | string {
  return /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
}

/** `key1=value1,key2=value2`, each part URL-encoded, as the OpenTelemetry specification writes OTEL_EXPORTER_OTLP_HEADERS. */
function parseOtlpHeaders(value: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of value.split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}

/** The environment variables tale reads, and the config each one sets. */
export const configEnvironment: Record<string, (value: string) => Record<string, unknown>> = {
  TALE_API_PORT: (value) => ({ api: { port: numberOrText(value) } }),
  TALE_LOG_LEVEL: (value) => ({ log: { level: value } }),
  TALE_UX_MODEL: (value) => ({ models: { ux: { engine: "builtin", model: value } } }),
  TALE_TASK_MODEL: (value) => ({ models: { task: { engine: "builtin", model: value } } }),
  TALE_THREADS: (value) => ({ builtin: { threads: numberOrText(value) } }),
  // The OpenTelemetry SDK's standard variables, so tale is pointed at a collector like any other service.
  OTEL_EXPORTER_OTLP_ENDPOINT: (value) => ({ otel: { endpoint: value.trim() } }),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: (value) => ({ otel: { metricsEndpoint: value.trim() } }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: (value) => ({ otel: { tracesEndpoint: value.trim() } }),
  OTEL_EXPORTER_OTLP_HEADERS: (value) => ({ otel: { headers: parseOtlpHeaders(value) } }),
  OTEL_METRIC_EXPORT_INTERVAL: (value) => ({ otel: { exportIntervalMs: numberOrText(value) } }),
  OTEL_SERVICE_NAME: (value) => ({ otel: { serviceName: value.trim() } }),
};

/** One layer per variable that is set and not empty; relative model paths are relative to `cwd`. */
export function readEnvLayers(env: Record<string, string | undefined>, cwd: string): ConfigLayer[] {
  return Object.entries(configEnvironment).flatMap(([name, toValues]) => {
    const value = env[name];
    if (value === undefined || value.trim() === "") return [];
    return [{ source: `environment variable ${name}`, baseDir: cwd, fix: `Correct or unset ${name}.`, values: toValues(value) }];
  });
}
