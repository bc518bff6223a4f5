/**
 * How long to wait before restarting a crashed engine. Exponential so a
 * broken engine does not eat the CPU, jittered so engines that died together
 * do not restart in lockstep, and reset once an engine has proven itself
 * (healthy for supervisor.minUptimeMs, see uptime.ts).
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Fraction of the delay that is randomised away: 0.2 gives 80-100 % of it. */
  jitter: number;
}

export function defineBackoffPolicy(policy: Partial<BackoffPolicy> & Pick<BackoffPolicy, "initialMs" | "maxMs">): BackoffPolicy {
  return { jitter: 0.2, ...policy };
}

/** Delay before restart number `attempt` (0 for the first restart). */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling * (1 - policy.jitter * random()));
}
