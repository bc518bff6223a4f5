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
  const text = await readBody(request);
  if (!text.trim()) throw new TaleError("BAD_REQUEST", "Invalid request: the body is empty.", { hint: "Send a JSON object." });
  try {
    return JSON.parse(text);
  } catch {
    throw new TaleError("BAD_REQUEST", "Invalid request: the body is not valid JSON.", { hint: "Send a JSON object with content-type application/json." });
  }
}

/**
 * A client that hangs up mid-body (fewer bytes than its Content-Length) is
 * the client's doing: it becomes a BAD_REQUEST marked `clientGone`, which the
 * API logs at debug level only; nobody is left to read the answer.
 */
async function readBody(request: Request): Promise<string> {
  try {
    return await request.text();
  } catch (error) {
    throw new TaleError("BAD_REQUEST", "Invalid request: the client closed the connection before the body was complete.", {
      hint: "Send the whole body that Content-Length announces.",
      details: { clientGone: true },
      cause: error,
    });
  }
}

/** A count from the query string (`?limit=`): a whole number within 1..max, else the default. */
export function queryCount(text: string | undefined, fallback: number, max: number): number {
  const value = Math.floor(Number(text ?? fallback));
  if (!Number.isFinite(value) || value < 1) return fallback;
  return Math.min(value, max);
}
