import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTaleHome, waitFor, type TaleHome } from "../helpers/tale";

/**
 * What outside testing threw at the API: odd model names, huge numbers, a
 * client that hangs up half-way, and clients that go away before the answer.
 * None of it may give a 500, and nothing a client abandons may keep running.
 */
let tale: TaleHome;
let api: (path: string, init?: RequestInit) => Promise<Response>;

beforeAll(async () => {
  tale = createTaleHome();
  // A long context so a task-model generation of thousands of tokens lasts long enough to be cut short.
  writeFileSync(join(tale.home, "config.json"), JSON.stringify({ builtin: { contextSize: 8192 } }));
  expect((await tale.run(["up"])).exitCode).toBe(0);
  const { baseUrl, token } = tale.connection();
  api = (path, init = {}) =>
    fetch(`${baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } });
}, 60_000);

afterAll(async () => {
  await tale.cleanup();
});

const post = (path: string, body: unknown, init: RequestInit = {}) => api(path, { method: "POST", body: JSON.stringify(body), ...init });
const hello = [{ role: "user", content: "hello" }];
const daemonLog = () => readFileSync(join(tale.home, "logs", "daemon.log"), "utf8");

describe("odd input gets a 4xx that names the problem, never a 500", () => {
  test("a model named after an object property is just an unknown model", async () => {
    for (const model of ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"]) {
      const response = await post("/v1/chat/completions", { model, messages: hello });
      expect(response.status).toBe(404);
      const { error } = (await response.json()) as { error: { code: string; message: string; hint: string } };
      expect(error.code).toBe("NOT_FOUND");
      expect(error.message).toContain(`Unknown model "${model}"`);
      expect(error.hint).toContain("ux, task, auto");
    }
  });

  test("numbers past their range are refused with the field and its range", async () => {
    const cases: [string, unknown, string][] = [
      ["/v1/tasks", { prompt: "x", max_tokens: 1e21 }, "max_tokens must be a whole number from 1 to 1048576"],
      ["/v1/tasks", { prompt: "x", timeout_ms: 1e308 }, "timeout_ms must be a whole number from 1 to 2147483647"],
      ["/v1/tasks", { prompt: "x", seed: 1e21 }, "seed must be a whole number from 0 to 4294967295"],
      ["/v1/chat/completions", { messages: hello, max_tokens: 1e21 }, "max_tokens must be a whole number from 1 to 1048576"],
      ["/v1/chat/completions", { messages: hello, max_completion_tokens: 1e21 }, "max_completion_tokens must be a whole number from 1"],
    ];
    for (const [path, body, expected] of cases) {
      const response = await post(path, body);
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain(expected);
    }
    for (const limit of ["0.5", "-3", "1e400", "x"]) expect((await api(`/v1/tasks?limit=${limit}`)).status).toBe(200);
  });

  test("the CLI's own lookups take no inherited names either", async () => {
    const priority = await tale.run(["submit", "hi", "--priority", "constructor", "--no-wait"]);
    expect(priority.exitCode).toBe(2);
    expect(priority.stderr).toContain('Invalid priority "constructor"');
    const explain = await tale.run(["explain", "constructor"]);
    expect(explain.exitCode).toBe(1);
    expect(explain.stderr).toContain('No error code "constructor"');
  });

  test("a client that hangs up mid-body is the client's doing: a debug line, no error", async () => {
    const { baseUrl, token } = tale.connection();
    const { port } = new URL(baseUrl);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write(`POST /v1/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"prompt":"abc`);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
      socket.on("error", reject);
    });
    await waitFor(() => daemonLog().includes("closed the connection before the body was complete"), 5_000, "the debug line");
    expect(daemonLog()).not.toContain("internal error");
    expect((await api("/v1/status")).status).toBe(200);
  });
});

describe("a client that goes away cancels its task", () => {
  const runningTask = () =>
    waitFor(async () => {
      const { tasks } = (await (await api("/v1/tasks?status=running")).json()) as { tasks: { id: string; timings: { ttft_ms: number | null } }[] };
      return tasks.find((task) => task.timings.ttft_ms !== null);
    }, 20_000, "a generating task");

  test("an aborted non-streaming completion stops generating and frees its slot", async () => {
    const abort = new AbortController();
    const request = post("/v1/chat/completions", { model: "task", max_tokens: 6000, messages: [{ role: "user", content: "write a long essay" }] }, { signal: abort.signal }).catch(
      (error: Error) => error,
    );
    const { id } = await runningTask();
    abort.abort();
    expect(await request).toBeInstanceOf(Error);
    const task = (await (await api(`/v1/tasks/${id}?wait=10000`)).json()) as { status: string; usage: { completion_tokens: number } };
    expect(task.status).toBe("cancelled");
    expect(task.usage.completion_tokens).toBeLessThan(6000);
    const status = (await (await api("/v1/status")).json()) as { engines: { id: string; slots: { inFlight: number } }[] };
    expect(status.engines.find((engine) => engine.id === "task-0")!.slots.inFlight).toBe(0);
  }, 40_000);

  test("a stream cancelled after some chunks books the tokens really generated", async () => {
    const before = (await (await api("/v1/tokens")).json()) as { totals: { byRole: { role: string; completionTokens: number }[] } };
    const completionOf = (report: typeof before) => report.totals.byRole.find((row) => row.role === "task")?.completionTokens ?? 0;
    const abort = new AbortController();
    const response = await post("/v1/chat/completions", { model: "task", stream: true, max_tokens: 6000, messages: [{ role: "user", content: "write a long essay" }] }, { signal: abort.signal });
    const reader = response.body!.getReader();
    let chunks = 0;
    while (chunks < 20) {
      const { value } = await reader.read();
      chunks += new TextDecoder().decode(value).split("data: ").length - 1;
    }
    abort.abort();
    const { id } = (await (await api("/v1/tasks?limit=1")).json() as { tasks: { id: string }[] }).tasks[0]!;
    const task = (await (await api(`/v1/tasks/${id}?wait=10000`)).json()) as { status: string; usage: { prompt_tokens: number; completion_tokens: number } };
    expect(task.status).toBe("cancelled");
    expect(task.usage.prompt_tokens).toBeGreaterThan(0);
    expect(task.usage.completion_tokens).toBeGreaterThanOrEqual(15);
    expect(task.usage.completion_tokens).toBeLessThan(6000);
    const after = (await (await api("/v1/tokens")).json()) as typeof before;
    expect(completionOf(after) - completionOf(before)).toBe(task.usage.completion_tokens);
  }, 40_000);
});
