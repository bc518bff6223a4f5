import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { createTaleHome, isAlive, waitFor, type TaleHome } from "../helpers/tale";

/** The daemon end to end on the generated default models, through the real binary. */
describe("daemon on the default models", () => {
  let tale: TaleHome;
  let baseUrl: string;
  let token: string;

  beforeAll(async () => {
    tale = createTaleHome();
    const first = await tale.json(["submit", "hello world"]);
    expect(first.status).toBe("succeeded");
    ({ baseUrl, token } = tale.connection());
  });
  afterAll(() => tale.cleanup());

  test("submit --json answers with the task's facts", async () => {
    const task = await tale.json(["submit", "hello world", "--role", "ux"]);
    expect(task.id).toMatch(/^t_/);
    expect(task.status).toBe("succeeded");
    expect(typeof task.output).toBe("string");
    expect(task.role).toBe("ux");
    expect(task.model).toContain("ux");
    expect(task.usage.prompt_tokens).toBeGreaterThan(0);
    expect(task.usage.completion_tokens).toBeGreaterThan(0);
    expect(task.latency_ms).toBeGreaterThan(0);
    expect(task.attempts).toBe(1);
  });

  test("the task role runs on the task model", async () => {
    const task = await tale.json(["submit", "write a python web scraper", "--role", "task", "--max-tokens", "8"]);
    expect(task.status).toBe("succeeded");
    expect(task.role).toBe("task");
    expect(task.model).toContain("task");
    expect(task.usage.completion_tokens).toBeLessThanOrEqual(8);
  });

  test("plain output prints the answer then a footer", async () => {
    const result = await tale.run(["submit", "hi there", "--role", "ux", "--max-tokens", "4"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(0);
    expect(result.stderr).toMatch(/ux · .* tokens · /);
  });

  test("status shows both engines healthy and the queue", async () => {
    const status = await tale.json(["status"]);
    expect(status.daemon.pid).toBe(tale.daemonPid());
    expect(status.engines.map((engine: { role: string }) => engine.role).sort()).toEqual(["task", "ux"]);
    for (const engine of status.engines) {
      expect(engine.state).toBe("healthy");
      expect(isAlive(engine.pid)).toBe(true);
    }
    expect(status.queue.succeeded).toBeGreaterThan(0);
    const human = await tale.run(["status"]);
    expect(human.stdout).toContain("ENGINE");
    expect(human.stdout).toContain("healthy");
  });

  test("--no-wait returns an id that show, list and cancel know", async () => {
    const id = (await tale.run(["submit", "count to three", "--no-wait", "--role", "ux"])).stdout.trim();
    expect(id).toMatch(/^t_/);
    const listed = await tale.json(["list"]);
    expect(listed.some((task: { id: string }) => task.id === id)).toBe(true);
    const cancelled = await tale.json(["cancel", id]);
    expect(["cancelled", "succeeded"]).toContain(cancelled.status);
    const shown = await tale.json(["show", id]);
    expect(shown.status).toBe(cancelled.status);
  });

  test("the token file is private and the API demands it", async () => {
    expect(statSync(join(tale.home, "token")).mode & 0o777).toBe(0o600);
    const missing = await fetch(`${baseUrl}/v1/status`);
    expect(missing.status).toBe(401);
    const wrong = await fetch(`${baseUrl}/v1/tasks`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const body = await wrong.text();
    expect(body).not.toContain(token);
    expect(body).toContain("AUTH");
  });

  test("a bad body gets a 400 naming the field", async () => {
    const response = await fetch(`${baseUrl}/v1/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "x", priority: "urgent" }),
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("priority");
  });

  test("OpenAI-compatible chat completions, plain and streamed", async () => {
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const plain = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "ux", messages: [{ role: "user", content: "hello" }], max_tokens: 6 }),
    });
    expect(plain.status).toBe(200);
    const completion = (await plain.json()) as any;
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0].message.role).toBe("assistant");
    expect(completion.usage.completion_tokens).toBeGreaterThan(0);

    const streamed = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ messages: [{ role: "user", content: "hello" }], max_tokens: 6, stream: true, stream_options: { include_usage: true } }),
    });
    expect(streamed.headers.get("content-type")).toContain("text/event-stream");
    const events = (await streamed.text()).split("\n\n").filter(Boolean).map((block) => block.replace(/^data: /, ""));
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
    expect(chunks.some((chunk) => chunk.choices[0]?.delta?.content)).toBe(true);
    expect(chunks.at(-1).usage.completion_tokens).toBeGreaterThan(0);
  });

  test("a task past its deadline ends timed_out, tells the user, and frees its slot", async () => {
    const result = await tale.run(["submit", "write a long story", "--role", "task", "--max-tokens", "1800", "--timeout", "300ms", "--json"]);
    expect(result.exitCode).toBe(124);
    const task = JSON.parse(result.stdout);
    expect(task.status).toBe("timed_out");
    expect(task.error.code).toBe("TIMEOUT");
    const human = await tale.run(["submit", "write a long story", "--role", "task", "--max-tokens", "1800", "--timeout", "300ms"]);
    expect(human.exitCode).toBe(124);
    expect(human.stderr).toContain("timed_out");
    await waitFor(async () => (await tale.json(["status"])).engines.every((engine: { slots: { inFlight: number } }) => engine.slots.inFlight === 0));
  });

  test("cancelling a running task stops it and frees the engine slot", async () => {
    const id = (await tale.run(["submit", "write a long story", "--role", "task", "--max-tokens", "1800", "--no-wait"])).stdout.trim();
    await waitFor(async () => (await tale.json(["show", id])).status === "running", 10_000, "the task to start");
    const cancelled = await tale.json(["cancel", id]);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.error.code).toBe("CANCELLED");
    await waitFor(async () => (await tale.json(["status"])).engines.every((engine: { slots: { inFlight: number } }) => engine.slots.inFlight === 0), 2_000, "the slot to be freed");
  });

  test("a client that disconnects from a streaming request cancels its task and frees the slot", async () => {
    const abort = new AbortController();
    const response = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "task", messages: [{ role: "user", content: "a long story" }], max_tokens: 1800, stream: true }),
      signal: abort.signal,
    });
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const id = /"id":"chatcmpl-(t_\w+)"/.exec(first)![1]!;
    abort.abort();
    const task = await waitFor(async () => {
      const current = await tale.json(["show", id]);
      return current.status === "cancelled" ? current : undefined;
    }, 5_000, "the task to be cancelled");
    expect(task.usage.completion_tokens).toBeLessThan(1800);
    await waitFor(async () => (await tale.json(["status"])).engines.every((engine: { slots: { inFlight: number } }) => engine.slots.inFlight === 0), 2_000, "the slot to be freed");
  });

  test("an unknown OpenAI model name gets a 404 that lists the valid ones", async () => {
    const response = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hello" }] }),
    });
    expect(response.status).toBe(404);
    const { error } = (await response.json()) as { error: { message: string; hint: string } };
    expect(error.message).toContain("gpt-4o");
    expect(error.hint).toContain("auto");
  });

  test("tale models synth writes a GGUF the engine can serve", async () => {
    const out = join(tale.home, "custom.gguf");
    const made = await tale.json(["models", "synth", "--out", out, "--preset", "ux", "--seed", "7", "--name", "custom-tiny"]);
    expect(made.path).toBe(out);
    expect(made.name).toBe("custom-tiny");
    const header = Buffer.from(await Bun.file(out).slice(0, 4).arrayBuffer()).toString("latin1");
    expect(header).toBe("GGUF");
    const listed = await tale.json(["models", "list"]);
    expect(listed.map((model: { name: string }) => model.name)).toContain("tale-ux-tiny.gguf");
  });
});
