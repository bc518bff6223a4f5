import type { TaleError } from "../errors";

export interface RetryDelayOptions {
  baseMs: number;
  maxMs: number;
  /** For tests: a source of numbers in [0, 1). */
  random?: () => number;
  now?: number;
}

/**
 * Exponential backoff with full jitter (a random wait up to the exponential
 * ceiling, so retries from many tasks spread out instead of arriving in
 * waves), never shorter than the server's own Retry-After.
 */
export function retryDelay(attempt: number, error: TaleError, options: RetryDelayOptions): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor((options.random ?? Math.random)() * ceiling);
  const asked = parseRetryAfter(error.details?.retryAfter, options.now ?? Date.now());
  return Math.max(jittered, asked ?? 0);
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
