import { describe, expect, test } from "bun:test";
import { backoffDelayMs, defineBackoffPolicy } from "../../src/supervisor/backoff";
import { defaultCrashLimit, isCrashLoop, recordCrash } from "../../src/supervisor/crash-window";

const policy = defineBackoffPolicy({ initialMs: 250, maxMs: 5000, jitter: 0.2 });

describe("backoff", () => {
  test("doubles from the initial delay and stops at the maximum", () => {
    const sequence = Array.from({ length: 8 }, (_, attempt) => backoffDelayMs(attempt, policy, () => 0));
    expect(sequence).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  test("jitter only shortens the delay, by at most the jitter fraction", () => {
    expect(backoffDelayMs(2, policy, () => 1)).toBe(800);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(900);
    for (let attempt = 0; attempt < 10; attempt++) {
      const delay = backoffDelayMs(attempt, policy);
      const ceiling = Math.min(5000, 250 * 2 ** attempt);
      expect(delay).toBeLessThanOrEqual(ceiling);
      expect(delay).toBeGreaterThanOrEqual(ceiling * 0.8);
    }
  });

  test("a huge attempt number neither overflows nor exceeds the maximum", () => {
    expect(backoffDelayMs(5000, policy, () => 0)).toBe(5000);
  });

  test("defaults: 20 % jitter", () => {
    expect(defineBackoffPolicy({ initialMs: 100, maxMs: 1000 })).toEqual({ initialMs: 100, maxMs: 1000, jitter: 0.2 });
  });
});

describe("crash window", () => {
  const limit = { maxCrashes: 3, windowMs: 1000 };

  test("counts crashes inside the window and forgets older ones", () => {
    let crashes = recordCrash([], 0, limit);
    crashes = recordCrash(crashes, 400, limit);
    expect(isCrashLoop(crashes, limit)).toBe(false);
    crashes = recordCrash(crashes, 1200, limit);
    expect(crashes).toEqual([400, 1200]);
    expect(isCrashLoop(crashes, limit)).toBe(false);
    crashes = recordCrash(crashes, 1300, limit);
    expect(isCrashLoop(crashes, limit)).toBe(true);
  });

  test("slow crashes never add up to a loop", () => {
    let crashes: number[] = [];
    for (let time = 0; time < 20_000; time += 600) crashes = recordCrash(crashes, time, limit);
    expect(isCrashLoop(crashes, limit)).toBe(false);
  });

  test("the default gives up after 5 crashes within 60 s", () => {
    expect(defaultCrashLimit).toEqual({ maxCrashes: 5, windowMs: 60_000 });
  });
});
