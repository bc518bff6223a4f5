import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { isFailedLine, isReadyLine, type EngineErrorBody, type EngineFailedLine, type EngineHealth, type EngineReadyLine } from "../../src/engine/protocol";
import { freePort } from "../helpers/supervision";
import { hasSharedModel, isAlive, repoRoot, sharedModel, waitFor } from "../helpers/tale";

/** `tale engine` as the supervisor runs it: a real process on the real third-party model. */
type EngineProcess = Subprocess<"pipe", "pipe", "pipe">;

interface StartedEngine {
  proc: EngineProcess;
  /** The first protocol line on stdout: ready or failed. */
  line: EngineReadyLine | EngineFailedLine;
  stderr(): string;
  /** Resolves once the process closed stderr, so all of it is in stderr(). */
  stderrClosed: Promise<void>;
}

const spawned: EngineProcess[] = [];
/** Engines started through a shell that exited: not our children, so killed by pid. */
const orphans: number[] = [];
const scratch = mkdtempSync(join(tmpdir(), "tale-engine-test-"));
const engineArgv = [process.execPath, join(repoRoot, "src/main.ts"), "engine"];
const key = "k".repeat(64);
const keyed = { authorization: `Bearer ${key}` };

/** Starts the engine the way the daemon does: the key goes over stdin unless `args` names another source. */
async function startEngine(args: string[], { sendKey = true } = {}): Promise<StartedEngine> {
  const proc = Bun.spawn([...engineArgv, ...(sendKey ? ["--key-stdin"] : []), ...args], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  spawned.push(proc);
  if (sendKey) {
    proc.stdin.write(`${key}\n`);
    void proc.stdin.flush();
  }
  let stderrText = "";
  const stderrClosed = (async () => {
    for await (const chunk of proc.stderr) stderrText += new TextDecoder().decode(chunk);
  })();
  const line = await readFirstLine(proc);
  return { proc, line, stderr: () => stderrText, stderrClosed };
}

async function readFirstLine(proc: EngineProcess): Promise<EngineReadyLine | EngineFailedLine> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of proc.stdout) {
    buffer += decoder.decode(chunk, { stream: true });
    const newline = buffer.indexOf("\n");
    if (newline !== -1) {
      const parsed: unknown = JSON.parse(buffer.slice(0, newline));
      if (isReadyLine(parsed) || isFailedLine(parsed)) return parsed;
      throw new Error(`unexpected first line: ${buffer.slice(0, newline)}`);
    }
  }
  throw new Error(`engine closed stdout without a protocol line (exit ${await proc.exited}): ${await new Response(proc.stderr).text()}`);
}

function readyPort(engine: StartedEngine): number {
  if (!isReadyLine(engine.line)) throw new Error(`engine failed to start: ${JSON.stringify(engine.line)}\n${engine.stderr()}`);
  return engine.line.port;
}

async function exitsWithin(proc: EngineProcess, ms: number): Promise<number | "still running"> {
  return await Promise.race([proc.exited, Bun.sleep(ms).then(() => "still running" as const)]);
}

async function* sseData(response: Response): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body!) {
    buffer += decoder.decode(chunk, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf("\n\n")) !== -1) {
      const event = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      if (event.startsWith("data: ")) yield event.slice("data: ".length);
    }
  }
}

const user = (content: string) => [{ role: "user", content }];

afterAll(async () => {
  for (const proc of spawned) proc.kill("SIGKILL");
  for (const pid of orphans) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  await Promise.all(spawned.map((proc) => proc.exited));
  rmSync(scratch, { recursive: true, force: true });
});

if (!hasSharedModel) console.log(`skipping engine tests: ${sharedModel} is absent`);

describe.skipIf(!hasSharedModel)("tale engine serving llama-2-tiny-random", () => {
  let engine: StartedEngine;
  let base: string;

  const chat = (body: Record<string, unknown>, init: RequestInit = {}) =>
    fetch(`${base}/v1/chat/completions`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...keyed }, ...init });
  const health = async () => (await (await fetch(`${base}/health`, { headers: keyed })).json()) as EngineHealth;

  beforeAll(async () => {
    // One thread: on 2 busy cores, two llama.cpp threads wait on each other and the tiny model runs ~15x slower.
    engine = await startEngine(["--model", sharedModel, "--port", "0", "--threads", "1", "--slots", "2", "--context-size", "4096"]);
    base = `http://127.0.0.1:${readyPort(engine)}`;
  }, 30_000);

  test("writes one ready line once listening", () => {
    const line = engine.line as EngineReadyLine;
    expect(line.event).toBe("listening");
    expect(line.port).toBeGreaterThan(0);
    expect(line.pid).toBe(engine.proc.pid);
    expect(line.model).toBe("llama-2-tiny-random");
    expect(line.startupMs).toBeGreaterThan(0);
    expect(line.parameters).toBe(513_048);
  });

  test("GET /health reports the slots and context", async () => {
    // 513,048: the elements of the file's tensors, as node-llama-cpp counts them.
    expect(await health()).toEqual({ status: "ok", model: "llama-2-tiny-random", slots: { total: 2, busy: 0, queued: 0 }, contextSize: 4096, parameters: 513_048 });
  });

  test("GET /v1/models lists the model id", async () => {
    const list = (await (await fetch(`${base}/v1/models`, { headers: keyed })).json()) as { object: string; data: { id: string; object: string }[] };
    expect(list.object).toBe("list");
    expect(list.data.map((model) => model.id)).toEqual(["llama-2-tiny-random"]);
  });

  test("a chat completion answers with real token counts", async () => {
    const response = await chat({ messages: [{ role: "system", content: "Be brief." }, ...user("hello there")], max_tokens: 8, seed: 1 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.object).toBe("chat.completion");
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.model).toBe("llama-2-tiny-random");
    expect(body.choices[0].message.role).toBe("assistant");
    expect(typeof body.choices[0].message.content).toBe("string");
    expect(["stop", "length"]).toContain(body.choices[0].finish_reason);
    expect(body.usage.prompt_tokens).toBeGreaterThan(5);
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(8);
    if (body.choices[0].finish_reason === "length") expect(body.usage.completion_tokens).toBe(8);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  test("a longer prompt counts more prompt tokens", async () => {
    const promptTokens = async (content: string) => ((await (await chat({ messages: user(content), max_tokens: 1 })).json()) as any).usage.prompt_tokens;
    const short = await promptTokens("hi");
    const long = await promptTokens("hi ".repeat(40));
    expect(long).toBeGreaterThanOrEqual(short + 40);
  });

  test("streaming sends role, content chunks, finish, usage and [DONE]", async () => {
    const response = await chat({ messages: user("tell me a story"), max_tokens: 6, stream: true, stream_options: { include_usage: true } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const events: string[] = [];
    for await (const data of sseData(response)) events.push(data);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((data) => JSON.parse(data));
    expect(chunks.every((chunk) => chunk.object === "chat.completion.chunk" && chunk.id === chunks[0].id)).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    const usageChunk = chunks.at(-1);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage.prompt_tokens).toBeGreaterThan(0);
    expect(usageChunk.usage.completion_tokens).toBeGreaterThan(0);
    expect(usageChunk.usage.completion_tokens).toBeLessThanOrEqual(6);
    const finish = chunks.at(-2);
    expect(["stop", "length"]).toContain(finish.choices[0].finish_reason);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? "").join("");
    expect(text.length).toBeGreaterThan(0);
  });

  test("streaming without include_usage sends no usage chunk", async () => {
    const response = await chat({ messages: user("hi"), max_tokens: 2, stream: true });
    const events: string[] = [];
    for await (const data of sseData(response)) events.push(data);
    expect(events.at(-1)).toBe("[DONE]");
    expect(events.slice(0, -1).some((data) => "usage" in JSON.parse(data))).toBe(false);
  });

  test("requests beyond the slots wait in the queue and all succeed", async () => {
    const holders = [new AbortController(), new AbortController()];
    const streams = await Promise.all(holders.map((holder) => chat({ messages: user("go on"), max_tokens: 4000, stream: true }, { signal: holder.signal })));
    // Reading the first event means both slots are now generating.
    for (const stream of streams) await sseData(stream).next();
    const waiting = [1, 2, 3].map((n) => chat({ messages: user(`question ${n}`), max_tokens: 4 }));
    const queued = await waitFor(async () => {
      const state = await health();
      return state.slots.queued === 3 && state;
    }, 5000, "three queued requests");
    expect(queued.slots.busy).toBe(2);
    for (const holder of holders) holder.abort();
    const answers = await Promise.all(waiting);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    for (const answer of answers) expect(((await answer.json()) as any).usage.completion_tokens).toBeGreaterThan(0);
  });

  test("five parallel requests on two slots all succeed", async () => {
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => chat({ messages: user(`parallel ${n}`), max_tokens: 8 })));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await health()).slots).toEqual({ total: 2, busy: 0, queued: 0 });
  });

  test("a client that goes away frees its slot at once", async () => {
    const client = new AbortController();
    const response = await chat({ messages: user("write a long essay"), max_tokens: 4000, stream: true }, { signal: client.signal });
    const events = sseData(response);
    await events.next();
    await events.next();
    expect((await health()).slots.busy).toBe(1);
    const abortedAt = performance.now();
    client.abort();
    await waitFor(async () => (await health()).slots.busy === 0, 2000, "the slot to be freed");
    // 4000 tokens take seconds even at 1,500 tokens/s; freeing this fast means generation stopped.
    expect(performance.now() - abortedAt).toBeLessThan(1000);
  });

  test("a non-streaming client that goes away frees its slot too", async () => {
    const client = new AbortController();
    const pending = chat({ messages: user("write a long essay"), max_tokens: 4000 }, { signal: client.signal }).catch((error) => error);
    await waitFor(async () => (await health()).slots.busy === 1, 2000, "the request to start");
    const abortedAt = performance.now();
    client.abort();
    expect(await pending).toBeInstanceOf(Error);
    await waitFor(async () => (await health()).slots.busy === 0, 2000, "the slot to be freed");
    expect(performance.now() - abortedAt).toBeLessThan(1000);
  });

  test("a prompt larger than the context is refused with CONTEXT_OVERFLOW", async () => {
    const response = await chat({ messages: user("hello ".repeat(5000)) });
    expect(response.status).toBe(400);
    const body = (await response.json()) as EngineErrorBody;
    expect(body.error.code).toBe("CONTEXT_OVERFLOW");
    expect(body.error.message).toMatch(/prompt is \d+ tokens .* 4096 tokens/);
    expect(body.error.hint).toContain("contextSize");
  });

  test("max_tokens beyond the room left is capped, not an error", async () => {
    const response = await chat({ messages: user("hello ".repeat(4000)), max_tokens: 1000 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.usage.prompt_tokens + body.usage.completion_tokens).toBeLessThanOrEqual(4096);
  });

  test("bad bodies get 400 naming what is wrong", async () => {
    const cases: [unknown, RegExp][] = [
      [{ messages: [] }, /messages: must have at least one message/],
      [{ messages: [{ role: "user", content: 5 }] }, /messages\.0\.content/],
      [{ messages: [{ role: "tool", content: "x" }] }, /messages\.0\.role/],
      [{ messages: user("hi"), max_tokens: 0 }, /max_tokens must be a whole number from 1 to 1048576/],
      [{ messages: user("hi"), temperature: "hot" }, /temperature: must be a number/],
      [{ messages: user("hi"), stop: [1] }, /stop/],
    ];
    for (const [body, message] of cases) {
      const response = await chat(body as Record<string, unknown>);
      expect(response.status).toBe(400);
      const error = ((await response.json()) as EngineErrorBody).error;
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toMatch(message);
    }
    const notJson = await fetch(`${base}/v1/chat/completions`, { method: "POST", body: "{nope", headers: keyed });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as EngineErrorBody).error.message).toContain("not valid JSON");
  });

  test("unknown routes get 404 in the error shape", async () => {
    const response = await fetch(`${base}/v1/embeddings`, { method: "POST", headers: keyed });
    expect(response.status).toBe(404);
    expect(((await response.json()) as EngineErrorBody).error.code).toBe("NOT_FOUND");
  });

  test("a request without the key, or with a wrong one, is refused before it reaches the model", async () => {
    const body = JSON.stringify({ messages: user("hi"), max_tokens: 3 });
    const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${"x".repeat(64)}` }, { authorization: `Bearer ${key.slice(1)}` }, { authorization: key }];
    for (const headers of attempts) {
      const refused = [
        await fetch(`${base}/v1/chat/completions`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } }),
        await fetch(`${base}/v1/models`, { headers }),
        // Not even which routes exist.
        await fetch(`${base}/v1/embeddings`, { method: "POST", headers }),
      ];
      for (const response of refused) {
        expect(response.status).toBe(401);
        const error = ((await response.json()) as EngineErrorBody).error;
        expect(error.code).toBe("AUTH");
        expect(error.message).not.toContain(key);
      }
    }
    expect((await health()).slots).toEqual({ total: 2, busy: 0, queued: 0 });
  });

  test("GET /health without the key says only that the engine is alive", async () => {
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});

describe.skipIf(!hasSharedModel)("tale engine lifecycle", () => {
  test("exits when its stdin closes", async () => {
    const engine = await startEngine(["--model", sharedModel, "--threads", "1"]);
    readyPort(engine);
    engine.proc.stdin.end();
    expect(await exitsWithin(engine.proc, 3000)).toBe(0);
    await engine.stderrClosed;
    expect(engine.stderr()).toContain("stdin closed");
  });

  test("exits cleanly on SIGTERM", async () => {
    const engine = await startEngine(["--model", sharedModel, "--threads", "1"]);
    const port = readyPort(engine);
    engine.proc.kill("SIGTERM");
    expect(await exitsWithin(engine.proc, 3000)).toBe(0);
    expect(isAlive(engine.proc.pid)).toBe(false);
    expect(await fetch(`http://127.0.0.1:${port}/health`).then(() => "answered", () => "refused")).toBe("refused");
  });

  /**
   * `nohup tale engine … &` from a script: a shell starts the engine in the
   * background and exits. The shell here waits for a line on its stdin, so it
   * is still the parent while the engine starts, and exits when told.
   */
  async function startFromShell(flags: string[]): Promise<{ pid: number; port: number; letShellExit(): Promise<void> }> {
    const keyFile = join(scratch, "shell-key");
    writeFileSync(keyFile, key, { mode: 0o600 });
    const port = freePort();
    const command = [...engineArgv, "--model", sharedModel, "--threads", "1", "--port", String(port), "--api-key-file", keyFile, ...flags];
    const shell = Bun.spawn(["sh", "-c", `"$@" </dev/null >/dev/null 2>&1 & echo $!; read _`, "sh", ...command], { stdin: "pipe", stdout: "pipe" });
    const reader = shell.stdout.getReader();
    const pid = Number(new TextDecoder().decode((await reader.read()).value).trim());
    reader.releaseLock();
    orphans.push(pid);
    await waitFor(() => fetch(`http://127.0.0.1:${port}/health`).then((response) => response.ok, () => false), 20_000, "the engine to answer");
    return {
      pid,
      port,
      async letShellExit() {
        shell.stdin.write("\n");
        shell.stdin.end();
        await shell.exited;
      },
    };
  }

  test("started from a shell that then exits, it stops: the daemon's engines never outlive their parent", async () => {
    const engine = await startFromShell([]);
    await engine.letShellExit();
    await waitFor(() => !isAlive(engine.pid), 3000, "the orphaned engine to stop");
  }, 30_000);

  test("with --no-parent-watch it keeps serving after the shell that started it exits", async () => {
    const engine = await startFromShell(["--no-parent-watch"]);
    await engine.letShellExit();
    await Bun.sleep(1500);
    expect(isAlive(engine.pid)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${engine.port}/v1/models`, { headers: keyed })).status).toBe(200);
    process.kill(engine.pid, "SIGTERM");
    await waitFor(() => !isAlive(engine.pid), 5000, "the engine to stop on SIGTERM");
  }, 30_000);

  test("a missing model file fails before loading, naming the path", async () => {
    const missing = join(repoRoot, "no-such-model.gguf");
    const engine = await startEngine(["--model", missing]);
    expect(engine.line).toMatchObject({ event: "failed", error: { code: "MODEL_NOT_FOUND" } });
    expect(await exitsWithin(engine.proc, 3000)).not.toBe(0);
    await engine.stderrClosed;
    expect(engine.stderr()).toContain(missing);
  });

  test("a file that is not GGUF is refused with a clear message", async () => {
    const engine = await startEngine(["--model", join(repoRoot, "package.json")]);
    expect(engine.line).toMatchObject({ event: "failed", error: { code: "MODEL_NOT_FOUND" } });
    expect(await exitsWithin(engine.proc, 3000)).not.toBe(0);
    await engine.stderrClosed;
    expect(engine.stderr()).toContain("not a GGUF file");
  });

  test("a port in use fails with the port named", async () => {
    const blocker = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("busy") });
    try {
      const engine = await startEngine(["--model", sharedModel, "--threads", "1", "--port", String(blocker.port)]);
      expect(engine.line).toMatchObject({ event: "failed", error: { code: "PORT_IN_USE" } });
      expect(await exitsWithin(engine.proc, 3000)).not.toBe(0);
      await engine.stderrClosed;
      expect(engine.stderr()).toContain(`Port ${blocker.port}`);
    } finally {
      await blocker.stop(true);
    }
  });

  test("a key file works as well as stdin, and a run with no key and no terminal is refused", async () => {
    const keyFile = join(scratch, "key");
    writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
    const engine = await startEngine(["--model", sharedModel, "--threads", "1", "--api-key-file", keyFile], { sendKey: false });
    const base = `http://127.0.0.1:${readyPort(engine)}`;
    expect((await fetch(`${base}/v1/models`, { headers: keyed })).status).toBe(200);
    expect((await fetch(`${base}/v1/models`)).status).toBe(401);

    const keyless = await startEngine(["--model", sharedModel, "--threads", "1"], { sendKey: false });
    expect(keyless.line).toMatchObject({ event: "failed", error: { code: "BAD_REQUEST" } });
    expect((keyless.line as EngineFailedLine).error.hint).toContain("--api-key-file");
    expect(await exitsWithin(keyless.proc, 3000)).not.toBe(0);
  });

  test("bad flags are refused", async () => {
    const engine = await startEngine(["--model", sharedModel, "--slots", "zero"]);
    expect(engine.line).toMatchObject({ event: "failed", error: { code: "BAD_REQUEST" } });
    expect(await exitsWithin(engine.proc, 3000)).not.toBe(0);
    await engine.stderrClosed;
    expect(engine.stderr()).toContain("--slots must be a whole number");
  });
});
