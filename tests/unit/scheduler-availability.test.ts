import { afterEach, describe, expect, test } from "bun:test";
import type { Role } from "../../src/config/types";
import { TaleError } from "../../src/errors";
import type { EngineChoice, EngineLease, EnginePool } from "../../src/scheduler";
import { createSchedulerKit, TestPool, type SchedulerKit } from "../helpers/scheduler-kit";

const kits: SchedulerKit[] = [];
afterEach(async () => {
  for (const created of kits.splice(0)) await created.close();
});

describe("tasks never wait forever for an engine", () => {
  test("while no engine of the role can take work, a task fails after scheduler.maxQueueWaitMs with ENGINE_UNAVAILABLE and the cause", async () => {
    const pool = new TestPool({ ux: 1, task: 0 });
    pool.availabilities.task = { state: "starting", cause: new TaleError("ENGINE_CRASHED", "Engine task-0 exited with code 7.") };
    const kit = createSchedulerKit({ pool, config: { maxQueueWaitMs: 150 } });
    kits.push(kit);
    const task = await kit.scheduler.submit({ kind: "prompt", prompt: "waits", role: "task" });
    // Nothing else happens in the daemon: the queue wakes itself when the wait runs out.
    const final = await kit.scheduler.wait(task.id, 5_000);
    expect(final.status).toBe("failed");
    expect(final.errorCode).toBe("ENGINE_UNAVAILABLE");
    expect(final.errorMessage).toContain("no task engine could take it");
    expect(final.errorMessage).toContain("Engine task-0 exited with code 7.");
    expect(final.errorHint).toContain("scheduler.maxQueueWaitMs");
    expect(final.totalMs!).toBeGreaterThanOrEqual(150);
  });

  test("busy engines are not an outage: a task behind other work waits past maxQueueWaitMs and then runs", async () => {
    const pool = new TestPool({ ux: 0, task: 0 });
    const kit = createSchedulerKit({ pool, config: { maxQueueWaitMs: 50 } });
    kits.push(kit);
    const task = await kit.scheduler.submit({ kind: "prompt", prompt: "queued behind work", role: "ux" });
    await Bun.sleep(200);
    expect(kit.scheduler.get(task.id).status).toBe("queued");
    pool.setSlots({ ux: 1 });
    expect((await kit.scheduler.wait(task.id, 2_000)).status).toBe("succeeded");
  });

  test("an engine back within the wait serves the task", async () => {
    const pool = new TestPool({ ux: 0, task: 0 });
    pool.availabilities.ux = { state: "starting" };
    const kit = createSchedulerKit({ pool, config: { maxQueueWaitMs: 2_000 } });
    kits.push(kit);
    const task = await kit.scheduler.submit({ kind: "prompt", prompt: "waits briefly", role: "ux" });
    await Bun.sleep(100);
    delete pool.availabilities.ux;
    pool.setSlots({ ux: 1 });
    expect((await kit.scheduler.wait(task.id, 2_000)).status).toBe("succeeded");
  });
});

describe("a timeout says where the task was", () => {
  test("a task that timed out in the queue of an unavailable role names the outage, not max tokens", async () => {
    const pool = new TestPool({ ux: 0, task: 0 });
    pool.availabilities.task = { state: "starting", cause: new TaleError("ENGINE_UNHEALTHY", "http://127.0.0.1:9/v1/models is unreachable.") };
    const kit = createSchedulerKit({ pool });
    kits.push(kit);
    const task = await kit.scheduler.submit({ kind: "prompt", prompt: "never runs", role: "task", timeoutMs: 50 });
    const final = await kit.scheduler.wait(task.id, 2_000);
    expect(final.status).toBe("timed_out");
    expect(final.errorMessage).toContain("in the queue: no task engine could take it");
    expect(final.errorMessage).toContain("127.0.0.1:9");
    expect(final.errorHint).not.toContain("max tokens");
  });

  test("a task that timed out behind other work says so", async () => {
    const kit = createSchedulerKit({ pool: new TestPool({ ux: 0, task: 0 }) });
    kits.push(kit);
    const task = await kit.scheduler.submit({ kind: "prompt", prompt: "never runs", role: "ux", timeoutMs: 50 });
    const final = await kit.scheduler.wait(task.id, 2_000);
    expect(final.errorMessage).toContain("in the queue behind other work");
    expect(final.errorHint).toContain("--timeout");
  });
});

/**
 * Two engines of one role; engine "ux-0" fails its first call with a
 * Retry-After of a minute, so a retry that waited for the backoff would
 * take a minute.
 */
class TwoEnginePool implements EnginePool {
  readonly used: string[] = [];
  private readonly busy = new Set<string>();
  private listeners = new Set<() => void>();
  private failedOnce = false;

  acquire(role: Role, choice: EngineChoice = {}): EngineLease | undefined {
    const engineId = [`${role}-0`, `${role}-1`].find((id) => id !== choice.avoid && !this.busy.has(id));
    if (!engineId) return undefined;
    this.busy.add(engineId);
    return {
      engineId,
      model: "m",
      chat: async () => {
        this.used.push(engineId);
        if (engineId === "ux-0" && !this.failedOnce) {
          this.failedOnce = true;
          throw new TaleError("ENGINE_CRASHED", "Lost the connection to the engine.", { details: { retryAfter: "60" } });
        }
        return { content: "ok", usage: { promptTokens: 1, completionTokens: 1 }, finishReason: "stop" };
      },
      reportFailure: () => undefined,
      release: () => {
        this.busy.delete(engineId);
        for (const listener of this.listeners) listener();
      },
    };
  }

  engineIds(): Record<Role, string[]> {
    return { ux: ["ux-0", "ux-1"], task: ["task-0", "task-1"] };
  }

  availability() {
    return { state: "ready" as const };
  }

  onCapacity(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

describe("retries", () => {
  test("a retry that can go to another healthy engine of the role starts at once instead of waiting out the backoff", async () => {
    const pool = new TwoEnginePool();
    const kit = createSchedulerKit({ pool: pool as unknown as TestPool });
    kits.push(kit);
    const task = await kit.scheduler.submit({ kind: "prompt", prompt: "retry me", role: "ux" });
    // The backoff on ux-0 is a minute; anything near that means the retry waited for it.
    const final = await kit.scheduler.wait(task.id, 5_000);
    expect(final.status).toBe("succeeded");
    expect(final.attempts).toBe(2);
    expect(pool.used).toEqual(["ux-0", "ux-1"]);
  });
});
