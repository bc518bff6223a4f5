import { readFileSync } from "node:fs";
import * as v from "valibot";

/** One labelled request of a token workload. */
export type WorkloadKind = "conversation" | "simple" | "complex";
export const workloadKinds: readonly WorkloadKind[] = ["conversation", "simple", "complex"];

const itemSchema = v.strictObject({
  kind: v.picklist(workloadKinds),
  prompt: v.pipe(v.string(), v.nonEmpty()),
  /** The answer length a real model would give; random-weight models run to the cap, so this sets the output tokens. */
  max_tokens: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  /** A chat session: the item is a `tale chat` turn, replayed in file order after the session's earlier turns. */
  session: v.optional(v.pipe(v.string(), v.regex(/^[\w.-]{1,64}$/))),
});

const workloadSchema = v.strictObject({
  name: v.string(),
  description: v.string(),
  items: v.pipe(v.array(itemSchema), v.minLength(1)),
});

export type WorkloadItem = v.InferOutput<typeof itemSchema> & { index: number };
export interface Workload {
  name: string;
  description: string;
  items: WorkloadItem[];
}

export function readWorkload(path: string): Workload {
  const parsed = v.safeParse(workloadSchema, JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new Error(`${path}: ${v.getDotPath(issue) ?? "(root)"}: ${issue.message}`);
  }
  const items = parsed.output.items.map((item, index) => ({ ...item, index }));
  // A chat turn's budget is the chat agent's to choose; a number here would be silently ignored.
  const budgeted = items.find((item) => item.session !== undefined && item.max_tokens !== undefined);
  if (budgeted) throw new Error(`${path}: item ${budgeted.index} is a chat turn (session "${budgeted.session}") and cannot set max_tokens`);
  return { ...parsed.output, items };
}
