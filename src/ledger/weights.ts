import type { Role, TaleConfig } from "../config/types.ts";
import { ownValue } from "../util/own.ts";

/**
 * Cost weights: what one token of each model costs relative to a token of
 * the task model. By default a model weighs its parameter count over the
 * task model's, since the compute a token takes grows with the parameters.
 * A weight set in `ledger.costWeights` wins. When counts are unknown (remote
 * and process engines report none) a task-role model weighs like the task
 * model and a ux-role model `ledger.fallbackUxWeight` times that.
 */

/** A model as the engines report it; `parameters` is null when the engine does not say. */
export interface WeighedModel {
  role: Role;
  model: string;
  parameters: number | null;
}

/** `baseline`: the task model itself, the unit everything else is measured in. */
export type WeightSource = "baseline" | "config" | "parameters" | "role fallback";

export interface ModelWeight {
  weight: number;
  source: WeightSource;
  /** The role the weight was judged by: the model's engine's role, else the role of the call. */
  role: Role;
}

export interface CostWeightsOptions {
  /** The engines now configured (a supervisor snapshot fits); the first task engine's model is the baseline. */
  engines: readonly WeighedModel[];
  config: TaleConfig["ledger"];
}

export interface CostWeights {
  /** The model every call is priced at in the naive baseline; null when no task engine is known. */
  baselineModel: string | null;
  baselineWeight: number;
  /** A model's weight; one the engines do not report (say, from before a config change) falls back by the role it served. */
  weightOf(model: string, calledAs: Role): ModelWeight;
}

export function defineCostWeights(options: CostWeightsOptions): CostWeights {
  const { config } = options;
  const parametersOf = new Map<string, number>();
  const roleOf = new Map<string, Role>();
  for (const engine of options.engines) {
    if (engine.parameters !== null && engine.parameters > 0) parametersOf.set(engine.model, engine.parameters);
    if (!roleOf.has(engine.model)) roleOf.set(engine.model, engine.role);
  }
  const baselineModel = options.engines.find((engine) => engine.role === "task")?.model ?? null;
  const baselineWeight = (baselineModel === null ? undefined : ownValue(config.costWeights, baselineModel)) ?? 1;
  const baselineParameters = baselineModel === null ? undefined : parametersOf.get(baselineModel);

  return {
    baselineModel,
    baselineWeight,
    weightOf(model, calledAs) {
      const role = roleOf.get(model) ?? calledAs;
      if (model === baselineModel) return { weight: baselineWeight, source: "baseline", role };
      const configured = ownValue(config.costWeights, model);
      if (configured !== undefined) return { weight: configured, source: "config", role };
      const parameters = parametersOf.get(model);
      if (parameters !== undefined && baselineParameters !== undefined) {
        return { weight: (baselineWeight * parameters) / baselineParameters, source: "parameters", role };
      }
      return { weight: role === "task" ? baselineWeight : config.fallbackUxWeight * baselineWeight, source: "role fallback", role };
    },
  };
}
