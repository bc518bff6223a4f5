import { describe, expect, test } from "bun:test";
import { TaleError } from "../../src/errors";
import { parseRetryAfter, retryDelay } from "../../src/scheduler/retry-delay";

const crashed = new TaleError("ENGINE_CRASHED", "gone");
const options = { baseMs: 200, maxMs: 10_000 };

describe("retry delay", () => {
  test("full jitter stays under the exponential ceiling", () => {
    expect(retryDelay(1, crashed, { ...options, random: () => 0.999 })).toBe(199);
    expect(retryDelay(3, crashed, { ...options, random: () => 0.999 })).toBe(799);
    expect(retryDelay(3, crashed, { ...options, random: () => 0 })).toBe(0);
    expect(retryDelay(20, crashed, { ...options, random: () => 0.5 })).toBe(5_000);
  });

  test("Retry-After wins when it asks for longer", () => {
    const limited = new TaleError("RATE_LIMITED", "slow down", { details: { retryAfter: "2" } });
    expect(retryDelay(1, limited, { ...options, random: () => 0.5 })).toBe(2_000);
    const dated = new TaleError("RATE_LIMITED", "slow down", { details: { retryAfter: new Date(10_000).toUTCString() } });
    expect(retryDelay(1, dated, { ...options, random: () => 0, now: 7_000 })).toBe(3_000);
  });

  test("unreadable Retry-After values are ignored", () => {
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    expect(parseRetryAfter("1.5", 0)).toBe(1_500);
  });
});
