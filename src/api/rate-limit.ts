import type { MiddlewareHandler } from "hono";
import { TaleError } from "../errors";

export interface RateLimitOptions {
  perMinute: number;
  burst: number;
  now?: () => number;
}

/**
 * A token bucket per client: `burst` submissions at once, refilled at
 * `perMinute`. Only submissions pass through it; reads are never limited.
 */
export function createRateLimiter(options: RateLimitOptions) {
  const now = options.now ?? Date.now;
  const perMs = options.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    /** Takes one token, or says how long until one is free. */
    take(client: string): { ok: true } | { ok: false; retryAfterMs: number } {
      const at = now();
      const bucket = buckets.get(client) ?? { tokens: options.burst, at };
      bucket.tokens = Math.min(options.burst, bucket.tokens + (at - bucket.at) * perMs);
      bucket.at = at;
      buckets.set(client, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / perMs) };
    },
  };
}

/** Middleware for submission routes; a client over its rate gets 429 with Retry-After. */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const limiter = createRateLimiter(options);
  return async (c, next) => {
    if (c.req.method !== "POST") return next();
    const client = c.req.header("x-tale-client") || (await userField(c.req.raw)) || "default";
    const verdict = limiter.take(client);
    if (!verdict.ok) {
      const seconds = Math.ceil(verdict.retryAfterMs / 1000);
      c.header("Retry-After", String(seconds));
      throw new TaleError("RATE_LIMITED", `Client "${client}" is over its limit of ${options.perMinute} submissions per minute.`, {
        hint: `Retry in ${seconds} s, or raise api.rateLimitPerMinute (0 turns the limit off).`,
      });
    }
    return next();
  };
}

/** The OpenAI `user` field, read from a clone so the route still gets the body. */
async function userField(request: Request): Promise<string | undefined> {
  try {
    const body = (await request.clone().json()) as { user?: unknown };
    return typeof body.user === "string" ? body.user : undefined;
  } catch {
    return undefined;
  }
}
