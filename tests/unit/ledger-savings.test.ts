import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDefaultConfig, loadTaleConfig } from "../../src/config/index.ts";
import { TaleError } from "../../src/errors/index.ts";
import type { TaleConfig } from "../../src/config/types.ts";
import { computeSavings, defineCostWeights, savingsFormula, type ModelUsage, type WeighedModel } from "../../src/ledger/index.ts";

const ledger = (overrides: Partial<TaleConfig["ledger"]> = {}): TaleConfig["ledger"] => ({ ...createDefaultConfig().ledger, ...overrides });
const use = (model: string, role: ModelUsage["role"], promptTokens: number, completionTokens: number): ModelUsage => ({ model, role, promptTokens, completionTokens });

describe("cost weights", () => {
  test("default: parameter count over the task model's", () => {
    const engines: WeighedModel[] = [
      { role: "ux", model: "small", parameters: 1_000_000 },
      { role: "task", model: "large", parameters: 8_000_000 },
    ];
    const weights = defineCostWeights({ engines, config: ledger() });
    expect(weights.baselineModel).toBe("large");
    expect(weights.baselineWeight).toBe(1);
    expect(weights.weightOf("small", "ux")).toEqual({ weight: 0.125, source: "parameters", role: "ux" });
    expect(weights.weightOf("large", "task")).toEqual({ weight: 1, source: "baseline", role: "task" });
  });

  test("a configured weight wins, and scales parameter weights when set on the task model", () => {
    const engines: WeighedModel[] = [
      { role: "ux", model: "small", parameters: 1_000_000 },
      { role: "ux", model: "medium", parameters: 2_000_000 },
      { role: "task", model: "large", parameters: 8_000_000 },
    ];
    const weights = defineCostWeights({ engines, config: ledger({ costWeights: { large: 4, small: 3 } }) });
    expect(weights.baselineWeight).toBe(4);
    expect(weights.weightOf("small", "ux")).toEqual({ weight: 3, source: "config", role: "ux" });
    expect(weights.weightOf("medium", "ux")).toEqual({ weight: 1, source: "parameters", role: "ux" });
  });

  test("without parameter counts: the task role weighs like the task model, the ux role ledger.fallbackUxWeight", () => {
    const engines: WeighedModel[] = [
      { role: "ux", model: "remote-mini", parameters: null },
      { role: "task", model: "remote-large", parameters: null },
      { role: "task", model: "second-large", parameters: null },
    ];
    const weights = defineCostWeights({ engines, config: ledger({ fallbackUxWeight: 0.25 }) });
    expect(weights.weightOf("remote-mini", "ux")).toEqual({ weight: 0.25, source: "role fallback", role: "ux" });
    expect(weights.weightOf("second-large", "task")).toEqual({ weight: 1, source: "role fallback", role: "task" });
    // A model the engines no longer report (the config changed) falls back by the role it served.
    expect(weights.weightOf("retired", "ux")).toEqual({ weight: 0.25, source: "role fallback", role: "ux" });
  });

  test("a model keeps its engine's role, so a ux model asked to serve task work is still priced as ux", () => {
    const engines: WeighedModel[] = [
      { role: "ux", model: "mini", parameters: null },
      { role: "task", model: "large", parameters: 10 },
    ];
    expect(defineCostWeights({ engines, config: ledger() }).weightOf("mini", "task")).toEqual({ weight: 0.1, source: "role fallback", role: "ux" });
  });
});

describe("savings against every call on the task model", () => {
  const engines: WeighedModel[] = [
    { role: "ux", model: "small", parameters: 1_000_000 },
    { role: "task", model: "large", parameters: 10_000_000 },
  ];

  test("by parameter count: 900 ux tokens at 0.1 and 100 task tokens save 81%", () => {
    const savings = computeSavings([use("small", "ux", 300, 600), use("large", "task", 40, 60)], defineCostWeights({ engines, config: ledger() }));
    // actual = 900 × 0.1 + 100 × 1 = 190; baseline = 1000 × 1
    expect(savings.actual).toBeCloseTo(190, 9);
    expect(savings.baseline).toBe(1000);
    expect(savings.percent).toBeCloseTo(81, 9);
    expect(savings.baselineModel).toBe("large");
    expect(savings.weights).toEqual({
      small: { weight: 0.1, source: "parameters", role: "ux" },
      large: { weight: 1, source: "baseline", role: "task" },
    });
    expect(savings.formula).toBe(savingsFormula);
    expect(savings.notes).toEqual([]);
  });

  test("configured weights: 400 tokens at 0.5 and 100 at 2 against 500 at 2 save 60%", () => {
    const weights = defineCostWeights({ engines, config: ledger({ costWeights: { large: 2, small: 0.5 } }) });
    const savings = computeSavings([use("small", "ux", 100, 300), use("large", "task", 50, 50)], weights);
    // actual = 400 × 0.5 + 100 × 2 = 400; baseline = 500 × 2 = 1000
    expect(savings.actual).toBe(400);
    expect(savings.baseline).toBe(1000);
    expect(savings.percent).toBeCloseTo(60, 9);
  });

  test("remote engines without counts use the fallback weight and say so", () => {
    const remote: WeighedModel[] = [
      { role: "ux", model: "mini", parameters: null },
      { role: "task", model: "large", parameters: null },
    ];
    const savings = computeSavings([use("mini", "ux", 500, 300), use("large", "task", 100, 100)], defineCostWeights({ engines: remote, config: ledger({ fallbackUxWeight: 0.25 }) }));
    // actual = 800 × 0.25 + 200 × 1 = 400; baseline = 1000
    expect(savings.percent).toBeCloseTo(60, 9);
    expect(savings.notes).toEqual(["mini reports no parameter count; priced at ledger.fallbackUxWeight (weight 0.25)."]);
  });

  test("everything on the task model saves nothing; a ux model dearer than the task model costs more", () => {
    const weights = defineCostWeights({ engines, config: ledger({ costWeights: { small: 3 } }) });
    expect(computeSavings([use("large", "task", 10, 10)], weights).percent).toBe(0);
    // actual = 100 × 3; baseline = 100 × 1
    expect(computeSavings([use("small", "ux", 50, 50)], weights).percent).toBeCloseTo(-200, 9);
  });

  test("no tokens: no percentage, rather than a made-up 0", () => {
    const savings = computeSavings([], defineCostWeights({ engines, config: ledger() }));
    expect(savings).toMatchObject({ actual: 0, baseline: 0, percent: null });
  });

  test("without any task engine the baseline weight is 1 and the note says so", () => {
    const savings = computeSavings([use("small", "ux", 1, 1)], defineCostWeights({ engines: [engines[0]!], config: ledger() }));
    expect(savings.baselineModel).toBeNull();
    expect(savings.notes[0]).toContain("No task engine");
  });
});

describe("ledger config", () => {
  async function loadLedger(file: object): Promise<TaleConfig["ledger"]> {
    const dir = mkdtempSync(join(tmpdir(), "tale-ledger-config-"));
    try {
      writeFileSync(join(dir, "tale.config.json"), JSON.stringify(file));
      return (await loadTaleConfig({ cwd: dir, home: join(dir, "home"), env: {} })).config.ledger;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test("weights from a config file reach the savings, merged over the defaults", async () => {
    const config = await loadLedger({ ledger: { costWeights: { mini: 0.05 } } });
    expect(config).toEqual({ costWeights: { mini: 0.05 }, fallbackUxWeight: 0.1 });
    const engines: WeighedModel[] = [
      { role: "ux", model: "mini", parameters: null },
      { role: "task", model: "large", parameters: null },
    ];
    // actual = 1000 × 0.05; baseline = 1000 × 1
    expect(computeSavings([use("mini", "ux", 400, 600)], defineCostWeights({ engines, config })).percent).toBeCloseTo(95, 9);
  });

  test("a weight of zero or less is refused with the key that holds it", async () => {
    const error = await loadLedger({ ledger: { costWeights: { mini: 0 } } }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TaleError);
    expect((error as TaleError).message).toContain("ledger.costWeights.mini must be a number above 0");
  });
});
