import * as v from "valibot";
import { TaleError } from "../errors";

/** Validates a request body and names the first wrong field in the error. */
export function parseBody<TSchema extends v.GenericSchema>(schema: TSchema, body: unknown): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, body);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = issue.path?.map((item) => String(item.key)).join(".") || "body";
  throw new TaleError("BAD_REQUEST", `Invalid request: ${path}: ${issue.message}.`, {
    hint: "Fix the field named above; see the API section of the README for the request shapes.",
  });
}

export async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  if (!text.trim()) throw new TaleError("BAD_REQUEST", "Invalid request: the body is empty.", { hint: "Send a JSON object." });
  try {
    return JSON.parse(text);
  } catch {
    throw new TaleError("BAD_REQUEST", "Invalid request: the body is not valid JSON.", { hint: "Send a JSON object with content-type application/json." });
  }
}
