import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderTokenReport, sinceOf } from "../../src/cli/commands/tokens.ts";
import { createDefaultConfig } from "../../src/config/index.ts";
import { TaleError } from "../../src/errors/index.ts";
import { buildTokenReport, createRoleStatsCache, defineCostWeights, modelCallOf, savingsFormula, tokenReportOptions } from "../../src/ledger/index.ts";
import type { AttemptEnd } from "../../src/scheduler/scheduler.ts";
import { openStore, type NewModelCall, type Store } from "../../src/store/index.ts";

let dir: string;
let store: Store;
let time: number;
const start = Date.UTC(2026, 10, 25, 9, 0, 0);

function call(overrides: Partial<NewModelCall>): NewModelCall {
  return {
    taskId: "t_1",
    attempt: 1,
    role: "ux",
    engine: "ux-0",
    model: "small",
    promptTokens: 0,
    completionTokens: 0,
    latencyMs: 10,
    ttftMs: 1,
    outcome: "succeeded",
    errorCode: null,
    routedBy: "fallback",
    ...overrides,
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tale-ledger-"));
  time = start;
  store = openStore({ path: join(dir, "tale.db"), now: () => time });
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const weights = () =>
  defineCostWeights({
    engines: [
      { role: "ux", model: "small", parameters: 1_000_000 },
      { role: "task", model: "large", parameters: 10_000_000 },
    ],
    config: createDefaultConfig().ledger,
  });

describe("token report", () => {
  test("totals per role, day and model, and the savings of what the ledger holds", () => {
    store.recordModelCall(call({ promptTokens: 300, completionTokens: 600 }));
    store.recordModelCall(call({ role: "task", engine: "task-0", model: "large", promptTokens: 40, completionTokens: 60 }));
    // A failed attempt spent no tokens but still counts as a call.
    store.recordModelCall(call({ role: "task", engine: "task-0", model: "large", outcome: "retried", errorCode: "ENGINE_CRASHED" }));

    const report = buildTokenReport(store, weights());
    expect(report.since).toBeNull();
    expect(report.totals).toEqual({
      byRole: [
        { role: "task", calls: 2, promptTokens: 40, completionTokens: 60, totalTokens: 100 },
        { role: "ux", calls: 1, promptTokens: 300, completionTokens: 600, totalTokens: 900 },
      ],
      byDay: [{ day: "2026-11-25", calls: 3, promptTokens: 340, completionTokens: 660, totalTokens: 1000 }],
      byModel: [
        { model: "large", role: "task", calls: 2, promptTokens: 40, completionTokens: 60, totalTokens: 100 },
        { model: "small", role: "ux", calls: 1, promptTokens: 300, completionTokens: 600, totalTokens: 900 },
      ],
    });
    // actual = 900 × 0.1 + 100 × 1 = 190 against 1000.
    expect(report.savings.percent).toBeCloseTo(81, 9);
    expect(report.savings.formula).toBe(savingsFormula);
    // What the API sends must survive JSON unchanged.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  test("since leaves older calls out", () => {
    store.recordModelCall(call({ promptTokens: 1000, completionTokens: 1000 }));
    time += 3_600_000;
    store.recordModelCall(call({ role: "task", model: "large", promptTokens: 5, completionTokens: 5 }));
    const report = buildTokenReport(store, weights(), { since: start + 1 });
    expect(report.since).toBe(start + 1);
    expect(report.totals.byRole.map((row) => row.role)).toEqual(["task"]);
    expect(report.savings.percent).toBe(0);
  });

  test("the route's query: since in epoch ms, anything else is a plain BAD_REQUEST", () => {
    expect(tokenReportOptions({})).toEqual({});
    expect(tokenReportOptions({ since: "" })).toEqual({});
    expect(tokenReportOptions({ since: String(start) })).toEqual({ since: start });
    for (const bad of ["yesterday", "-5", "1.5"]) {
      let error: unknown;
      try {
        tokenReportOptions({ since: bad });
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(TaleError);
      expect((error as TaleError).code).toBe("BAD_REQUEST");
      expect((error as TaleError).message).toContain(bad);
    }
  });

  test("tale tokens prints the tables, the savings and the formula", () => {
    store.recordModelCall(call({ promptTokens: 300, completionTokens: 600 }));
    store.recordModelCall(call({ role: "task", model: "large", promptTokens: 40, completionTokens: 60 }));
    const text = renderTokenReport(buildTokenReport(store, weights())).replace(/\x1b\[[0-9;]*m/g, "");
    expect(text).toContain("savings 81.0% against sending every call to large");
    expect(text).toContain(savingsFormula);
    expect(text).toMatch(/^ux\s+1\s+300\s+600\s+900$/m);
    expect(text).toMatch(/^2026-11-25\s+2\s+340\s+660\s+1,000$/m);
    expect(text).toMatch(/^small\s+ux\s+0\.1 \(parameters\)/m);
    expect(renderTokenReport(buildTokenReport(store, weights(), { since: start + 1 }))).toContain("No model calls recorded");
  });

  test("tale tokens --since takes spans back from now and dates", () => {
    const now = Date.UTC(2026, 10, 25, 12, 0, 0);
    expect(sinceOf("7d", now)).toBe(now - 7 * 86_400_000);
    expect(sinceOf("24h", now)).toBe(now - 86_400_000);
    expect(sinceOf("90m", now)).toBe(now - 5_400_000);
    expect(sinceOf("2026-11-01T00:00:00Z", now)).toBe(Date.UTC(2026, 10, 1));
    expect(() => sinceOf("last week", now)).toThrow(/--since/);
  });
});

describe("role stats for routing", () => {
  test("one read serves every decision within the TTL; later decisions see new calls", () => {
    let reads = 0;
    const counting = { roleStats: (options: Parameters<Store["roleStats"]>[0]) => (reads++, store.roleStats(options)) };
    const stats = createRoleStatsCache({ store: counting, ttlMs: 1000, now: () => time });
    expect(stats().ux.calls).toBe(0);
    store.recordModelCall(call({ latencyMs: 42 }));
    time += 999;
    expect(stats().ux.calls).toBe(0);
    expect(reads).toBe(1);
    time += 1;
    expect(stats().ux).toEqual({ calls: 1, successRate: 1, p50LatencyMs: 42 });
    expect(reads).toBe(2);
  });
});

describe("recording an attempt", () => {
  test("the ledger row carries the attempt's numbers and the task's routing provenance", () => {
    const task = store.insertTask({ kind: "prompt", prompt: "hi", role: "ux", routedBy: "plugin:router" });
    const attempt: AttemptEnd = {
      task,
      attempt: 2,
      role: "ux",
      engine: "ux-0",
      model: "small",
      outcome: "timed_out",
      errorCode: "TIMEOUT",
      usage: { promptTokens: 7, completionTokens: 3 },
      latencyMs: 1234,
      ttftMs: 56,
    };
    const row = store.recordModelCall(modelCallOf(attempt));
    expect(row).toMatchObject({
      taskId: task.id,
      attempt: 2,
      role: "ux",
      engine: "ux-0",
      model: "small",
      promptTokens: 7,
      completionTokens: 3,
      latencyMs: 1234,
      ttftMs: 56,
      outcome: "timed_out",
      errorCode: "TIMEOUT",
      routedBy: "plugin:router",
      createdAt: start,
    });
  });
});
