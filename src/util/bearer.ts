import { randomBytes, timingSafeEqual } from "node:crypto";

/** 32 random bytes as hex: the API token and each engine's key. */
export function newSecret(): string {
  return randomBytes(32).toString("hex");
}

/**
 * Whether an Authorization header carries `Bearer <expected>`. Constant time
 * in the secret, so a caller cannot learn it byte by byte from response times.
 */
export function bearerMatches(header: string | null | undefined, expected: Buffer): boolean {
  const value = header ?? "";
  const given = Buffer.from(value.startsWith("Bearer ") ? value.slice(7).trim() : "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
