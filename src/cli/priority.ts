import { TaleError } from "../errors";
import { ownValue } from "../util/own";

/** Named priorities map onto numbers; higher runs first. */
export const priorityNames: Record<string, number> = { low: -10, normal: 0, high: 10, critical: 100 };

export function parsePriority(text: string): number {
  const named = ownValue(priorityNames, text);
  if (named !== undefined) return named;
  const value = Number(text);
  if (Number.isInteger(value) && value >= -1000 && value <= 1000) return value;
  throw new TaleError("BAD_REQUEST", `Invalid priority "${text}".`, {
    hint: `Use ${Object.keys(priorityNames).join(", ")} or a whole number from -1000 to 1000.`,
  });
}
