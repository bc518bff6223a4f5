import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrations } from "../../src/store/migrations.ts";
import { recentRoleCallsSql } from "../../src/store/model-calls.ts";
import { openStore, schemaVersion, type NewModelCall, type Store } from "../../src/store/index.ts";

let dir: string;
const open: Store[] = [];
const day = 86_400_000;
// 2026-11-24 23:00 UTC: an hour before midnight, so day grouping is tested across a date change.
const start = Date.UTC(2026, 10, 24, 23, 0, 0);

function manualClock(at = start) {
  let time = at;
  return { now: () => time, advance: (ms: number) => void (time += ms) };
}

function store(now?: () => number): Store {
  const opened = openStore({ path: join(dir, "tale.db"), now });
  open.push(opened);
  return opened;
}

function call(overrides: Partial<NewModelCall> = {}): NewModelCall {
  return {
    taskId: "t_1",
    attempt: 1,
    role: "ux",
    engine: "ux-0",
    model: "tiny",
    promptTokens: 10,
    completionTokens: 20,
    latencyMs: 100,
    ttftMs: 5,
    outcome: "succeeded",
    errorCode: null,
    routedBy: "fallback",
    ...overrides,
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tale-ledger-store-"));
});

afterEach(() => {
  for (const opened of open.splice(0)) opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("model call ledger", () => {
  test("a database from before the ledger gains the table and keeps its tasks", () => {
    const path = join(dir, "tale.db");
    const old = new Database(path, { create: true });
    const previous = migrations.find((step) => step.name === "token ledger")!.version - 1;
    for (const migration of migrations.filter((step) => step.version <= previous)) old.run(migration.sql);
    old.run(`PRAGMA user_version = ${previous}`);
    old.run("INSERT INTO tasks (id, status, kind, prompt, role_requested, created_at) VALUES ('t_old', 'succeeded', 'prompt', 'kept', 'auto', 1)");
    old.close();

    const upgraded = store();
    expect(upgraded.schemaVersion).toBe(schemaVersion);
    expect(upgraded.getTask("t_old")?.prompt).toBe("kept");
    const recorded = upgraded.recordModelCall(call({ taskId: "t_old" }));
    expect(upgraded.listModelCalls({ taskId: "t_old" })).toEqual([recorded]);
  });

  test("records every field of a call, failed attempts included, and reads them back newest first", () => {
    const clock = manualClock();
    const ledger = store(clock.now);
    const failed = ledger.recordModelCall(
      call({ taskId: "t_2", role: "task", engine: "task-0", model: "big", promptTokens: 0, completionTokens: 0, latencyMs: 12.6, ttftMs: null, outcome: "retried", errorCode: "ENGINE_CRASHED", routedBy: "plugin:router" }),
    );
    clock.advance(50);
    const retried = ledger.recordModelCall(call({ taskId: "t_2", attempt: 2, role: "task", engine: "task-0", model: "big", outcome: "succeeded" }));
    expect(failed).toEqual({
      id: failed.id,
      taskId: "t_2",
      attempt: 1,
      role: "task",
      engine: "task-0",
      model: "big",
      promptTokens: 0,
      completionTokens: 0,
      latencyMs: 13,
      ttftMs: null,
      outcome: "retried",
      errorCode: "ENGINE_CRASHED",
      routedBy: "plugin:router",
      createdAt: start,
    });
    expect(retried.createdAt).toBe(start + 50);
    expect(ledger.listModelCalls({ taskId: "t_2" }).map((row) => row.attempt)).toEqual([2, 1]);
  });

  test("refuses an outcome or role outside the schema", () => {
    const ledger = store();
    expect(() => ledger.recordModelCall(call({ outcome: "exploded" as never }))).toThrow();
    expect(() => ledger.recordModelCall(call({ role: "judge" as never }))).toThrow();
    expect(ledger.listModelCalls()).toEqual([]);
  });

  test("token totals group by role, UTC day and model, from a point in time", () => {
    const clock = manualClock();
    const ledger = store(clock.now);
    ledger.recordModelCall(call({ promptTokens: 5, completionTokens: 7 }));
    ledger.recordModelCall(call({ role: "task", model: "big", promptTokens: 100, completionTokens: 300 }));
    clock.advance(2 * 3_600_000); // past midnight UTC
    ledger.recordModelCall(call({ promptTokens: 1, completionTokens: 2 }));
    // A model serving both roles is reported once per role.
    ledger.recordModelCall(call({ role: "task", model: "tiny", promptTokens: 10, completionTokens: 10 }));

    expect(ledger.tokenTotals({ groupBy: "role" })).toEqual([
      { key: "task", calls: 2, promptTokens: 110, completionTokens: 310, totalTokens: 420 },
      { key: "ux", calls: 2, promptTokens: 6, completionTokens: 9, totalTokens: 15 },
    ]);
    expect(ledger.tokenTotals({ groupBy: "day" })).toEqual([
      { key: "2026-11-24", calls: 2, promptTokens: 105, completionTokens: 307, totalTokens: 412 },
      { key: "2026-11-25", calls: 2, promptTokens: 11, completionTokens: 12, totalTokens: 23 },
    ]);
    expect(ledger.tokenTotals({ groupBy: "model" })).toEqual([
      { key: "big", role: "task", calls: 1, promptTokens: 100, completionTokens: 300, totalTokens: 400 },
      { key: "tiny", role: "task", calls: 1, promptTokens: 10, completionTokens: 10, totalTokens: 20 },
      { key: "tiny", role: "ux", calls: 2, promptTokens: 6, completionTokens: 9, totalTokens: 15 },
    ]);
    expect(ledger.tokenTotals({ groupBy: "role", since: start + 3_600_000 })).toEqual([
      { key: "task", calls: 1, promptTokens: 10, completionTokens: 10, totalTokens: 20 },
      { key: "ux", calls: 1, promptTokens: 1, completionTokens: 2, totalTokens: 3 },
    ]);
    expect(ledger.tokenTotals({ groupBy: "day", since: start + day })).toEqual([]);
  });

  test("role stats: success rate and median latency over a bounded window, ignoring cancelled and interrupted calls", () => {
    const clock = manualClock();
    const ledger = store(clock.now);
    ledger.recordModelCall(call({ latencyMs: 9_999 })); // falls out of the window below
    clock.advance(60_000);
    for (const latencyMs of [30, 10, 20, 40]) ledger.recordModelCall(call({ latencyMs }));
    ledger.recordModelCall(call({ outcome: "failed", errorCode: "ENGINE_CRASHED", latencyMs: 1 }));
    ledger.recordModelCall(call({ outcome: "cancelled", latencyMs: 5 }));
    ledger.recordModelCall(call({ outcome: "interrupted", latencyMs: 5 }));
    ledger.recordModelCall(call({ role: "task", outcome: "timed_out", latencyMs: 50_000 }));

    const stats = ledger.roleStats({ windowMs: 30_000 });
    expect(stats.ux).toEqual({ calls: 5, successRate: 4 / 5, p50LatencyMs: 25 });
    expect(stats.task).toEqual({ calls: 1, successRate: 0, p50LatencyMs: null });
    expect(ledger.roleStats({ windowMs: 120_000 }).ux).toEqual({ calls: 6, successRate: 5 / 6, p50LatencyMs: 30 });
    // Only the newest calls count when the window holds more than maxCalls.
    expect(ledger.roleStats({ windowMs: 30_000, maxCalls: 2 }).ux).toEqual({ calls: 2, successRate: 1 / 2, p50LatencyMs: 40 });
  });

  test("role stats with no calls claim success and no latency", () => {
    expect(store().roleStats({ windowMs: 60_000 })).toEqual({
      ux: { calls: 0, successRate: 1, p50LatencyMs: null },
      task: { calls: 0, successRate: 1, p50LatencyMs: null },
    });
  });

  test("role stats read one role's window from its index alone, without sorting", () => {
    store().close();
    open.length = 0;
    const db = new Database(join(dir, "tale.db"), { readonly: true });
    try {
      const plan = db
        .query<{ detail: string }, [Record<string, string | number>]>(`EXPLAIN QUERY PLAN ${recentRoleCallsSql}`)
        .all({ $role: "ux", $since: 0, $limit: 1000 })
        .map((row) => row.detail)
        .join("\n");
      expect(plan).toContain("COVERING INDEX model_calls_role_created");
      expect(plan).not.toContain("TEMP B-TREE");
    } finally {
      db.close();
    }
  });
});
