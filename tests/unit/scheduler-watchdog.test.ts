import { afterEach, describe, expect, test } from "bun:test";
import { inspectAttempts } from "../../src/scheduler/watchdog";
import { createSchedulerKit, deaf, TestPool, untilAborted, type SchedulerKit } from "../helpers/scheduler-kit";
import { waitFor } from "../helpers/tale";

const kits: SchedulerKit[] = [];
afterEach(async () => {
  for (const created of kits.splice(0)) await created.close();
});

describe("watchdog", () => {
  test("an engine that ignores the deadline's abort: the slot is freed, the task ends timed_out, an alert goes out", async () => {
    const pool = new TestPool({ ux: 1, task: 1 }, deaf);
    const kit = createSchedulerKit({ pool, config: { watchdogIntervalMs: 40 } });
    kits.push(kit);
    const task = await kit.scheduler.submit({ kind: "prompt", prompt: "hang", role: "ux", timeoutMs: 30 });
    expect(pool.inFlight.ux).toBe(1);
    const final = await kit.scheduler.wait(task.id, 2_000);
    expect(final.status).toBe("timed_out");
    expect(pool.inFlight.ux).toBe(0);
    expect(kit.alerts.some((alert) => alert.severity === "critical" && alert.message.includes(task.id))).toBe(true);
    // The freed slot serves the next task.
    pool.behaviour = untilAborted;
    const next = await kit.scheduler.submit({ kind: "prompt", prompt: "next", role: "ux" });
    expect(kit.store.getTask(next.id)!.status).toBe("running");
  });

  test("a task on an engine that stopped being healthy is stopped and runs again elsewhere", async () => {
    const pool = new TestPool({ ux: 1, task: 1 }, untilAborted);
    const kit = createSchedulerKit({ pool, config: { watchdogIntervalMs: 30 } });
    kits.push(kit);
    const task = await kit.scheduler.submit({ kind: "prompt", prompt: "orphan", role: "task" });
    pool.healthy.task = false;
    await waitFor(() => kit.alerts.length > 0, 2_000, "the watchdog alert");
    expect(kit.alerts[0]!.message).toContain("no longer healthy");
    expect(pool.inFlight.task).toBe(0);
    const requeued = kit.store.getTask(task.id)!;
    expect(requeued.status).toBe("queued");
    expect(requeued.attempts).toBe(1);
    pool.behaviour = async () => ({ content: "ok", usage: { promptTokens: 1, completionTokens: 1 }, finishReason: "stop" });
    pool.healthy.task = true;
    pool.setSlots({});
    const final = await kit.scheduler.wait(task.id, 2_000);
    expect(final.status).toBe("succeeded");
    expect(final.attempts).toBe(2);
  });

  test("a row marked running with no attempt behind it goes back to the queue", async () => {
    const pool = new TestPool({ ux: 0, task: 0 });
    const kit = createSchedulerKit({ pool, config: { watchdogIntervalMs: 30 } });
    kits.push(kit);
    const task = await kit.scheduler.submit({ kind: "prompt", prompt: "ghost", role: "ux" });
    kit.store.markRunning(task.id, { role: "ux", engine: "ux-0", attempt: 1 });
    await waitFor(() => kit.store.getTask(task.id)!.status === "queued", 2_000, "the ghost to be re-queued");
    expect(kit.alerts.some((alert) => alert.message.includes(task.id))).toBe(true);
  });

  test("inspectAttempts waits a grace period for aborts and a second round for unhealthy engines", () => {
    const healthy = { ux: ["ux-0"], task: [] };
    const attempts = [
      { taskId: "a", engineId: "ux-0", abortedAt: 1_000 },
      { taskId: "b", engineId: "ux-0" },
      { taskId: "c", engineId: "task-0" },
      // A task served by the ux engine (the task role's fallback) is on a healthy engine.
      { taskId: "d", engineId: "ux-0" },
    ];
    const first = inspectAttempts(attempts, { now: 1_050, graceMs: 100, healthy, suspects: new Set() });
    expect(first.findings).toEqual([]);
    expect([...first.suspects]).toEqual(["task-0"]);
    const second = inspectAttempts(attempts, { now: 1_100, graceMs: 100, healthy, suspects: first.suspects });
    expect(second.findings.map((f) => [f.kind, f.attempt.taskId])).toEqual([
      ["unresponsive", "a"],
      ["engine_gone", "c"],
    ]);
  });
});
