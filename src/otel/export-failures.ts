import type { OtelLog } from "./index";

interface ExportResult {
  code: number;
  error?: Error;
}

interface Exporter<Batch> {
  export(batch: Batch, done: (result: ExportResult) => void): void;
}

/** One warning per signal per window: an unreachable collector must not flood the log. */
const warnEveryMs = 60_000;

/**
 * Makes an exporter say when it fails: the first failure is logged at once,
 * later ones at most once a minute with how many were left unsaid. Only the
 * URL and the error are logged, never the headers (they may carry keys).
 */
export function reportExportFailures<Batch, E extends Exporter<Batch>>(exporter: E, what: string, url: string, log: OtelLog): E {
  const shown = withoutCredentials(url);
  const send = exporter.export.bind(exporter);
  let lastWarnAt = -Infinity;
  let unsaid = 0;
  exporter.export = (batch: Batch, done: (result: ExportResult) => void) =>
    send(batch, (result) => {
      // ExportResultCode.SUCCESS is 0.
      if (result.code !== 0) {
        const now = Date.now();
        if (now - lastWarnAt >= warnEveryMs) {
          const more = unsaid ? ` (${unsaid} more failure(s) since the last warning)` : "";
          log.warn(`OpenTelemetry export of ${what} to ${shown} failed: ${result.error?.message ?? "unknown error"}${more}; what it carried is dropped and tale carries on`);
          lastWarnAt = now;
          unsaid = 0;
        } else unsaid++;
      }
      done(result);
    });
  return exporter;
}

/** A URL may carry user:password; the log gets it without. */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = "";
  parsed.password = "";
  return parsed.toString();
}
