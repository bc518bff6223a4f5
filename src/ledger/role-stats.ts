import type { Role } from "../config/types.ts";
import type { ModelCallRepository, RoleCallStats } from "../store/index.ts";

export interface RoleStatsCacheOptions {
  store: Pick<ModelCallRepository, "roleStats">;
  /** How far back the stats look. Default one hour. */
  windowMs?: number;
  /** Newest calls per role considered at most. Default 1000. */
  maxCalls?: number;
  /** How long one reading is reused. Default 1 s. */
  ttlMs?: number;
  now?: () => number;
}

export const roleStatsDefaults = { windowMs: 3_600_000, maxCalls: 1000, ttlMs: 1000 } as const;

/**
 * Per-role success and latency for the router. Every routing decision reads
 * them, so one database read serves every decision within `ttlMs`; stats a
 * second old steer routing just as well.
 */
export function createRoleStatsCache(options: RoleStatsCacheOptions): () => Record<Role, RoleCallStats> {
  const { store } = options;
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? roleStatsDefaults.windowMs;
  const maxCalls = options.maxCalls ?? roleStatsDefaults.maxCalls;
  const ttlMs = options.ttlMs ?? roleStatsDefaults.ttlMs;
  let cached: { at: number; stats: Record<Role, RoleCallStats> } | undefined;
  return () => {
    const at = now();
    if (!cached || at - cached.at >= ttlMs) cached = { at, stats: store.roleStats({ windowMs, maxCalls }) };
    return cached.stats;
  };
}
