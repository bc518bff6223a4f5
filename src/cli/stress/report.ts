/** What a stress run saw, as printed and saved. */
export interface StressReport {
  startedAt: string;
  durationMs: number;
  concurrency: number;
  tasks: { submitted: number; succeeded: number; failed: number; cancelled: number; timedOut: number; lost: number };
  /** Final tasks per second over the whole run. */
  throughput: number;
  latencyMs: Record<string, { count: number; p50: number; p95: number; p99: number }>;
  errorsByCode: Record<string, number>;
  retries: { submissions: number; attempts: number };
  chaos: ChaosKill[];
}

/** One engine killed by --chaos and how long the daemon took to have it healthy again. */
export interface ChaosKill {
  engine: string;
  role: string;
  pid: number;
  atMs: number;
  recoveredMs: number | null;
}

/** Nearest rank: every figure is a latency that was actually observed. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length))) - 1]!;
}

export function latencySummary(samples: Record<string, number[]>): StressReport["latencyMs"] {
  const summary: StressReport["latencyMs"] = {};
  for (const [role, values] of Object.entries(samples)) {
    const sorted = [...values].sort((a, b) => a - b);
    summary[role] = { count: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99) };
  }
  return summary;
}

export function formatReport(report: StressReport): string {
  const { tasks } = report;
  const lines = [
    `stress test: ${tasks.submitted} tasks from ${report.concurrency} clients in ${(report.durationMs / 1000).toFixed(1)}s`,
    `  throughput   ${report.throughput.toFixed(1)} tasks/s`,
    `  outcome      ${tasks.succeeded} succeeded · ${tasks.failed} failed · ${tasks.cancelled} cancelled · ${tasks.timedOut} timed out`,
    `  lost         ${tasks.lost}${tasks.lost === 0 ? " (every acknowledged task reached a final state)" : " ACKNOWLEDGED TASKS NEVER FINISHED"}`,
    `  retries      ${report.retries.submissions} submissions refused and sent again · ${report.retries.attempts} engine attempts retried`,
    "  latency (ms)  role    count    p50    p95    p99",
    ...Object.entries(report.latencyMs).map(
      ([role, s]) => `               ${role.padEnd(6)} ${String(s.count).padStart(6)} ${String(s.p50).padStart(6)} ${String(s.p95).padStart(6)} ${String(s.p99).padStart(6)}`,
    ),
  ];
  const errors = Object.entries(report.errorsByCode);
  lines.push(`  errors       ${errors.length ? errors.map(([code, count]) => `${code} ${count}`).join(" · ") : "none"}`);
  for (const kill of report.chaos) {
    const recovery = kill.recoveredMs === null ? "NOT recovered" : `healthy again after ${kill.recoveredMs} ms`;
    lines.push(`  chaos        killed ${kill.engine} (${kill.role}, pid ${kill.pid}) at ${(kill.atMs / 1000).toFixed(1)}s: ${recovery}`);
  }
  return `${lines.join("\n")}\n`;
}
