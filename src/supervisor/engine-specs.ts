import { roles, type EngineConfig, type Role, type TaleConfig } from "../config/types";
import { TaleError } from "../errors";

/** One engine to supervise: its stable id, its role and its configuration. */
export interface EngineSpec {
  id: string;
  role: Role;
  config: EngineConfig;
}

export function engineSpecs(models: TaleConfig["models"]): EngineSpec[] {
  const specs = roles.flatMap((role) => toList(models[role]).map((config, index) => ({ id: config.name ?? `${role}-${index}`, role, config })));
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.id)) {
      throw new TaleError("CONFIG", `Two engines are named "${spec.id}".`, {
        hint: "Give every engine under models a unique name, or remove the name to use the role-index default.",
      });
    }
    seen.add(spec.id);
  }
  return specs;
}

function toList(value: EngineConfig | EngineConfig[] | undefined): EngineConfig[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
