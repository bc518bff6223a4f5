import type { Role } from "../config/types.ts";
import type { Migration } from "./migrations.ts";

/**
 * Schema step 5: a task served by another role than the one it asked for
 * (supervisor.fallback) records which role it asked for, and whether the
 * result is degraded (task served by ux), so the fallback is never silent.
 */
export const taskFallbackMigration: Migration = {
  version: 5,
  name: "role fallback on tasks",
  sql: `
    ALTER TABLE tasks ADD COLUMN fallback_from TEXT;
    ALTER TABLE tasks ADD COLUMN degraded INTEGER NOT NULL DEFAULT 0;
  `,
};

/** What a task row gains: null/false unless a fallback role served it. */
export interface TaskFallbackFields {
  fallbackFrom: Role | null;
  degraded: boolean;
}

export interface TaskFallbackRow {
  fallback_from: string | null;
  degraded: number;
}

export function taskFallbackFields(row: TaskFallbackRow): TaskFallbackFields {
  return { fallbackFrom: row.fallback_from === "ux" || row.fallback_from === "task" ? row.fallback_from : null, degraded: row.degraded === 1 };
}
