import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFaultServer, type FaultServer } from "../helpers/fault-server";
import { createTaleHome, taleBinary, waitFor, type TaleHome } from "../helpers/tale";
import type { LogRecord } from "../../src/logs/record";

/**
 * `tale logs` against a real daemon: a builtin ux engine and two remote task
 * engines (the fault injector) whose keys are canaries, one literal in the
 * config and one read from a variable. Logs rotate at 5 KB so every test
 * crosses rotations.
 */
const canaryKey = "sk-canary-literal-7f3a9c1e5b2d";
const canaryEnv = "sk-canary-from-env-4d2b8e6a0c9f";

let tale: TaleHome;
let faults: FaultServer;
let api: (path: string, init?: RequestInit) => Promise<Response>;

beforeAll(async () => {
  faults = startFaultServer();
  tale = createTaleHome({ TALE_TEST_CANARY_KEY: canaryEnv });
  const remote = { engine: "remote", baseUrl: faults.baseUrl, model: "fault-injector", slots: 4 };
  const config = {
    models: {
      ux: { engine: "builtin", model: "default" },
      task: [
        { ...remote, name: "remote-a", apiKey: canaryKey },
        { ...remote, name: "remote-b", apiKeyEnv: "TALE_TEST_CANARY_KEY" },
      ],
    },
    log: { maxFileMb: 0.005, keepFiles: 100 },
  };
  writeFileSync(join(tale.home, "tale.config.json"), JSON.stringify(config));
  expect((await tale.run(["up"])).exitCode).toBe(0);
  const { baseUrl, token } = tale.connection();
  api = (path, init = {}) => fetch(`${baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } });
}, 60_000);

afterAll(async () => {
  await tale.cleanup();
  faults.stop();
});

async function logs(args: string[]): Promise<LogRecord[]> {
  const result = await tale.run(["logs", "--json", ...args]);
  expect(result.exitCode).toBe(0);
  return result.stdout.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

async function runTask(body: Record<string, unknown>): Promise<{ id: string; status: string; attempts: number }> {
  const created = (await (await api("/v1/tasks", { method: "POST", body: JSON.stringify(body) })).json()) as { id: string };
  return (await (await api(`/v1/tasks/${created.id}?wait=20000`)).json()) as { id: string; status: string; attempts: number };
}

describe("tale logs", () => {
  test("--task tells one task's whole story from structured fields: queued, routed, each attempt and retry, the end", async () => {
    faults.plan({ kind: "status", status: 503, echoKey: true });
    const task = await runTask({ prompt: "hello", role: "task" });
    expect(task).toMatchObject({ status: "succeeded", attempts: 2 });
    await runTask({ prompt: "another task, not in the story", role: "task" });

    const story = await logs(["--task", task.id]);
    expect(story.every((line) => line.task === task.id)).toBe(true);
    const messages = story.map((line) => line.message);
    const expected = [
      /queued \(asked for task/,
      /routed to task by explicit/,
      /attempt 1 running on remote-/,
      /attempt 1 failed with ENGINE_UNHEALTHY; retrying/,
      /attempt 1 on remote-\S+ retried with ENGINE_UNHEALTHY/,
      /queued again after attempt 1/,
      /attempt 2 running on remote-/,
      /succeeded after 2 attempt/,
      /attempt 2 on remote-\S+ succeeded/,
    ];
    for (const pattern of expected) expect(messages.some((message) => pattern.test(message))).toBe(true);
    // In time order: queued first, the final state after the retry.
    expect(messages.findIndex((message) => /queued \(asked/.test(message))).toBe(0);
    expect(messages.findIndex((message) => /retrying/.test(message))).toBeLessThan(messages.findIndex((message) => /succeeded after 2/.test(message)));
    // Only what went wrong, with --level.
    expect((await logs(["--task", task.id, "--level", "warn"])).map((line) => line.message)).toEqual([expect.stringMatching(/attempt 1 on remote-\S+ retried/)]);
    // The same lines in the terminal format, and the daemon's and engine's lines merged around them.
    const text = await tale.run(["logs", "--task", task.id]);
    expect(text.stdout).toContain(`task ${task.id} queued`);
    const merged = await logs(["--lines", "100000"]);
    expect(merged.some((line) => line.component === "engine" && line.engine === "ux-0")).toBe(true);
    expect(merged.some((line) => line.component === "plugin")).toBe(true);
    expect(merged.map((line) => line.time)).toEqual(merged.map((line) => line.time).sort());
  }, 30_000);

  test("-f follows live through rotations and an engine killed with kill -9", async () => {
    const follower = Bun.spawn([taleBinary, "logs", "-f", "--json", "--lines", "1"], { env: tale.env, stdout: "pipe", stderr: "pipe" });
    const seen: LogRecord[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffered = "";
      for await (const chunk of follower.stdout) {
        buffered += decoder.decode(chunk, { stream: true });
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const line of lines) if (line) seen.push(JSON.parse(line));
      }
    })();
    try {
      const daemonLog = join(tale.home, "logs", "daemon.log");
      const inodeBefore = statSync(daemonLog).ino;
      // The last line already written shows that the follower has read what was there and follows from its end.
      await waitFor(() => seen.length > 0, 10_000, "the follower to start");
      const tasks = await Promise.all(Array.from({ length: 12 }, (_, index) => runTask({ prompt: `follow ${index}`, role: "task" })));
      const ux = (await tale.json(["status"])).engines.find((engine: { id: string }) => engine.id === "ux-0");
      const killedAt = new Date().toISOString();
      process.kill(ux.pid, "SIGKILL");

      // Every task's first line arrives, whichever file it was written to before the follower read it.
      await waitFor(() => tasks.every((task) => seen.some((line) => line.task === task.id && line.message.includes("queued (asked"))), 10_000, "every task's queued line");
      await waitFor(() => seen.some((line) => line.engine === "ux-0" && line.component === "daemon" && /-> healthy/.test(line.message) && line.time > killedAt), 15_000, "ux-0 healthy again");
      await waitFor(() => seen.some((line) => line.component === "engine" && line.engine === "ux-0" && line.message.startsWith("Serving ux-0") && line.time > killedAt), 5_000, "the new engine's own line");
      expect(statSync(daemonLog).ino).not.toBe(inodeBefore);
      const warnings = await logs(["--level", "warn", "--engine", "ux-0", "--since", "1m"]);
      expect(warnings.some((line) => /Engine ux-0: healthy -> crashed/.test(line.message) && line.time > killedAt)).toBe(true);
    } finally {
      follower.kill("SIGINT");
      expect(await follower.exited).toBe(0);
      await reading;
    }
  }, 40_000);

  test("no secret reaches any log, even when an engine quotes the key back in a failure", async () => {
    faults.plan({ kind: "status", status: 400, echoKey: true });
    const failed = await runTask({ prompt: "refused", role: "task" });
    expect(failed.status).toBe("failed");
    const end = (await logs(["--task", failed.id])).find((line) => /failed after 1 attempt/.test(line.message));
    // The upstream's message is kept, the key it quoted is not.
    expect(end?.message).toContain("you sent Bearer [redacted]");

    const token = readFileSync(join(tale.home, "token"), "utf8").trim();
    const logDir = join(tale.home, "logs");
    const files = readdirSync(logDir);
    expect(files.some((name) => name.startsWith("daemon.log."))).toBe(true);
    for (const name of files) {
      const text = readFileSync(join(logDir, name), "utf8");
      for (const secret of [canaryKey, canaryEnv, token]) expect(text.includes(secret), `${secret} in ${name}`).toBe(false);
      // The token and every engine key are 32 random bytes in hex.
      expect(/[0-9a-f]{64}/.test(text), `a 64-hex key in ${name}`).toBe(false);
    }
  }, 30_000);

  test("logs are read from TALE_HOME, so they work with the daemon down", async () => {
    expect((await tale.run(["down"])).exitCode).toBe(0);
    const lines = await logs(["--component", "daemon", "--lines", "3"]);
    expect(lines).toHaveLength(3);
    expect(lines.some((line) => /received SIGTERM|-> stopped/.test(line.message))).toBe(true);
  });

  test("a bad filter is a usage mistake with a hint, not a stack trace", async () => {
    for (const args of [["--since", "last tuesday"], ["--level", "loud"], ["--component", "kernel"], ["--lines", "-1"]]) {
      const result = await tale.run(["logs", ...args]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain("Invalid");
      expect(result.stderr).not.toContain("    at ");
    }
  });
});
