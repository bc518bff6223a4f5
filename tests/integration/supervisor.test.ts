import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createSupervisor, supervisorPool, type Supervisor, type SupervisorOptions } from "../../src/supervisor";
import {
  engineState,
  freePort,
  isRunning,
  miniServerEngine,
  recordStates,
  supervisionConfig,
  waitUntil,
} from "../helpers/supervision";
import { hasSharedModel, repoRoot, sharedModel } from "../helpers/tale";

const exitGuardScript = resolve(import.meta.dir, "../helpers/supervisor-exit-guard.ts");
let logDir: string;
const supervisors: Supervisor[] = [];

beforeEach(() => {
  logDir = mkdtempSync(join(tmpdir(), "tale-supervisor-"));
});

afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stop()));
  rmSync(logDir, { recursive: true, force: true });
});

function supervise(options: Omit<SupervisorOptions, "logDir" | "log">): Supervisor {
  // A generous health timeout keeps a loaded CI machine from failing checks the tests do not expect to fail.
  const supervisor = createSupervisor({ logDir, log: () => {}, stopGraceMs: 500, healthTimeoutMs: 1000, ...options });
  supervisors.push(supervisor);
  return supervisor;
}

function killGroup(leaderPid: number): void {
  try {
    process.kill(-leaderPid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

async function workerPid(port: number): Promise<number> {
  const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { workerPid: number };
  return health.workerPid;
}

describe("process engines (mini-server stand-in for llama-server and friends)", () => {
  test("starts healthy, restarts after kill -9 with backoff, and stop() leaves no process behind", async () => {
    const port = freePort();
    const supervisor = supervise({ config: supervisionConfig({ ux: miniServerEngine(port, ["--grandchild"]) }) });
    const recorder = recordStates(supervisor);

    const [started] = await supervisor.start();
    expect(started).toMatchObject({ id: "ux-0", role: "ux", kind: "process", state: "healthy", port, restarts: 0, lastError: null });
    const firstPid = started!.pid!;
    const firstWorker = await workerPid(port);
    expect(isRunning(firstPid)).toBe(true);
    expect(isRunning(firstWorker)).toBe(true);

    process.kill(firstPid, "SIGKILL");
    await waitUntil(() => recorder.states("ux-0").filter((state) => state === "healthy").length === 2, "the engine is healthy again");

    expect(recorder.states("ux-0")).toEqual(["starting", "healthy", "crashed", "backoff", "starting", "healthy"]);
    const [restarted] = supervisor.snapshot();
    expect(restarted).toMatchObject({ state: "healthy", restarts: 1, lastError: { code: "ENGINE_CRASHED" } });
    expect(restarted!.lastError!.message).toContain("SIGKILL");
    expect(restarted!.pid).not.toBe(firstPid);
    // The crashed server's worker was in its process group and was swept with it.
    expect(isRunning(firstWorker)).toBe(false);

    const secondPid = restarted!.pid!;
    const secondWorker = await workerPid(port);
    await supervisor.stop();
    expect(() => process.kill(secondPid, 0)).toThrow();
    // The worker is not our child: stop() sends it SIGKILL, and the kernel needs a moment to finish it.
    await waitUntil(() => !isRunning(secondWorker), "the worker of the stopped server is gone", 500);
    expect(supervisor.snapshot()[0]).toMatchObject({ state: "stopped", pid: null });
  });

  test("a command that dies at once is a crash loop: the engine ends failed with the reason", async () => {
    const supervisor = supervise({
      config: supervisionConfig({ task: { engine: "process", command: ["sh", "-c", "echo 'error: model file not found: /nope.gguf' >&2; exit 3"], port: freePort() } }),
      crashLimit: { maxCrashes: 3, windowMs: 10_000 },
    });
    const recorder = recordStates(supervisor);

    const [afterFirstAttempt] = await supervisor.start();
    expect(afterFirstAttempt!.state).toBe("backoff");
    await waitUntil(() => engineState(supervisor, "task-0") === "failed", "the engine is given up on");

    expect(recorder.states("task-0")).toEqual(["starting", "crashed", "backoff", "starting", "crashed", "backoff", "starting", "crashed", "failed"]);
    const { lastError, restarts } = supervisor.snapshot()[0]!;
    expect(restarts).toBe(2);
    expect(lastError!.code).toBe("ENGINE_START_FAILED");
    expect(lastError!.message).toContain("failed 3 times");
    expect(lastError!.message).toContain("exited with code 3");
    expect(lastError!.hint).toContain("model file not found: /nope.gguf");
  });

  test("an engine that stops answering health checks is killed and restarted", async () => {
    const port = freePort();
    const supervisor = supervise({ config: supervisionConfig({ ux: miniServerEngine(port) }), unhealthyAfter: 2 });
    const recorder = recordStates(supervisor);
    const [started] = await supervisor.start();

    await fetch(`http://127.0.0.1:${port}/break`, { method: "POST" });
    await waitUntil(() => recorder.states("ux-0").filter((state) => state === "healthy").length === 2, "the engine is healthy again");

    expect(recorder.states("ux-0")).toEqual(["starting", "healthy", "unhealthy", "crashed", "backoff", "starting", "healthy"]);
    const [restarted] = supervisor.snapshot();
    expect(restarted).toMatchObject({ restarts: 1, lastError: { code: "ENGINE_UNHEALTHY" } });
    expect(restarted!.lastError!.message).toContain("HTTP 503");
    expect(isRunning(started!.pid!)).toBe(false);
  });

  test("a start that times out kills the process it started", async () => {
    const pidFile = join(logDir, "sleeper.pid");
    const supervisor = supervise({
      config: supervisionConfig({ ux: { engine: "process", command: ["sh", "-c", `echo $$ > ${pidFile}; exec sleep 30`], port: freePort() } }, { startTimeoutMs: 300 }),
      crashLimit: { maxCrashes: 1, windowMs: 10_000 },
    });

    const [snapshot] = await supervisor.start();

    expect(snapshot).toMatchObject({ state: "failed", pid: null, lastError: { code: "ENGINE_START_FAILED" } });
    expect(snapshot!.lastError!.message).toContain("did not become ready within 300 ms");
    const sleeperPid = Number(readFileSync(pidFile, "utf8"));
    await waitUntil(() => !isRunning(sleeperPid), "the timed-out process is gone", 1000);
  });

  test("a port that is already taken is reported, not mistaken for a healthy engine", async () => {
    const squatter = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ status: "ok" }) });
    try {
      // Restarting cannot free someone else's port, so the engine is given up on at once.
      const supervisor = supervise({ config: supervisionConfig({ ux: miniServerEngine(squatter.port!) }) });
      const [snapshot] = await supervisor.start();
      expect(snapshot).toMatchObject({ state: "failed", lastError: { code: "PORT_IN_USE" } });
      expect(snapshot!.lastError!.hint).toContain(String(squatter.port));
    } finally {
      squatter.stop(true);
    }
  });

  test("a command that does not exist is a config error, given up on at once", async () => {
    const supervisor = supervise({ config: supervisionConfig({ ux: { engine: "process", command: "/nonexistent/llama-server --port {port}", port: freePort() } }) });
    const [snapshot] = await supervisor.start();
    expect(snapshot).toMatchObject({ state: "failed", restarts: 0, lastError: { code: "CONFIG" } });
    expect(snapshot!.lastError!.message).toContain("/nonexistent/llama-server");
  });

  test("a server without /health is checked through /v1/models", async () => {
    const supervisor = supervise({ config: supervisionConfig({ ux: miniServerEngine(freePort(), ["--models-only"]) }) });
    const [snapshot] = await supervisor.start();
    expect(snapshot!.state).toBe("healthy");
    await Bun.sleep(350);
    expect(supervisor.snapshot()[0]).toMatchObject({ state: "healthy", restarts: 0 });
  });

  test("stop() during a slow start ends the starting process quickly", async () => {
    const pidFile = join(logDir, "slow.pid");
    const supervisor = supervise({
      config: supervisionConfig({ ux: { engine: "process", command: ["sh", "-c", `echo $$ > ${pidFile}; exec sleep 30`], port: freePort() } }, { startTimeoutMs: 30_000 }),
    });
    void supervisor.start();
    await waitUntil(() => readFileSync(pidFile, { flag: "a+", encoding: "utf8" }).trim() !== "", "the process wrote its pid");
    const pid = Number(readFileSync(pidFile, "utf8"));

    const begun = performance.now();
    await supervisor.stop();

    expect(performance.now() - begun).toBeLessThan(2000);
    expect(isRunning(pid)).toBe(false);
    expect(supervisor.snapshot()[0]!.state).toBe("stopped");
  });
});

describe("remote engines", () => {
  const apiKey = "sk-test-secret-7f3a";

  /** A real HTTP endpoint in this process standing in for a hosted OpenAI-compatible API. */
  function startEndpoint(port = 0) {
    const seenKeys: (string | null)[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port,
      fetch(request) {
        seenKeys.push(request.headers.get("authorization"));
        if (request.headers.get("authorization") !== `Bearer ${apiKey}`) return new Response("unauthorized", { status: 401 });
        const { pathname } = new URL(request.url);
        if (pathname === "/v1/models") return Response.json({ object: "list", data: [{ id: "remote-model" }] });
        if (pathname === "/v1/chat/completions") {
          const events = [
            { choices: [{ delta: { content: "hel" } }] },
            { choices: [{ delta: { content: "lo" }, finish_reason: "stop" }] },
            { choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } },
          ];
          const body = events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join("") + "data: [DONE]\n\n";
          return new Response(body, { headers: { "content-type": "text/event-stream" } });
        }
        return new Response("not found", { status: 404 });
      },
    });
    return { server, seenKeys };
  }

  test("reachable is healthy; unreachable opens its circuit (failed, ENGINE_UNAVAILABLE naming the endpoint); back again closes it; the key never leaks", async () => {
    const endpoint = startEndpoint();
    const port = endpoint.server.port!;
    const logged: string[] = [];
    process.env.TALE_TEST_REMOTE_KEY = apiKey;
    const supervisor = createSupervisor({
      logDir,
      log: (message) => logged.push(message),
      config: supervisionConfig({ task: { engine: "remote", baseUrl: `http://127.0.0.1:${port}/v1/`, model: "remote-model", apiKeyEnv: "TALE_TEST_REMOTE_KEY" } }),
      unhealthyAfter: 2,
      healthTimeoutMs: 1000,
    });
    supervisors.push(supervisor);
    try {
      const [started] = await supervisor.start();
      expect(started).toMatchObject({ kind: "remote", state: "healthy", baseUrl: `http://127.0.0.1:${port}/v1`, model: "remote-model", pid: null });
      expect(endpoint.seenKeys).toContain(`Bearer ${apiKey}`);

      endpoint.server.stop(true);
      await waitUntil(() => engineState(supervisor, "task-0") === "failed", "the endpoint's circuit opens");
      const down = supervisor.snapshot()[0]!;
      expect(down).toMatchObject({ circuit: "open", lastError: { code: "ENGINE_UNAVAILABLE" } });
      expect(down.lastError!.message).toContain(`127.0.0.1:${port}/v1`);
      expect(down.lastError!.message).toContain("is unreachable");

      const revived = startEndpoint(port);
      try {
        await waitUntil(() => engineState(supervisor, "task-0") === "healthy", "the endpoint is healthy again");
      } finally {
        revived.server.stop(true);
      }
      expect(supervisor.snapshot()[0]).toMatchObject({ restarts: 0, circuit: "closed" });

      const visible = JSON.stringify([supervisor.snapshot(), supervisor.engines, logged]);
      expect(visible).not.toContain(apiKey);
      expect(supervisor.engines[0]!.apiKey).toBe(apiKey);
    } finally {
      delete process.env.TALE_TEST_REMOTE_KEY;
      endpoint.server.stop(true);
    }
  });

  test("a wrong key takes the endpoint out of service with an AUTH error and its hint", async () => {
    const endpoint = startEndpoint();
    try {
      const supervisor = supervise({
        config: supervisionConfig({ task: { engine: "remote", baseUrl: `http://127.0.0.1:${endpoint.server.port}/v1`, model: "m", apiKey: "wrong" } }),
      });
      const [snapshot] = await supervisor.start();
      expect(snapshot).toMatchObject({ state: "failed", lastError: { code: "ENGINE_UNAVAILABLE", hint: expect.stringContaining("apiKey") } });
      expect(snapshot!.lastError!.message).toContain("refused the API key");
    } finally {
      endpoint.server.stop(true);
    }
  });

  test("a missing key variable is a config error before anything starts", () => {
    expect(() =>
      supervise({ config: supervisionConfig({ task: { engine: "remote", baseUrl: "http://127.0.0.1:9/v1", model: "m", apiKeyEnv: "TALE_TEST_UNSET_KEY" } }) }),
    ).toThrow(/TALE_TEST_UNSET_KEY/);
  });

  test("the pool hands out slots on healthy engines only and streams chats through them", async () => {
    const endpoint = startEndpoint();
    try {
      const supervisor = supervise({
        config: supervisionConfig({ task: { engine: "remote", baseUrl: `http://127.0.0.1:${endpoint.server.port}/v1`, model: "remote-model", apiKey, slots: 1 } }),
      });
      const pool = supervisorPool(supervisor);
      expect(pool.availability("task")).toEqual({ state: "starting" });
      expect(pool.acquire("task")).toBeUndefined();
      let capacityCalls = 0;
      const detach = pool.onCapacity(() => capacityCalls++);

      await supervisor.start();
      expect(pool.availability("task")).toEqual({ state: "ready" });
      const lease = pool.acquire("task")!;
      expect(lease).toMatchObject({ engineId: "task-0", model: "remote-model" });
      expect(pool.acquire("task")).toBeUndefined();
      expect(supervisor.snapshot()[0]!.slots).toEqual({ total: 1, inFlight: 1 });

      const deltas: string[] = [];
      const result = await lease.chat({ messages: [{ role: "user", content: "hi" }] }, { onDelta: (delta) => deltas.push(delta) });
      expect(result).toEqual({ content: "hello", finishReason: "stop", usage: { promptTokens: 3, completionTokens: 2 } });
      expect(deltas).toEqual(["hel", "lo"]);

      const callsBefore = capacityCalls;
      lease.release();
      lease.release();
      await Bun.sleep(0);
      expect(capacityCalls).toBeGreaterThan(callsBefore);
      expect(supervisor.snapshot()[0]!.slots.inFlight).toBe(0);
      expect(pool.acquire("task")).toBeDefined();
      detach();
      expect(pool.availability("ux")).toMatchObject({ state: "failed", error: { code: "ENGINE_UNAVAILABLE" } });
    } finally {
      endpoint.server.stop(true);
    }
  });
});

describe("exit guard", () => {
  for (const how of ["exit", "throw"] as const) {
    test(`a daemon that ends by ${how === "exit" ? "process.exit()" : "an uncaught exception"} without stop() takes its engines with it`, async () => {
      const daemon = Bun.spawn([process.execPath, exitGuardScript, String(freePort()), logDir, how], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
      const [output] = await Promise.all([new Response(daemon.stdout).text(), daemon.exited]);
      const { pid, workerPid } = JSON.parse(output) as { pid: number; workerPid: number };
      try {
        expect(pid).toBeGreaterThan(0);
        await waitUntil(() => !isRunning(pid) && !isRunning(workerPid), "the orphaned engine and its worker are gone", 2000);
      } finally {
        // Only does anything when the guard failed: the test must not leak the engine group.
        killGroup(pid);
      }
    });
  }
});

describe("builtin engine (real `tale engine` child on the tiny GGUF model)", () => {
  const engineCommand = (args: string[]) => [process.execPath, resolve(repoRoot, "src/main.ts"), ...args];
  if (!hasSharedModel) console.warn(`Skipping builtin engine tests: ${sharedModel} is missing.`);

  test.skipIf(!hasSharedModel)("serves a chat, survives kill -9 of the engine, and stops cleanly", async () => {
    const supervisor = supervise({
      config: supervisionConfig({ ux: { engine: "builtin", model: sharedModel, slots: 1 } }),
      engineCommand,
    });
    const recorder = recordStates(supervisor);
    const [started] = await supervisor.start();
    expect(started).toMatchObject({ kind: "builtin", state: "healthy", model: "llama-2-tiny-random", restarts: 0 });
    expect(started!.baseUrl).toBe(`http://127.0.0.1:${started!.port}/v1`);

    const pool = supervisorPool(supervisor);
    const lease = pool.acquire("ux")!;
    const reply = await lease.chat({ messages: [{ role: "user", content: "hi" }], maxTokens: 4 }, {});
    lease.release();
    expect(reply.usage.completionTokens).toBeGreaterThan(0);

    // Anyone else on the machine who finds the port is refused: only the daemon holds the key...
    const sideDoor = await fetch(`${started!.baseUrl}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 3 }),
    });
    expect(sideDoor.status).toBe(401);
    expect(((await sideDoor.json()) as { error: { code: string } }).error.code).toBe("AUTH");
    // ...and it reached the engine privately: not on its command line, not in its environment, not in status.
    const key = supervisor.engines[0]!.apiKey!;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    for (const file of ["cmdline", "environ"]) expect(readFileSync(`/proc/${started!.pid}/${file}`, "latin1")).not.toContain(key);
    expect(JSON.stringify(supervisor.snapshot())).not.toContain(key);

    process.kill(started!.pid!, "SIGKILL");
    await waitUntil(() => recorder.states("ux-0").filter((state) => state === "healthy").length === 2, "the engine is healthy again", 15_000);
    const [restarted] = supervisor.snapshot();
    expect(restarted).toMatchObject({ state: "healthy", restarts: 1, lastError: { code: "ENGINE_CRASHED" } });
    expect(restarted!.pid).not.toBe(started!.pid);
    expect((await fetch(`http://127.0.0.1:${restarted!.port}/health`)).ok).toBe(true);

    await supervisor.stop();
    expect(() => process.kill(restarted!.pid!, 0)).toThrow();
  });

  test("a model file that does not exist fails the start with the engine's own explanation", async () => {
    const missing = join(logDir, "missing.gguf");
    const supervisor = supervise({
      config: supervisionConfig({ task: { engine: "builtin", model: missing } }),
      engineCommand,
    });
    // A missing file will not appear by restarting, so there is no crash loop to sit through.
    const [snapshot] = await supervisor.start();
    expect(snapshot).toMatchObject({ state: "failed", restarts: 0, lastError: { code: "ENGINE_START_FAILED" } });
    expect(snapshot!.lastError!.message).toContain(missing);
    expect(snapshot!.lastError!.hint).toBeTruthy();
  });
});
