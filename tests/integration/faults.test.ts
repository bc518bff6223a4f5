import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFaultServer, type FaultServer } from "../helpers/fault-server";
import { createTaleHome, isAlive, waitFor, type TaleHome } from "../helpers/tale";

/**
 * Faults injected against a real daemon (the compiled binary). The endpoint
 * is the labelled fault injector in tests/helpers/fault-server.ts, configured
 * as a `remote` engine, for faults a real engine cannot produce on demand.
 */
let tale: TaleHome | undefined;
let faults: FaultServer | undefined;
afterEach(async () => {
  await tale?.cleanup();
  faults?.stop();
  tale = undefined;
  faults = undefined;
});

function remote(server: FaultServer) {
  return { engine: "remote", baseUrl: server.baseUrl, model: "fault-injector", slots: 4 };
}

function writeConfig(home: TaleHome, config: Record<string, unknown>): void {
  writeFileSync(join(home.home, "tale.config.json"), JSON.stringify(config));
}

/** A daemon whose every engine is the fault injector. */
async function faultyDaemon(extra: Record<string, unknown> = {}): Promise<{ tale: TaleHome; faults: FaultServer }> {
  faults = startFaultServer();
  tale = createTaleHome();
  writeConfig(tale, {
    models: { ux: remote(faults), task: remote(faults) },
    supervisor: { healthIntervalMs: 200 },
    pluginRuntime: { builtinRouter: false },
    ...extra,
  });
  expect((await tale.run(["up"])).exitCode).toBe(0);
  return { tale, faults };
}

const submit = (home: TaleHome, args: string[] = []) => home.run(["submit", "hello", "--role", "task", "--json", ...args]);

describe("faults from an endpoint (fault injector as a remote engine)", () => {
  test("HTTP 429 with Retry-After: the retry waits as long as asked, then the task succeeds", async () => {
    const { tale, faults } = await faultyDaemon();
    faults.plan({ kind: "status", status: 429, retryAfter: "1" });
    const result = await submit(tale);
    const task = JSON.parse(result.stdout);
    expect(task).toMatchObject({ status: "succeeded", output: "fine", attempts: 2 });
    const [limited, retried] = faults.chatRequests;
    expect(limited!.fault).toBe("status");
    const waitedMs = retried!.at - limited!.at;
    // Full jitter alone would retry within 200 ms; Retry-After asks for 1 s.
    expect(waitedMs).toBeGreaterThanOrEqual(1000);
    expect(waitedMs).toBeLessThan(3000);
    console.log(`429 Retry-After: 1 → retried after ${waitedMs} ms`);
  });

  test("HTTP 503 and 500 are retried; three 500s fail the task with a code and a hint", async () => {
    const { tale, faults } = await faultyDaemon();
    faults.plan({ kind: "status", status: 503 }, { kind: "status", status: 500 });
    expect(JSON.parse((await submit(tale)).stdout)).toMatchObject({ status: "succeeded", attempts: 3 });

    faults.plan({ kind: "status", status: 500 }, { kind: "status", status: 500 }, { kind: "status", status: 500 });
    const failed = await submit(tale);
    expect(failed.exitCode).toBe(1);
    const task = JSON.parse(failed.stdout);
    expect(task).toMatchObject({ status: "failed", attempts: 3, error: { code: "ENGINE_UNHEALTHY" } });
    expect(task.error.message).toContain("HTTP 500");
  });

  test("a malformed stream is retried from the start and the answer is whole", async () => {
    const { tale, faults } = await faultyDaemon();
    faults.plan({ kind: "malformed" });
    const task = JSON.parse((await submit(tale)).stdout);
    expect(task).toMatchObject({ status: "succeeded", attempts: 2, output: "fine" });
    expect(faults.chatRequests.map((request) => request.fault)).toEqual(["malformed", "ok"]);
  });

  test("a stream that breaks after part of the answer reached a streaming client ends with an error, never a spliced answer", async () => {
    const { tale, faults } = await faultyDaemon();
    faults.plan({ kind: "malformed" });
    const { baseUrl, token } = tale.connection();
    const response = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "task", messages: [{ role: "user", content: "hello" }], stream: true }),
    });
    const events = (await response.text()).split("\n\n").filter(Boolean).map((block) => block.replace(/^data: /, ""));
    expect(events.at(-1)).toBe("[DONE]");
    const parsed = events.slice(0, -1).map((event) => JSON.parse(event));
    const text = parsed.map((event) => event.choices?.[0]?.delta?.content ?? "").join("");
    expect(text).toBe("par");
    expect(parsed.at(-1).error.code).toBe("ENGINE_CRASHED");
    expect(parsed.at(-1).error.message).toContain("incomplete");
  });

  test("a hanging response: the task's deadline fires with TIMEOUT, and the engine keeps serving", async () => {
    const { tale, faults } = await faultyDaemon();
    faults.plan({ kind: "hang" });
    const started = Date.now();
    const hung = await submit(tale, ["--timeout", "1s"]);
    const elapsed = Date.now() - started;
    expect(hung.exitCode).toBe(124);
    expect(JSON.parse(hung.stdout)).toMatchObject({ status: "timed_out", error: { code: "TIMEOUT" } });
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(6000);
    expect(JSON.parse((await submit(tale)).stdout)).toMatchObject({ status: "succeeded" });
  });

  test("a hanging response with an idle limit: the attempt is cut at the limit and retried, and the task succeeds", async () => {
    const { tale, faults } = await faultyDaemon({ supervisor: { healthIntervalMs: 200, requestIdleTimeoutMs: 500 } });
    faults.plan({ kind: "hang" });
    const task = JSON.parse((await submit(tale)).stdout);
    expect(task).toMatchObject({ status: "succeeded", attempts: 2, output: "fine" });
    const [hung, retried] = faults.chatRequests;
    expect(hung!.fault).toBe("hang");
    const cutAfterMs = retried!.at - hung!.at;
    expect(cutAfterMs).toBeGreaterThanOrEqual(500);
    expect(cutAfterMs).toBeLessThan(3000);
    const daemonLog = readFileSync(join(tale.home, "logs", "daemon.log"), "utf8");
    // The supervisor heard about it and checked the engine at once.
    expect(daemonLog).toContain("sent nothing for 500 ms, so tale gave up on the request.); checking it now.");
  });

  test("a hanging health check takes the endpoint out of service with a clear reason, and it recovers", async () => {
    const { tale, faults } = await faultyDaemon({ supervisor: { healthIntervalMs: 200 } });
    faults.setHealthHang(true);
    const unhealthy = await waitFor(async () => {
      const engine = (await tale.json(["status"])).engines.find((candidate: { id: string }) => candidate.id === "task-0");
      return engine.state === "failed" ? engine : undefined;
    }, 15_000, "the endpoint's circuit to open");
    expect(unhealthy).toMatchObject({ circuit: "open", lastError: { code: "ENGINE_UNAVAILABLE" } });
    expect(unhealthy.lastError.message).toContain("did not answer in time");
    faults.setHealthHang(false);
    await waitFor(async () => (await tale.json(["status"])).engines.every((engine: { state: string }) => engine.state === "healthy"), 15_000, "recovery");
  });
});

describe("remote endpoint circuit (cockatiel breaker)", () => {
  test("failing requests in a row open it: tasks fail fast with the reason, then a trial request closes it", async () => {
    const { tale, faults } = await faultyDaemon({
      supervisor: { healthIntervalMs: 200, endpointFailures: 2, circuitCooldownMs: 1500 },
      scheduler: { maxAttempts: 2 },
    });
    faults.plan({ kind: "status", status: 500 }, { kind: "status", status: 503 });
    expect(JSON.parse((await submit(tale)).stdout)).toMatchObject({ status: "failed", attempts: 2 });
    const opened = (await tale.json(["status"])).engines.find((engine: { id: string }) => engine.id === "task-0");
    expect(opened).toMatchObject({ state: "healthy", circuit: "open" });
    expect(opened.lastError.message).toContain("Engine task-0 failed 2 requests in a row, so tale opened its circuit");
    expect((await tale.json(["status"])).engines.find((engine: { id: string }) => engine.id === "ux-0").circuit).toBe("closed");

    // While it cools down nothing is sent to it: the task fails at once, saying why.
    const sent = faults.chatRequests.length;
    const fast = JSON.parse((await submit(tale)).stdout);
    expect(fast).toMatchObject({ status: "failed", error: { code: "ENGINE_UNAVAILABLE" } });
    expect(fast.error.message).toContain("opened its circuit");
    expect(faults.chatRequests.length).toBe(sent);

    await Bun.sleep(Date.parse(opened.circuitRetryAt) - Date.now() + 50);
    expect(JSON.parse((await submit(tale)).stdout)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect((await tale.json(["status"])).engines.find((engine: { id: string }) => engine.id === "task-0").circuit).toBe("closed");
  }, 20_000);
});

describe("engine that never becomes healthy (real process engine)", () => {
  test("the crash loop opens the circuit with a clear error, the fallback role serves, and a half-open trial follows", async () => {
    faults = startFaultServer();
    tale = createTaleHome();
    writeConfig(tale, {
      models: { ux: remote(faults), task: { engine: "process", command: ["sh", "-c", "echo 'fatal: cannot load model' >&2; exit 7"], port: 1 } },
      supervisor: { healthIntervalMs: 200, backoffInitialMs: 20, backoffMaxMs: 50, crashLoopCount: 3, crashLoopWindowMs: 30_000, circuitCooldownMs: 1500, fallback: { task: "ux" } },
      pluginRuntime: { builtinRouter: false },
    });
    expect((await tale.run(["up"])).exitCode).toBe(0);
    const opened = await waitFor(async () => {
      const engine = (await tale!.json(["status"])).engines.find((candidate: { id: string }) => candidate.id === "task-0");
      return engine.circuit === "open" ? engine : undefined;
    }, 15_000, "the task engine's circuit to open");
    expect(opened.state).toBe("failed");
    expect(opened.lastError.message).toContain("failed 3 times within 30 s");
    expect(opened.lastError.message).toContain("opened its circuit");
    expect(opened.lastError.message).toContain("exited with code 7");
    expect(opened.lastError.hint).toContain("cannot load model");
    expect(typeof opened.circuitRetryAt).toBe("string");

    // The human view shows the reason and the hint, no stack trace.
    const status = await tale.run(["status"]);
    expect(status.stdout).toContain("opened its circuit");
    expect(status.stdout).not.toContain("    at ");

    // Task requests are served by the ux role meanwhile, and the daemon log says so.
    const task = JSON.parse((await submit(tale)).stdout);
    expect(task).toMatchObject({ status: "succeeded", engine: "ux-0" });
    const daemonLog = () => readFileSync(join(tale!.home, "logs", "daemon.log"), "utf8");
    expect(daemonLog()).toContain("Every task engine has failed; ux engines serve task requests (results marked degraded).");

    // After the cool-down one trial start is made; it fails, so the circuit opens again.
    await waitFor(() => daemonLog().includes("failed its trial start"), 10_000, "the half-open trial");
    expect(daemonLog()).toContain("circuit half-open after its cool-down; trying one start");
    const reopened = (await tale.json(["status"])).engines.find((candidate: { id: string }) => candidate.id === "task-0");
    expect(reopened.restarts).toBeGreaterThan(opened.restarts);

    const explain = await tale.run(["explain", opened.lastError.code]);
    expect(explain.exitCode).toBe(0);
    expect(explain.stdout.length).toBeGreaterThan(20);
  }, 40_000);
});

describe("config reload (SIGHUP)", () => {
  test("a corrupt config is refused and the last good one stays; a good one is taken and says what needs a restart", async () => {
    const { tale } = await faultyDaemon();
    const pid = tale.daemonPid()!;
    const daemonLog = () => readFileSync(join(tale.home, "logs", "daemon.log"), "utf8");
    const configFile = join(tale.home, "tale.config.json");
    const good = readFileSync(configFile, "utf8");

    writeFileSync(configFile, "{ this is not json");
    process.kill(pid, "SIGHUP");
    await waitFor(() => daemonLog().includes("config reload refused"), 10_000, "the refusal in the log");
    expect(isAlive(pid)).toBe(true);
    expect(daemonLog()).toMatch(/config reload refused, the last good config stays in force: .*tale\.config\.json/);
    expect(JSON.parse((await submit(tale)).stdout)).toMatchObject({ status: "succeeded" });

    writeFileSync(configFile, JSON.stringify({ ...JSON.parse(good), log: { level: "warn" }, scheduler: { maxAttempts: 5 } }));
    process.kill(pid, "SIGHUP");
    await waitFor(() => daemonLog().includes("config reloaded"), 10_000, "the reload in the log");
    // TALE_LOG_LEVEL (set by the test home) outranks the file, so the level rightly stays as it was.
    expect(daemonLog()).toContain("config reloaded (applied: nothing changed; changed but applied only by a restart: scheduler)");
    expect(isAlive(pid)).toBe(true);
  });
});
