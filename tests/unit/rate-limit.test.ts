import { expect, test } from "bun:test";
import { createRateLimiter } from "../../src/api/rate-limit";

test("a client gets its burst at once, then the per-minute rate; clients do not share buckets", () => {
  let now = 0;
  const limiter = createRateLimiter({ perMinute: 60, burst: 2, now: () => now });
  expect(limiter.take("a")).toEqual({ ok: true });
  expect(limiter.take("a")).toEqual({ ok: true });
  expect(limiter.take("a")).toEqual({ ok: false, retryAfterMs: 1000 });
  expect(limiter.take("b")).toEqual({ ok: true });
  now = 500;
  expect(limiter.take("a")).toEqual({ ok: false, retryAfterMs: 500 });
  now = 1000;
  expect(limiter.take("a")).toEqual({ ok: true });
  // A long pause refills up to the burst, never beyond it.
  now = 600_000;
  expect(limiter.take("a")).toEqual({ ok: true });
  expect(limiter.take("a")).toEqual({ ok: true });
  expect(limiter.take("a").ok).toBe(false);
});
