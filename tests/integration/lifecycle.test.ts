import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childPids, createTaleHome, hasSharedModel, isAlive, sharedModel, waitFor, type TaleHome } from "../helpers/tale";

/** Processes, crashes and recovery, with real kill -9 on real daemons and engines. */
let tale: TaleHome | undefined;
afterEach(async () => {
  await tale?.cleanup();
  tale = undefined;
});

async function enginePids(home: TaleHome): Promise<number[]> {
  const status = await home.json(["status"]);
  return status.engines.map((engine: { pid: number }) => engine.pid);
}

describe("lifecycle", () => {
  test("tale down leaves no daemon, engine or plugin host behind", async () => {
    tale = createTaleHome();
    expect((await tale.run(["up"])).exitCode).toBe(0);
    const daemon = tale.daemonPid()!;
    const engines = await waitFor(async () => {
      const pids = await enginePids(tale!);
      return pids.length === 2 && pids.every(Boolean) ? pids : undefined;
    });
    // Each builtin engine keeps a warm spare process beside it.
    const spares = await waitFor(async () => {
      const pids = (await tale!.json(["status"])).engines.map((engine: { sparePid: number | null }) => engine.sparePid);
      return pids.every(Boolean) ? (pids as number[]) : undefined;
    });
    const pluginHosts = (await tale.json(["plugin", "list"])).plugins.map((plugin: { pid: number }) => plugin.pid);
    expect(pluginHosts.length).toBeGreaterThan(0);
    expect(childPids(daemon).sort()).toEqual([...engines, ...spares, ...pluginHosts].sort());

    const down = await tale.run(["down"]);
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toContain("stopped");
    for (const pid of [daemon, ...engines, ...spares, ...pluginHosts]) expect(isAlive(pid)).toBe(false);
    expect((await tale.run(["status"])).exitCode).toBe(3);
  });

  test("an engine killed with kill -9 is replaced by its warm spare and the next task succeeds", async () => {
    tale = createTaleHome();
    await tale.json(["submit", "warm up", "--role", "ux", "--max-tokens", "2"]);
    const before = await waitFor(async () => {
      const engine = (await tale!.json(["status"])).engines.find((candidate: { role: string }) => candidate.role === "ux");
      return engine.sparePid ? engine : undefined;
    }, 10_000, "the ux engine's warm spare");
    process.kill(before.pid, "SIGKILL");

    const after = await waitFor(async () => {
      const engine = (await tale!.json(["status"])).engines.find((candidate: { role: string }) => candidate.role === "ux");
      return engine.state === "healthy" && engine.pid !== before.pid ? engine : undefined;
    }, 20_000, "the ux engine to come back");
    expect(after.restarts).toBe(before.restarts + 1);
    expect(isAlive(before.pid)).toBe(false);
    // The spare took over, and a new spare waits behind it.
    expect(after.pid).toBe(before.sparePid);
    await waitFor(async () => {
      const engine = (await tale!.json(["status"])).engines.find((candidate: { role: string }) => candidate.role === "ux");
      return engine.sparePid && engine.sparePid !== before.sparePid;
    }, 10_000, "a new spare");

    const task = await tale.json(["submit", "hello again", "--role", "ux", "--max-tokens", "4"]);
    expect(task.status).toBe("succeeded");
    expect(task.engine).toBe(after.id);
  });

  test("SIGTERM drains: the running task finishes and its waiting client gets the answer", async () => {
    tale = createTaleHome();
    await tale.json(["submit", "warm up", "--role", "task", "--max-tokens", "2"]);
    const waiting = tale.run(["submit", "a longer piece of work", "--role", "task", "--max-tokens", "400", "--json"]);
    const id = await waitFor(async () => (await tale!.json(["list", "--status", "running"]))[0]?.id, 10_000, "the task to run");
    const down = await tale.run(["down"]);
    expect(down.stdout).toContain("tale stopped");
    const result = await waiting;
    expect(result.exitCode).toBe(0);
    const task = JSON.parse(result.stdout);
    expect(task.id).toBe(id);
    expect(task.status).toBe("succeeded");
    expect(task.usage.completion_tokens).toBe(400);
  });

  test("engines die with a daemon killed by kill -9, and queued work survives the restart", async () => {
    tale = createTaleHome();
    await tale.json(["submit", "warm up", "--role", "ux", "--max-tokens", "2"]);
    const daemon = tale.daemonPid()!;
    const engines = await enginePids(tale);
    const spares = await waitFor(async () => {
      const pids = (await tale!.json(["status"])).engines.map((engine: { sparePid: number | null }) => engine.sparePid);
      return pids.every(Boolean) ? (pids as number[]) : undefined;
    });

    // A long task keeps the only task slot busy so the next ones stay queued when the daemon dies.
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      ids.push((await tale.run(["submit", `job ${index}`, "--role", "task", "--max-tokens", "64", "--no-wait"])).stdout.trim());
    }
    process.kill(daemon, "SIGKILL");
    await waitFor(() => !isAlive(daemon) && [...engines, ...spares].every((pid) => !isAlive(pid)), 5_000, "the engines and their spares to exit with the daemon");

    for (const id of ids) {
      const task = await tale.json(["show", id]);
      const final = task.status === "succeeded" ? task : await waitFor(async () => {
        const current = await tale!.json(["show", id]);
        return current.status === "succeeded" ? current : undefined;
      }, 30_000, `task ${id} to finish after the restart`);
      expect(final.output.length).toBeGreaterThan(0);
    }
    expect(tale.daemonPid()).not.toBe(daemon);
  });
});

describe.skipIf(!hasSharedModel)("the exact external config shape, with a real third-party GGUF", () => {
  test("dist/tale submit works from another directory with tale.config.json", async () => {
    tale = createTaleHome();
    const project = mkdtempSync(join(tmpdir(), "tale-project-"));
    try {
      writeFileSync(
        join(project, "tale.config.json"),
        JSON.stringify({ models: { ux: { engine: "builtin", model: sharedModel }, task: { engine: "builtin", model: sharedModel } } }),
      );
      const task = await tale.json(["submit", "hello world", "--max-tokens", "8"], { cwd: project });
      expect(task.status).toBe("succeeded");
      expect(task.model).toBe("llama-2-tiny-random");
      expect(task.usage.completion_tokens).toBeGreaterThan(0);
      const status = await tale.json(["status"], { cwd: project });
      expect(status.daemon.configSources.some((source: string) => source.endsWith("tale.config.json"))).toBe(true);
      expect(status.engines.every((engine: { model: string }) => engine.model === "llama-2-tiny-random")).toBe(true);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
describe("config files in the working directory", () => {
  test("a tale.config.ts is loaded by the compiled binary", async () => {
    tale = createTaleHome();
    const project = mkdtempSync(join(tmpdir(), "tale-project-"));
    try {
      // The generated models never stop early, so the token count shows which layer won.
      writeFileSync(join(project, "tale.config.ts"), "export default { builtin: { maxTokens: 5 } };\n");
      const task = await tale.json(["submit", "hello", "--role", "ux"], { cwd: project });
      expect(task.usage.completion_tokens).toBe(5);
      expect((await tale.json(["status"], { cwd: project })).daemon.configSources.some((source: string) => source.endsWith("tale.config.ts"))).toBe(true);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

if (!hasSharedModel) console.warn("skipping the shared-model test: ../shared/models is absent");
