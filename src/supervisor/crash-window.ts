/**
 * Crash-loop detection: an engine that keeps dying (bad model file, port
 * taken, wrong command) is given up on instead of restarted forever.
 */
export interface CrashLimit {
  maxCrashes: number;
  windowMs: number;
}

export const defaultCrashLimit: CrashLimit = { maxCrashes: 5, windowMs: 60_000 };

/** Crash times still inside the window, the new crash included. */
export function recordCrash(crashTimes: readonly number[], now: number, limit: CrashLimit): number[] {
  return [...crashTimes.filter((time) => now - time < limit.windowMs), now];
}

export function isCrashLoop(crashTimes: readonly number[], limit: CrashLimit): boolean {
  return crashTimes.length >= limit.maxCrashes;
}
