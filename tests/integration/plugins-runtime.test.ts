import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TaleError } from "../../src/errors";
import { createPluginManager, type PluginManager, type PluginManagerOptions } from "../../src/plugins";
import { readRssBytes } from "../../src/plugins/process-memory";
import { compileFixture, fixtureBytes } from "../helpers/compile-plugin";
import { livePluginHosts, pluginHostCommand, routeInput } from "../helpers/plugin-kit";
import { taleBinary } from "../helpers/tale";

const dir = mkdtempSync(join(tmpdir(), "tale-plugins-"));
const managers: PluginManager[] = [];

function manager(options: PluginManagerOptions = {}): PluginManager {
  const created = createPluginManager({ hostCommand: pluginHostCommand, watch: false, ...options });
  managers.push(created);
  return created;
}

async function rejection(promise: Promise<unknown>): Promise<TaleError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TaleError);
    return error as TaleError;
  }
  throw new Error("expected the promise to reject");
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((created) => created.close()));
  expect(livePluginHosts()).toEqual([]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("plugin runtime", () => {
  test("a well-behaved plugin answers every hook it declares, in its own process", async () => {
    const plugins = manager();
    const path = await compileFixture("router");
    const router = await plugins.load({ path });
    expect(router.pid).not.toBe(process.pid);
    expect(livePluginHosts()).toEqual([router.pid!]);
    expect(await plugins.call(router, "task:route", routeInput("t1", 12))).toEqual({ role: "ux", reason: "fixture v1" });
    expect((await plugins.call(router, "task:route", routeInput("t2", 400))).role).toBe("task");
    expect(await plugins.call(router, "task:completed", { version: 1, task: { id: "t1", kind: "prompt", role: "ux", engine: "ux-0", model: "m" }, outcome: "succeeded", errorCode: null, usage: { promptTokens: 3, completionTokens: 5 }, latencyMs: 20, ttftMs: 4, attempts: 1 })).toEqual({});
    const tick = await plugins.call(router, "metrics:tick", { version: 1, at: Date.now(), queue: {}, engines: [], system: { loadAverage1m: 0, freeMemoryBytes: 1, totalMemoryBytes: 2, daemonRssBytes: 1 } });
    expect(tick.alerts?.[0]?.message).toBe("tick seen by fixture v1");
    const snapshot = router.snapshot();
    expect(snapshot).toMatchObject({ name: "fixture-router", version: "1.0.0", path, state: "ready", breaker: "closed", calls: 4, failures: 0, deadlineMs: 50 });
    expect(snapshot.p50Ms).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  test("a non-wasm file, a truncated file and a missing file are refused at load, naming the file, with no process started", async () => {
    const plugins = manager();
    const garbage = join(dir, "garbage.wasm");
    writeFileSync(garbage, "#!/bin/sh\necho not a plugin\n");
    const truncated = join(dir, "truncated.wasm");
    writeFileSync(truncated, (await fixtureBytes("router")).subarray(0, 700));
    for (const [path, says] of [[garbage, "magic bytes"], [truncated, "file ends after"], [join(dir, "absent.wasm"), "Cannot read the plugin file"]] as const) {
      const error = await rejection(plugins.load({ path }));
      expect(error.code).toBe("PLUGIN_FAILED");
      expect(error.message).toContain(path);
      expect(error.message).toContain(says);
      expect(error.hint).toBeTruthy();
    }
    expect(plugins.list()).toEqual([]);
    expect(livePluginHosts()).toEqual([]);
  });

  test("a plugin missing a hook's export is refused at load and its host stopped", async () => {
    const error = await rejection(manager().load({ path: await compileFixture("missing-export") }));
    expect(error.code).toBe("PLUGIN_FAILED");
    expect(error.message).toContain("declares metrics:tick but does not export metrics_tick");
    expect(livePluginHosts()).toEqual([]);
  });

  test("invalid JSON fails the call with the answer quoted; other plugins are unaffected", async () => {
    const plugins = manager();
    const broken = await plugins.load({ path: await compileFixture("invalid-json") });
    const router = await plugins.load({ path: await compileFixture("router") });
    const error = await rejection(plugins.call(broken, "task:route", routeInput()));
    expect(error.message).toBe('Plugin "invalid-json" answered task:route with invalid JSON: "{\\"role\\":\\"ux\\"".');
    expect(broken.stats).toMatchObject({ calls: 1, failures: 1 });
    expect(broken.stats.lastError?.message).toBe(error.message);
    expect((await plugins.call(router, "task:route", routeInput())).role).toBe("ux");
  });

  test("a trap fails that call with the trap's message; the same host serves the next call", async () => {
    const plugins = manager();
    const trap = await plugins.load({ path: await compileFixture("trap") });
    const pid = trap.pid;
    const error = await rejection(plugins.call(trap, "task:route", routeInput("trap")));
    expect(error.message).toBe('Plugin "trap" failed in task_route: trapped: Out of bounds memory access.');
    expect(await plugins.call(trap, "task:route", routeInput("t2"))).toEqual({ role: "ux", reason: "no trap" });
    expect(trap.pid).toBe(pid);
  });

  test("a memory bomb through Extism's kernel is stopped inside its host, which serves on", async () => {
    const plugins = manager();
    const bomb = await plugins.load({ path: await compileFixture("memory-bomb", { maximumMemory: 256 }) });
    const pid = bomb.pid!;
    const error = await rejection(plugins.call(bomb, "task:route", routeInput("kernel")));
    expect(error.message).toBe('Plugin "memory-bomb" failed in task_route: allocated more than 16 MiB through Extism\'s kernel in one call.');
    expect(await plugins.call(bomb, "task:route", routeInput("t2"))).toEqual({ role: "ux", reason: "no bomb" });
    expect(bomb.pid).toBe(pid);
    expect(readRssBytes(pid)!).toBeLessThan(256 * 1_048_576);
  });

  test("a host growing past the memory cap is killed mid-call and restarted; this process is unaffected", async () => {
    const path = await compileFixture("memory-bomb", { maximumMemory: 256 });
    // The cap sits a little above what an idle host uses here; the bomb fills 16 MiB of its own memory and spins.
    const probe = manager();
    const idle = await probe.load({ path });
    const baseline = readRssBytes(idle.pid!)!;
    await probe.close();

    const ownRss = process.memoryUsage.rss();
    const plugins = manager({ maxRssBytes: baseline + 10 * 1_048_576, deadlineMs: 5000, maxDeadlineMs: 5000 });
    const bomb = await plugins.load({ path });
    expect(await plugins.call(bomb, "task:route", routeInput("t1"))).toEqual({ role: "ux", reason: "no bomb" });
    const pid = bomb.pid;
    const started = performance.now();
    const error = await rejection(plugins.call(bomb, "task:route", routeInput("linear")));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error.message).toMatch(/^Plugin "memory-bomb" grew its host process to \d+ MiB in task_route, above the cap of \d+ MiB; the process was killed and restarts\.$/);
    expect(await plugins.call(bomb, "task:route", routeInput("t3"))).toEqual({ role: "ux", reason: "no bomb" });
    expect(bomb.pid).not.toBe(pid);
    expect(process.memoryUsage.rss() - ownRss).toBeLessThan(64 * 1_048_576);
  });

  test("plugins load from bytes under a given name; a second plugin of the same name is refused", async () => {
    const plugins = manager();
    const bytes = await fixtureBytes("router");
    const router = await plugins.load({ name: "router", bytes });
    expect(router).toMatchObject({ name: "router", path: null, version: "1.0.0" });
    const error = await rejection(plugins.load({ name: "router", bytes }));
    expect(error.message).toBe('A plugin named "router" is already loaded.');
    expect(plugins.list().map((plugin) => plugin.name)).toEqual(["router"]);
    expect(livePluginHosts()).toHaveLength(1);
  });

  test("the host runs from the compiled binary too", async () => {
    if (!existsSync(taleBinary)) {
      console.warn(`skipped: ${taleBinary} is missing (\`bun run build\` makes it)`);
      return;
    }
    const copy = join(dir, "router-for-binary.wasm");
    copyFileSync(await compileFixture("router"), copy);
    const plugins = manager({ hostCommand: [taleBinary, "plugin-host"] });
    const router = await plugins.load({ path: copy });
    expect(await plugins.call(router, "task:route", routeInput())).toEqual({ role: "ux", reason: "fixture v1" });
  });
});
