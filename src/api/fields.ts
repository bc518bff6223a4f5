import * as v from "valibot";

/**
 * Numeric request fields with their allowed ranges, shared by the API and
 * the engine. Every number is bounded at the edge: JSON happily carries
 * 1e21, and past 2^63 SQLite refuses it, past 2^31 ms a timer fires at once.
 */
export const limits = {
  maxTokens: 1_048_576,
  /** The longest delay a JavaScript timer honours (about 24.8 days). */
  timeoutMs: 2_147_483_647,
  /** llama.cpp seeds are unsigned 32-bit. */
  seed: 4_294_967_295,
} as const;

export function wholeNumber(what: string, min: number, max: number) {
  const range = `${what} must be a whole number from ${min} to ${max}`;
  return v.pipe(v.number(`${what} must be a number`), v.integer(range), v.minValue(min, range), v.maxValue(max, range));
}

export const maxTokensField = (what: string) => wholeNumber(what, 1, limits.maxTokens);
export const seedField = wholeNumber("seed", 0, limits.seed);
