import type { Role } from "../config/types";
import { TaleError } from "../errors";
import type { Task } from "../store";
import { formatSeconds } from "../util/duration";

/**
 * Bounds how long a queued task waits while no engine of its role can take
 * work (starting, restarting, unreachable but not yet given up on). Busy
 * engines do not count: a task behind other work is making progress. A task
 * fails once both it and its role's outage are older than `maxWaitMs`, so no
 * task waits forever on an engine that never comes.
 */
export interface QueueWaitGuard {
  /** The role can take work now: its outage clock stops. */
  available(role: Role): void;
  /** The role cannot take work (`outage` says why): an ENGINE_UNAVAILABLE error once the task has waited too long, else undefined. */
  check(task: Task, role: Role, now: number, outage: string): TaleError | undefined;
  /** When the earliest waiting task runs out of time, for a wake-up timer; undefined when none waits. */
  nextExpiry(): number | undefined;
  /** Forgets expiries from an earlier pass over the queue. */
  startPass(): void;
}

export function createQueueWaitGuard(maxWaitMs: number): QueueWaitGuard {
  const unavailableSince = new Map<Role, number>();
  let earliest: number | undefined;
  return {
    available(role) {
      unavailableSince.delete(role);
    },
    check(task, role, now, outage) {
      if (!unavailableSince.has(role)) unavailableSince.set(role, now);
      const expiresAt = Math.max(task.createdAt, unavailableSince.get(role)!) + maxWaitMs;
      if (now < expiresAt) {
        earliest = earliest === undefined ? expiresAt : Math.min(earliest, expiresAt);
        return undefined;
      }
      return new TaleError("ENGINE_UNAVAILABLE", `The task waited ${formatSeconds(now - task.createdAt)} s in the queue and no ${role} engine could take it: ${outage}`, {
        hint: `Run \`tale status\` to see the ${role} engines and their last errors. Once one is healthy, submit again; scheduler.maxQueueWaitMs (now ${maxWaitMs} ms) sets how long tasks wait for one.`,
        details: { role, maxQueueWaitMs: maxWaitMs },
      });
    },
    nextExpiry: () => earliest,
    startPass() {
      earliest = undefined;
    },
  };
}
