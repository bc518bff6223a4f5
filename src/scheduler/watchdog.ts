import type { Role } from "../config/types";

/** An attempt as the watchdog sees it. */
export interface WatchedAttempt {
  taskId: string;
  engineId: string;
  /** When the attempt was told to stop (cancel, deadline, shutdown, lost engine). */
  abortedAt?: number;
}

export type WatchdogFinding<T extends WatchedAttempt = WatchedAttempt> =
  /** Told to stop a whole grace period ago and still holding its slot: the engine ignores the abort. */
  | { kind: "unresponsive"; attempt: T }
  /** Running on an engine that was not healthy in two rounds in a row: its answer may never come. */
  | { kind: "engine_gone"; attempt: T };

export interface InspectOptions {
  now: number;
  /** How long an aborted attempt may take to let go of its slot. */
  graceMs: number;
  /** Healthy engine ids per role, as the pool reports them. */
  healthy: Record<Role, readonly string[]>;
  /** Engines that were running work while not healthy at the previous round. */
  suspects: ReadonlySet<string>;
}

export interface WatchdogRound<T extends WatchedAttempt> {
  findings: WatchdogFinding<T>[];
  /** Engines running work while not healthy now; pass them to the next round. */
  suspects: Set<string>;
}

/**
 * One watchdog round: which attempts are stuck and why. Decides only; the
 * scheduler recovers. An engine must be unhealthy in two rounds in a row,
 * so a single failed health check does not throw away good work.
 */
export function inspectAttempts<T extends WatchedAttempt>(attempts: Iterable<T>, options: InspectOptions): WatchdogRound<T> {
  const findings: WatchdogFinding<T>[] = [];
  const suspects = new Set<string>();
  // Any role's list counts: a role's fallback may serve it on another role's engine.
  const healthy = new Set(Object.values(options.healthy).flat());
  for (const attempt of attempts) {
    if (attempt.abortedAt !== undefined) {
      if (options.now - attempt.abortedAt >= options.graceMs) findings.push({ kind: "unresponsive", attempt });
    } else if (!healthy.has(attempt.engineId)) {
      suspects.add(attempt.engineId);
      if (options.suspects.has(attempt.engineId)) findings.push({ kind: "engine_gone", attempt });
    }
  }
  return { findings, suspects };
}
