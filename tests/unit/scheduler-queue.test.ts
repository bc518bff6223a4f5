import { afterEach, describe, expect, test } from "bun:test";
import { TaleError } from "../../src/errors";
import { createSchedulerKit, TestPool, type SchedulerKit } from "../helpers/scheduler-kit";

const kits: SchedulerKit[] = [];
function kit(...args: Parameters<typeof createSchedulerKit>): SchedulerKit {
  const created = createSchedulerKit(...args);
  kits.push(created);
  return created;
}
afterEach(async () => {
  for (const created of kits.splice(0)) await created.close();
});

/** A clock the test moves by hand, so aging is exact. */
function manualClock(start = 1_700_000_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => void (time += ms) };
}

describe("priority queue", () => {
  test("higher priority runs first, FIFO within a priority", async () => {
    const { scheduler, pool } = kit({ pool: new TestPool({ ux: 0, task: 0 }) });
    for (const [prompt, priority] of [["n1", 0], ["low", -10], ["n2", 0], ["crit", 100], ["high", 10], ["n3", 0]] as const) {
      await scheduler.submit({ kind: "prompt", prompt, role: "ux", priority });
    }
    pool.setSlots({ ux: 1 });
    await Bun.sleep(50);
    expect(pool.calls).toEqual(["crit", "high", "n1", "n2", "n3", "low"]);
  });

  test("waiting work ages: an old low task overtakes newer normal ones", async () => {
    const clock = manualClock();
    const { scheduler, pool, store } = kit({ pool: new TestPool({ ux: 0, task: 0 }), config: { agingMs: 100 }, now: clock.now });
    await scheduler.submit({ kind: "prompt", prompt: "old-low", role: "ux", priority: -10 });
    clock.advance(500);
    await scheduler.submit({ kind: "prompt", prompt: "normal-early", role: "ux", priority: 0 });
    // At 100 ms per point, low (-10) counts as 1,000 ms late and high (+10) as 1,000 ms early.
    clock.advance(600);
    await scheduler.submit({ kind: "prompt", prompt: "normal-late", role: "ux", priority: 0 });
    await scheduler.submit({ kind: "prompt", prompt: "high-late", role: "ux", priority: 10 });
    expect(store.queuedTasks().map((task) => task.prompt)).toEqual(["high-late", "normal-early", "old-low", "normal-late"]);
    pool.setSlots({ ux: 1 });
    await Bun.sleep(50);
    expect(pool.calls).toEqual(["high-late", "normal-early", "old-low", "normal-late"]);
  });

  test("dequeuing reads only the head of the queue: as fast with 10,000 queued as with 100", async () => {
    const { store } = kit({ pool: new TestPool({ ux: 0, task: 0 }), config: { maxQueued: 20_000 } });
    const medianDequeueMs = () => {
      const samples: number[] = [];
      for (let round = 0; round < 101; round++) {
        const started = performance.now();
        store.queuedTasks(72);
        samples.push(performance.now() - started);
      }
      return samples.sort((a, b) => a - b)[50]!;
    };
    const insert = (count: number, from: number) => {
      for (let index = from; index < from + count; index++) store.insertTask({ kind: "prompt", prompt: `p${index}`, role: "ux", roleRequested: "ux", priority: index % 7 });
    };
    insert(100, 0);
    const shallow = medianDequeueMs();
    insert(9_900, 100);
    const deep = medianDequeueMs();
    expect(store.queuedCount()).toBe(10_000);
    expect(store.queuedTasks(1)[0]!.priority).toBe(6);
    // Sorting every queued row (the planner's own choice without the partial index) made this about 15x slower.
    expect(deep).toBeLessThan(shallow * 4 + 0.05);
  });
});

describe("backpressure", () => {
  test("a submission past scheduler.maxQueued is refused at once with OVERLOADED", async () => {
    const { scheduler, store } = kit({ pool: new TestPool({ ux: 0, task: 0 }), config: { maxQueued: 3 } });
    for (let index = 0; index < 3; index++) await scheduler.submit({ kind: "prompt", prompt: `p${index}`, role: "ux" });
    const refused = await scheduler.submit({ kind: "prompt", prompt: "one too many", role: "ux" }).catch((error) => error);
    expect(refused).toBeInstanceOf(TaleError);
    expect(refused.code).toBe("OVERLOADED");
    expect(refused.status).toBe(503);
    expect(refused.hint).toContain("scheduler.maxQueued");
    expect(store.queuedCount()).toBe(3);
    await scheduler.cancelMany({ status: "queued" });
    expect((await scheduler.submit({ kind: "prompt", prompt: "room again", role: "ux" })).status).toBe("queued");
  });
});

describe("cancel many", () => {
  test("cancels queued and running tasks by status and role", async () => {
    const pool = new TestPool({ ux: 1, task: 1 });
    const { scheduler, store } = kit({ pool });
    pool.behaviour = (request, options) =>
      new Promise((_resolve, reject) => options.signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
    const submitted = [];
    for (const role of ["ux", "ux", "task", "task"] as const) submitted.push(await scheduler.submit({ kind: "prompt", prompt: role, role }));
    expect(store.activeTasks({ status: "running" }).length).toBe(2);

    const queuedTask = await scheduler.cancelMany({ status: "queued", role: "task" });
    expect(queuedTask.map((task) => task.id)).toEqual([submitted[3]!.id]);
    expect(store.activeTasks().length).toBe(3);

    const rest = await scheduler.cancelMany();
    expect(rest.map((task) => task.status)).toEqual(["cancelled", "cancelled", "cancelled"]);
    expect(pool.inFlight).toEqual({ ux: 0, task: 0 });
    expect(store.activeTasks().length).toBe(0);
  });
});
