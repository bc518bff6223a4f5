import type { Role } from "../config/types.ts";
import type { CostWeights, WeightSource } from "./weights.ts";

/**
 * Savings of routing against a naive single-model baseline, one where every
 * call (conversation and acknowledgements included) goes to the task model:
 *
 *   cost(call)  = (prompt tokens + completion tokens) × weight(model of the call)
 *   actual      = Σ cost(call) over every recorded call
 *   baseline    = Σ (prompt tokens + completion tokens) × weight(task model)
 *   savings %   = 100 × (1 − actual / baseline)
 *
 * The baseline reuses the recorded token counts: it assumes the task model
 * would have read and written as many tokens, which holds when both models
 * share a tokenizer and answers are capped by the same budgets.
 */
export const savingsFormula =
  "savings = 1 − Σ tokens × weight(model) ÷ Σ tokens × weight(task model); tokens = prompt + completion; weight = parameters ÷ task model parameters unless set in ledger.costWeights";

/** Tokens one model spent in one role. */
export interface ModelUsage {
  model: string;
  role: Role;
  promptTokens: number;
  completionTokens: number;
}

export interface AppliedWeight {
  weight: number;
  source: WeightSource;
  role: Role;
}

export interface Savings {
  /** Weighted cost of the calls as routed. */
  actual: number;
  /** Weighted cost of the same tokens all on the task model. */
  baseline: number;
  /** 100 × (1 − actual / baseline); null when there were no tokens. */
  percent: number | null;
  baselineModel: string | null;
  /** The weight each model was priced at, and where it came from. */
  weights: Record<string, AppliedWeight>;
  formula: string;
  /** Plain sentences on weights that are guesses rather than measurements. */
  notes: string[];
}

export function computeSavings(usage: readonly ModelUsage[], weights: CostWeights): Savings {
  let actual = 0;
  let baseline = 0;
  const applied: Record<string, AppliedWeight> = {};
  for (const entry of usage) {
    const tokens = entry.promptTokens + entry.completionTokens;
    // One weight per model, fixed by its first row, so a model seen in both roles is priced the same in both.
    const weight = (applied[entry.model] ??= weights.weightOf(entry.model, entry.role));
    actual += tokens * weight.weight;
    baseline += tokens * weights.baselineWeight;
  }
  return {
    actual,
    baseline,
    percent: baseline === 0 ? null : 100 * (1 - actual / baseline),
    baselineModel: weights.baselineModel,
    weights: applied,
    formula: savingsFormula,
    notes: notesOn(applied, weights.baselineModel),
  };
}

function notesOn(applied: Record<string, AppliedWeight>, baselineModel: string | null): string[] {
  const notes: string[] = [];
  if (baselineModel === null) notes.push("No task engine is configured, so the baseline weight is 1.");
  for (const [model, weight] of Object.entries(applied)) {
    if (weight.source !== "role fallback") continue;
    notes.push(
      weight.role === "task"
        ? `${model} reports no parameter count; priced like the task model (weight ${formatWeight(weight.weight)}).`
        : `${model} reports no parameter count; priced at ledger.fallbackUxWeight (weight ${formatWeight(weight.weight)}).`,
    );
  }
  return notes;
}

export function formatWeight(weight: number): string {
  return weight >= 0.01 ? String(Number(weight.toFixed(3))) : weight.toExponential(2);
}
