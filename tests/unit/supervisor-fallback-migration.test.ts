import { Database } from "bun:sqlite";
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrations } from "../../src/store/migrations";
import { taskFallbackFields, taskFallbackMigration, type TaskFallbackRow } from "../../src/store/task-fallback";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tale-fallback-migration-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("step 5 follows the last released step and adds the fallback columns to existing rows", () => {
  const released = migrations.filter((migration) => migration.version < taskFallbackMigration.version);
  expect(released.at(-1)!.version).toBe(taskFallbackMigration.version - 1);
  const db = new Database(join(dir, "tale.db"), { create: true, strict: true });
  try {
    for (const migration of released) db.run(migration.sql);
    const before = db.query<{ name: string }, []>("PRAGMA table_info(tasks)").all().length;
    db.run(taskFallbackMigration.sql);
    const columns = db.query<{ name: string; dflt_value: string | null }, []>("PRAGMA table_info(tasks)").all();
    expect(columns.length).toBe(before + 2);
    expect(columns.find((column) => column.name === "degraded")!.dflt_value).toBe("0");
    expect(columns.some((column) => column.name === "fallback_from")).toBe(true);
  } finally {
    db.close();
  }
});

test("row values map to typed fields; anything but a role reads as no fallback", () => {
  const row = (fallback_from: string | null, degraded: number): TaskFallbackRow => ({ fallback_from, degraded });
  expect(taskFallbackFields(row("task", 1))).toEqual({ fallbackFrom: "task", degraded: true });
  expect(taskFallbackFields(row(null, 0))).toEqual({ fallbackFrom: null, degraded: false });
  expect(taskFallbackFields(row("gpu", 0))).toEqual({ fallbackFrom: null, degraded: false });
});
