import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../helpers/supervision";
import { createTaleHome, isAlive, waitFor, type TaleHome } from "../helpers/tale";

/**
 * A remote upstream that disappears, played by a real second process: a
 * whole tale daemon that serves its own API as the task role's remote
 * endpoint, killed with kill -9 and started again on the same port.
 * One daemon has a fallback role for task, one has none.
 */
let upstream: TaleHome;
let withFallback: TaleHome;
let withoutFallback: TaleHome;
let upstreamUrl: string;

function remoteConfig(token: string, fallback: boolean) {
  return {
    models: { task: { engine: "remote", baseUrl: upstreamUrl, model: "ux", apiKey: token } },
    supervisor: { healthIntervalMs: 300, ...(fallback ? { fallback: { task: "ux" } } : {}) },
  };
}

type Json = Record<string, any>;
function api(tale: TaleHome) {
  const { baseUrl, token } = tale.connection();
  return (path: string, body?: unknown) =>
    fetch(`${baseUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}
const engine = async (tale: TaleHome, id: string): Promise<Json> => ((await (await api(tale)("/v1/status")).json()) as Json).engines.find((e: Json) => e.id === id);
const submitTask = (tale: TaleHome) => tale.json(["submit", "write code for a parser", "--role", "task", "--max-tokens", "8"]);

beforeAll(async () => {
  const port = freePort();
  upstreamUrl = `http://127.0.0.1:${port}/v1`;
  upstream = createTaleHome({ TALE_API_PORT: String(port) });
  expect((await upstream.run(["up"])).exitCode).toBe(0);
  const { token } = upstream.connection();
  withFallback = createTaleHome();
  withoutFallback = createTaleHome();
  writeFileSync(join(withFallback.home, "config.json"), JSON.stringify(remoteConfig(token, true)));
  writeFileSync(join(withoutFallback.home, "config.json"), JSON.stringify(remoteConfig(token, false)));
  await Promise.all([withFallback.run(["up"]), withoutFallback.run(["up"])]);
  for (const tale of [withFallback, withoutFallback]) await waitFor(async () => (await engine(tale, "task-0")).state === "healthy", 20_000, "the remote engine");
}, 90_000);

afterAll(async () => {
  await Promise.all([withFallback, withoutFallback, upstream].map((tale) => tale?.cleanup()));
});

describe("a remote upstream that goes away (a real tale daemon, killed)", () => {
  test("while it serves, task work goes to it", async () => {
    const task = await submitTask(withFallback);
    expect(task).toMatchObject({ status: "succeeded", engine: "task-0", degraded: false, fallback_from: null });
  });

  test("killed: its circuit opens; the fallback role serves, marked degraded; without one, tasks fail fast with ENGINE_UNAVAILABLE naming the endpoint", async () => {
    const pid = upstream.daemonPid()!;
    process.kill(pid, "SIGKILL");
    await waitFor(() => !isAlive(pid), 5_000, "the upstream to die");

    const degraded = await submitTask(withFallback);
    expect(degraded).toMatchObject({ status: "succeeded", engine: "ux-0", role: "task", degraded: true, fallback_from: "task" });
    const open = await engine(withFallback, "task-0");
    expect(open).toMatchObject({ state: "failed", circuit: "open", lastError: { code: "ENGINE_UNAVAILABLE" } });
    expect(open.lastError.message).toContain(upstreamUrl);

    // An OpenAI request with no timeout of its own ends too: served by the fallback here.
    const chat = await api(withFallback)("/v1/chat/completions", { model: "task", max_tokens: 4, messages: [{ role: "user", content: "hi" }] });
    expect(chat.status).toBe(200);
    expect(((await chat.json()) as Json).tale.engine).toBe("ux-0");

    const refused = await withoutFallback.run(["submit", "write code for a parser", "--role", "task", "--json"], { timeoutMs: 30_000 });
    expect(refused.exitCode).not.toBe(0);
    const failed = JSON.parse(refused.stdout) as Json;
    expect(failed).toMatchObject({ status: "failed", error: { code: "ENGINE_UNAVAILABLE" } });
    expect(failed.error.message).toContain(upstreamUrl);
    expect(failed.error.hint).toContain("supervisor.fallback");

    const noTimeout = await api(withoutFallback)("/v1/chat/completions", { model: "task", messages: [{ role: "user", content: "hi" }] });
    expect(noTimeout.status).toBe(503);
    expect(((await noTimeout.json()) as Json).error.code).toBe("ENGINE_UNAVAILABLE");
    // The ux role is unaffected.
    expect((await withoutFallback.json(["submit", "hi", "--role", "ux", "--max-tokens", "4"])).status).toBe("succeeded");
  }, 60_000);

  test("back on the same port: the circuit closes by itself and task work goes to it again", async () => {
    expect((await upstream.run(["up"])).exitCode).toBe(0);
    for (const tale of [withFallback, withoutFallback]) {
      await waitFor(async () => (await engine(tale, "task-0")).state === "healthy", 20_000, "the circuit to close");
      expect((await engine(tale, "task-0")).circuit).toBe("closed");
      const task = await submitTask(tale);
      expect(task).toMatchObject({ status: "succeeded", engine: "task-0", degraded: false });
    }
  }, 60_000);
});
