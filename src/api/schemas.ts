import * as v from "valibot";
import { priorityNames } from "../cli/priority";
import { limits, maxTokensField, seedField, wholeNumber } from "./fields";

const role = v.picklist(["ux", "task", "auto"], 'must be "ux", "task" or "auto"');
const priorityNumber = v.pipe(v.number(), v.integer(), v.minValue(-1000), v.maxValue(1000));
const priorityName = v.pipe(v.picklist(Object.keys(priorityNames)), v.transform((name) => priorityNames[name]!));
const priority = v.union([priorityNumber, priorityName], `must be ${Object.keys(priorityNames).join(", ")} or a whole number from -1000 to 1000`);
const taskStatus = v.picklist(["queued", "running"], 'must be "queued" or "running"');
const nonEmptyText = v.pipe(v.string("must be a string"), v.trim(), v.nonEmpty("must not be empty"));

export const submitTaskSchema = v.strictObject({
  prompt: nonEmptyText,
  role: v.optional(role, "auto"),
  priority: v.optional(priority, 0),
  timeout_ms: v.optional(wholeNumber("timeout_ms", 1, limits.timeoutMs)),
  max_tokens: v.optional(maxTokensField("max_tokens")),
  temperature: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(2))),
  seed: v.optional(seedField),
});

/** Cancels every queued or running task that matches all the given filters. */
export const cancelManySchema = v.strictObject({
  status: v.optional(taskStatus),
  role: v.optional(v.picklist(["ux", "task"], 'must be "ux" or "task"')),
});

const message = v.object({
  role: v.picklist(["system", "user", "assistant"], 'must be "system", "user" or "assistant"'),
  content: v.string("must be a string"),
});

export const chatCompletionSchema = v.object({
  model: v.optional(v.string()),
  messages: v.pipe(v.array(message, "must be an array of messages"), v.minLength(1, "must have at least one message")),
  stream: v.optional(v.boolean(), false),
  stream_options: v.optional(v.object({ include_usage: v.optional(v.boolean()) })),
  max_tokens: v.optional(maxTokensField("max_tokens")),
  max_completion_tokens: v.optional(maxTokensField("max_completion_tokens")),
  temperature: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(2))),
  seed: v.optional(seedField),
  user: v.optional(v.string()),
  priority: v.optional(priority),
});

export type SubmitTaskBody = v.InferOutput<typeof submitTaskSchema>;
export type CancelManyBody = v.InferOutput<typeof cancelManySchema>;
export type ChatCompletionBody = v.InferOutput<typeof chatCompletionSchema>;
