import { readFileSync } from "node:fs";
import * as v from "valibot";
import { TaleError } from "../../errors";

/** One kind of request in a stress run; `weight` is its share of the tasks. */
export interface MixItem {
  prompt: string;
  role: "ux" | "task" | "auto";
  max_tokens: number;
  weight: number;
}

/** Short answers on both roles and some routing, so a run finishes on the default models. */
export const defaultMix: MixItem[] = [
  { prompt: "say hi", role: "ux", max_tokens: 8, weight: 5 },
  { prompt: "summarise the plot of a short story", role: "task", max_tokens: 16, weight: 3 },
  { prompt: "what is two plus two", role: "auto", max_tokens: 8, weight: 2 },
];

const mixSchema = v.pipe(
  v.array(
    v.strictObject({
      prompt: v.pipe(v.string(), v.nonEmpty()),
      role: v.optional(v.picklist(["ux", "task", "auto"]), "auto"),
      max_tokens: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 16),
      weight: v.optional(v.pipe(v.number(), v.gtValue(0, "must be above 0")), 1),
    }),
  ),
  v.minLength(1),
);

export function loadMix(path: string): MixItem[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new TaleError("BAD_REQUEST", `Cannot read the mix file ${path}: ${(error as Error).message}.`, {
      hint: 'Give a JSON array like [{"prompt": "hi", "role": "ux", "max_tokens": 8, "weight": 3}].',
    });
  }
  const result = v.safeParse(mixSchema, data);
  if (!result.success) {
    const issue = result.issues[0];
    const where = issue.path?.map((item) => String(item.key)).join(".") || "the file";
    throw new TaleError("BAD_REQUEST", `The mix file ${path} is invalid at ${where}: ${issue.message}.`, {
      hint: 'Each entry needs a "prompt"; "role" (ux, task, auto), "max_tokens" and "weight" are optional.',
    });
  }
  return result.output;
}

/** The mix item for the n-th task: a deterministic spread by weight, so runs are repeatable. */
export function pickFromMix(mix: readonly MixItem[], index: number): MixItem {
  const total = mix.reduce((sum, item) => sum + item.weight, 0);
  // Golden-ratio steps spread consecutive tasks over the mix instead of running it in blocks.
  let point = ((index * 0.618033988749895) % 1) * total;
  for (const item of mix) {
    point -= item.weight;
    if (point < 0) return item;
  }
  return mix.at(-1)!;
}
