import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createTaleHome, waitFor, type TaleHome } from "../helpers/tale";

/**
 * The scheduler through the real daemon on the default models, with one task
 * at a time so a long task-model generation holds everything else in the queue.
 */
describe("scheduler through the daemon", () => {
  let tale: TaleHome;
  let api: (path: string, init?: { method?: string; body?: unknown }) => Promise<Response>;

  beforeAll(async () => {
    tale = createTaleHome();
    await Bun.write(join(tale.home, "config.json"), JSON.stringify({ scheduler: { maxConcurrent: 1, maxQueued: 3 } }));
    expect((await tale.run(["up"])).exitCode).toBe(0);
    const { baseUrl, token } = tale.connection();
    api = (path, init = {}) =>
      fetch(`${baseUrl}${path}`, {
        method: init.method ?? "GET",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    await waitFor(async () => ((await (await api("/v1/status")).json()) as any).engines.every((engine: any) => engine.state === "healthy"), 30_000, "healthy engines");
  }, 60_000);
  afterAll(() => tale.cleanup());

  const submit = async (body: Record<string, unknown>) => (await (await api("/v1/tasks", { method: "POST", body })).json()) as any;
  const blocker = () => submit({ prompt: "write a long story", role: "task", max_tokens: 1800 });

  test("named priorities run in order, FIFO within one, and a full queue answers 503 OVERLOADED", async () => {
    const long = await blocker();
    await waitFor(async () => ((await (await api(`/v1/tasks/${long.id}`)).json()) as any).status === "running", 10_000, "the blocker to run");
    const low = await submit({ prompt: "a", role: "ux", max_tokens: 2, priority: "low" });
    const normal = await submit({ prompt: "b", role: "ux", max_tokens: 2 });
    const critical = await submit({ prompt: "c", role: "ux", max_tokens: 2, priority: "critical" });
    expect([low.priority, normal.priority, critical.priority]).toEqual([-10, 0, 100]);

    const refused = await api("/v1/tasks", { method: "POST", body: { prompt: "d", role: "ux" } });
    expect(refused.status).toBe(503);
    const { error } = (await refused.json()) as any;
    expect(error.code).toBe("OVERLOADED");
    expect(error.hint).toContain("scheduler.maxQueued");
    const cli = await tale.run(["submit", "d", "--role", "ux", "--no-wait"]);
    expect(cli.exitCode).not.toBe(0);
    expect(cli.stderr).toContain("OVERLOADED");

    expect(((await (await api(`/v1/tasks/${long.id}/cancel`, { method: "POST" })).json()) as any).status).toBe("cancelled");
    const done = await Promise.all([critical, normal, low].map(async (task) => (await (await api(`/v1/tasks/${task.id}?wait=20000`)).json()) as any));
    expect(done.map((task) => task.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(done[0].started_at).toBeLessThanOrEqual(done[1].started_at);
    expect(done[1].started_at).toBeLessThanOrEqual(done[2].started_at);
    expect(done[0].finished_at).toBeLessThanOrEqual(done[2].started_at);
  }, 30_000);

  test("a bad priority name is a 400 that lists the names", async () => {
    const response = await api("/v1/tasks", { method: "POST", body: { prompt: "x", priority: "urgent" } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).error.message).toContain("low, normal, high, critical");
  });

  test("tale cancel --all --status queued --role ux, then --all, empties the queue and frees the slot", async () => {
    const long = await blocker();
    const queuedUx = [await submit({ prompt: "q1", role: "ux" }), await submit({ prompt: "q2", role: "ux" })];
    const queuedTask = await submit({ prompt: "q3", role: "task" });
    await waitFor(async () => ((await (await api(`/v1/tasks/${long.id}`)).json()) as any).status === "running", 10_000, "the blocker to run");

    const some = await tale.json(["cancel", "--all", "--status", "queued", "--role", "ux"]);
    expect(some.cancelled).toBe(2);
    expect(some.tasks.map((task: any) => task.id).sort()).toEqual(queuedUx.map((task) => task.id).sort());
    expect(((await (await api(`/v1/tasks/${queuedTask.id}`)).json()) as any).status).toBe("queued");

    const human = await tale.run(["cancel", "--all"]);
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toContain("cancelled 2 task(s)");
    const status = (await (await api("/v1/status")).json()) as any;
    expect(status.queue.queued + status.queue.running).toBe(0);
    expect(status.engines.every((engine: any) => engine.slots.inFlight === 0)).toBe(true);

    const usage = await tale.run(["cancel", "--all", "some-id"]);
    expect(usage.exitCode).toBe(2);
  }, 30_000);
});
