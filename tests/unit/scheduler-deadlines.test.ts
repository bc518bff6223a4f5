import { afterEach, describe, expect, test } from "bun:test";
import { createSchedulerKit, TestPool, untilAborted, type EngineBehaviour, type SchedulerKit } from "../helpers/scheduler-kit";

const kits: SchedulerKit[] = [];
afterEach(async () => {
  for (const created of kits.splice(0)) await created.close();
});

/** An engine that records when its call was aborted. */
function abortRecorder(): { behaviour: EngineBehaviour; abortedAt: () => number | undefined } {
  let at: number | undefined;
  return {
    behaviour: (request, options) => {
      options.signal?.addEventListener("abort", () => (at = performance.now()), { once: true });
      return untilAborted(request, options);
    },
    abortedAt: () => at,
  };
}

describe("deadlines and cancellation", () => {
  test("a queued task past its deadline ends timed_out without ever running", async () => {
    const pool = new TestPool({ ux: 0, task: 0 });
    const kit = createSchedulerKit({ pool });
    kits.push(kit);
    const task = await kit.scheduler.submit({ kind: "prompt", prompt: "never runs", role: "ux", timeoutMs: 30 });
    const final = await kit.scheduler.wait(task.id, 2_000);
    expect(final.status).toBe("timed_out");
    expect(final.errorCode).toBe("TIMEOUT");
    expect(final.attempts).toBe(0);
    expect(pool.calls).toEqual([]);
  });

  test("a running task past its deadline is aborted in the engine and its slot freed", async () => {
    const recorder = abortRecorder();
    const pool = new TestPool({ ux: 1, task: 1 }, recorder.behaviour);
    const kit = createSchedulerKit({ pool });
    kits.push(kit);
    const task = await kit.scheduler.submit({ kind: "prompt", prompt: "slow", role: "ux", timeoutMs: 40 });
    expect(pool.inFlight.ux).toBe(1);
    const final = await kit.scheduler.wait(task.id, 2_000);
    expect(final.status).toBe("timed_out");
    expect(recorder.abortedAt()).toBeDefined();
    expect(pool.inFlight.ux).toBe(0);
  });

  test("cancelling a running task aborts the engine call and frees the slot within 100 ms", async () => {
    const recorder = abortRecorder();
    const pool = new TestPool({ ux: 1, task: 1 }, recorder.behaviour);
    const kit = createSchedulerKit({ pool });
    kits.push(kit);
    const task = await kit.scheduler.submit({ kind: "prompt", prompt: "slow", role: "ux" });
    const asked = performance.now();
    const cancelled = await kit.scheduler.cancel(task.id);
    const answeredMs = performance.now() - asked;
    expect(cancelled.status).toBe("cancelled");
    expect(recorder.abortedAt()! - asked).toBeLessThan(100);
    expect(answeredMs).toBeLessThan(100);
    expect(pool.inFlight.ux).toBe(0);
  });
});
