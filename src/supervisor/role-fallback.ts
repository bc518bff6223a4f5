import type { Role } from "../config/types";

/**
 * Which role stands in for a role whose engines have all failed. Only a step
 * down (task served by ux) degrades the result; a step up does not.
 */
export type RoleFallbacks = Partial<Record<Role, Role>>;

const rank: Record<Role, number> = { ux: 0, task: 1 };

export interface FallbackChoice {
  role: Role;
  /** The role the request asked for. */
  fallbackFrom: Role;
  degraded: boolean;
}

export function fallbackFor(role: Role, fallbacks: RoleFallbacks): FallbackChoice | undefined {
  const to = fallbacks[role];
  if (!to || to === role) return undefined;
  return { role: to, fallbackFrom: role, degraded: rank[to] < rank[role] };
}
