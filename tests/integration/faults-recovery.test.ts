import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFaultServer, type FaultServer } from "../helpers/fault-server";
import { createTaleHome, hasSharedModel, isAlive, sharedModel, waitFor, type TaleHome } from "../helpers/tale";

/** Processes killed with kill -9 in the middle of work: nothing acknowledged may be lost or run twice. */
let tale: TaleHome | undefined;
let faults: FaultServer | undefined;
afterEach(async () => {
  await tale?.cleanup();
  faults?.stop();
  tale = undefined;
  faults = undefined;
});

/** The daemon's HTTP API, as any client would use it. */
function api(home: TaleHome) {
  const { baseUrl, token } = home.connection();
  const call = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  return {
    submit: (prompt: string, role = "task") => call("/v1/tasks", { method: "POST", body: JSON.stringify({ prompt, role }) }),
    tasks: async () => (await call("/v1/tasks?limit=1000")).body.tasks as { id: string; status: string; prompt: string; attempts: number; output: string | null }[],
  };
}

describe("daemon killed with kill -9", () => {
  test("200 tasks queued or running: after a restart every one completes exactly once", async () => {
    faults = startFaultServer();
    // Answers take a while, so some tasks are in flight and most are queued when the daemon dies.
    faults.setAnswerDelay(150);
    tale = createTaleHome();
    const engine = { engine: "remote", baseUrl: faults.baseUrl, model: "fault-injector", slots: 4 };
    writeFileSync(join(tale.home, "tale.config.json"), JSON.stringify({ models: { ux: engine, task: engine }, pluginRuntime: { builtinRouter: false } }));
    expect((await tale.run(["up"])).exitCode).toBe(0);
    const daemon = tale.daemonPid()!;

    const client = api(tale);
    const submissions = await Promise.all(Array.from({ length: 200 }, (_, index) => client.submit(`job ${index}`)));
    expect(submissions.every((submission) => submission.status === 201)).toBe(true);
    const acknowledged = new Set(submissions.map((submission) => submission.body.id as string));
    expect(acknowledged.size).toBe(200);
    await waitFor(async () => (await client.tasks()).some((task) => task.status === "running"), 10_000, "work in flight");

    process.kill(daemon, "SIGKILL");
    await waitFor(() => !isAlive(daemon), 5000, "the daemon to die");
    const requestsBeforeRestart = faults.chatRequests.length;
    faults.setAnswerDelay(0);
    expect((await tale.run(["up"])).exitCode).toBe(0);
    const after = api(tale);
    const finished = await waitFor(async () => {
      const tasks = await after.tasks();
      return tasks.length === 200 && tasks.every((task) => task.status === "succeeded") ? tasks : undefined;
    }, 60_000, "every task to finish");

    expect(new Set(finished.map((task) => task.id))).toEqual(acknowledged);
    // One output per submission, for the prompt that was submitted.
    expect(new Set(finished.map((task) => task.prompt)).size).toBe(200);
    expect(finished.every((task) => task.output === "fine")).toBe(true);
    // Only the interrupted ones ran again: the restarted daemon sent no more requests than tasks left to finish.
    const rerun = finished.filter((task) => task.attempts > 1).length;
    const requestsAfterRestart = faults.chatRequests.length - requestsBeforeRestart;
    expect(requestsAfterRestart).toBeLessThanOrEqual(200);
    expect(requestsAfterRestart).toBeGreaterThanOrEqual(200 - requestsBeforeRestart);
    console.log(`daemon kill -9 with 200 tasks: ${requestsBeforeRestart} requests before the kill, ${rerun} tasks re-run after it, 0 lost`);
  }, 90_000);
});

/**
 * A daemon whose task role is a real builtin engine on the shared model (ux is
 * the fault injector, out of the way), with a long generation running on it.
 */
async function longGenerationOnRealEngine() {
  faults = startFaultServer();
  tale = createTaleHome();
  writeFileSync(
    join(tale.home, "tale.config.json"),
    JSON.stringify({
      models: { ux: { engine: "remote", baseUrl: faults.baseUrl, model: "fault-injector" }, task: { engine: "builtin", model: sharedModel, contextSize: 2048 } },
      supervisor: { healthIntervalMs: 200, backoffInitialMs: 50 },
      pluginRuntime: { builtinRouter: false },
    }),
  );
  const home = tale;
  expect((await home.json(["submit", "warm up", "--role", "task", "--max-tokens", "2"])).status).toBe("succeeded");
  const before = (await home.json(["status"])).engines.find((engine: { id: string }) => engine.id === "task-0");
  const waiting = home.run(["submit", "a long story", "--role", "task", "--max-tokens", "1500", "--json"]);
  const client = api(home);
  await waitFor(async () => (await client.tasks()).some((task) => task.status === "running" && task.prompt === "a long story"), 10_000, "the generation to run");
  const engineBack = () =>
    waitFor(async () => {
      const engine = (await home.json(["status"])).engines.find((candidate: { id: string }) => candidate.id === "task-0");
      return engine.state === "healthy" && engine.pid !== before.pid ? engine : undefined;
    }, 20_000, "the engine to come back");
  return { home, before, waiting, engineBack };
}

describe("engine killed with kill -9 in the middle of a generation (real builtin engine)", () => {
  test.skipIf(!hasSharedModel)("the task completes by retry and the engine is back", async () => {
    const { before, waiting, engineBack } = await longGenerationOnRealEngine();
    const killedAt = Date.now();
    process.kill(before.pid, "SIGKILL");

    const task = JSON.parse((await waiting).stdout);
    expect(task).toMatchObject({ status: "succeeded", attempts: 2 });
    const back = await engineBack();
    expect(back.restarts).toBe(before.restarts + 1);
    expect(isAlive(before.pid)).toBe(false);
    console.log(`engine kill -9 mid-generation: task succeeded on attempt 2, ${Date.now() - killedAt} ms after the kill`);
  }, 60_000);
});

describe("engine that hangs (real builtin engine frozen with SIGSTOP)", () => {
  test.skipIf(!hasSharedModel)("health checks time out, the engine is killed and restarted, and the task is retried", async () => {
    const { home, before, waiting, engineBack } = await longGenerationOnRealEngine();
    const frozenAt = Date.now();
    process.kill(before.pid, "SIGSTOP");

    const task = JSON.parse((await waiting).stdout);
    expect(task).toMatchObject({ status: "succeeded", attempts: 2 });
    const back = await engineBack();
    expect(back.restarts).toBe(before.restarts + 1);
    expect(back.circuit).toBe("closed");
    await waitFor(() => !isAlive(before.pid), 5000, "the frozen process to be gone");
    const daemonLog = readFileSync(join(home.home, "logs", "daemon.log"), "utf8");
    expect(daemonLog).toContain("stopped answering health checks");
    console.log(`engine frozen mid-generation: task succeeded on attempt 2, ${Date.now() - frozenAt} ms after SIGSTOP`);
  }, 60_000);
});
