import { afterEach, describe, expect, test } from "bun:test";
import { copyFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileFixture } from "../helpers/compile-plugin";
import { createTaleHome, waitFor, type TaleHome } from "../helpers/tale";

/** Routing plugins inside a real daemon: the built-in router, a user's replacement, hot reload, and misbehaviour. */
let tale: TaleHome | undefined;
afterEach(async () => {
  await tale?.cleanup();
  tale = undefined;
});

function homeWithPlugins(plugins: object[], runtime: object = {}): TaleHome {
  tale = createTaleHome();
  writeFileSync(join(tale.home, "config.json"), JSON.stringify({ plugins, pluginRuntime: runtime }));
  return tale;
}

describe("plugins in the daemon", () => {
  test("tasks are routed by the built-in router plugin", async () => {
    tale = createTaleHome();
    const chat = await tale.json(["submit", "hello there", "--max-tokens", "4"]);
    expect(chat).toMatchObject({ status: "succeeded", role: "ux", routed_by: "plugin:router" });
    const work = await tale.json(["submit", "write a python function that parses csv", "--max-tokens", "4"]);
    expect(work).toMatchObject({ status: "succeeded", role: "task", routed_by: "plugin:router" });
    // The router's reason is kept with the task, in its JSON and in tale show.
    expect(chat.route_reason).toBe("conversation");
    expect(work.route_reason).toBe("code");
    const shown = await tale.run(["show", work.id]);
    expect(shown.stdout).toContain("plugin:router: code");
    const explicit = await tale.json(["submit", "hello", "--role", "task", "--max-tokens", "2"]);
    expect(explicit).toMatchObject({ routed_by: "explicit", route_reason: null });
    const { plugins, failures } = await tale.json(["plugin", "list"]);
    expect(failures).toEqual([]);
    expect(plugins.find((plugin: { name: string }) => plugin.name === "router")).toMatchObject({ breaker: "closed", state: "ready" });
  });

  test("a user's router from config replaces the built-in one and is hot-reloaded when its file changes", async () => {
    const t = homeWithPlugins([{ path: "./custom-router.wasm" }]);
    const file = join(t.home, "custom-router.wasm");
    copyFileSync(await compileFixture("router", { constants: { FIXTURE_VERSION: 1 } }), file);
    const first = await t.json(["submit", "hello there", "--max-tokens", "3"]);
    expect(first.routed_by).toBe("plugin:fixture-router");

    // Editors and build tools replace a file by renaming a new one over it.
    copyFileSync(await compileFixture("router", { constants: { FIXTURE_VERSION: 2 } }), `${file}.new`);
    renameSync(`${file}.new`, file);
    await waitFor(async () => {
      const { plugins } = await t.json(["plugin", "list"]);
      return plugins.some((plugin: { name: string; version: string }) => plugin.name === "fixture-router" && plugin.version === "2.0.0");
    }, 10_000, "the new build to be loaded");
    const second = await t.json(["submit", "hello again", "--max-tokens", "3"]);
    expect(second).toMatchObject({ status: "succeeded", routed_by: "plugin:fixture-router" });
  });

  test("a router stuck in an infinite loop is stopped at its deadline, its breaker opens, and tasks keep flowing", async () => {
    const t = homeWithPlugins([{ path: await compileFixture("infinite-loop") }], { callTimeoutMs: 50, breakerFailures: 2, breakerCooldownMs: 60_000 });
    const healthy = await t.json(["submit", "hello", "--max-tokens", "3"]);
    expect(healthy.routed_by).toBe("plugin:infinite-loop");

    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      const task = await t.json(["submit", "hello", "--max-tokens", "7"]);
      expect(task).toMatchObject({ status: "succeeded", routed_by: "fallback" });
      // One deadline plus an ordinary task, not a frozen daemon.
      expect(performance.now() - started).toBeLessThan(3_000);
      // Routing does not wait for a restarting host, so the next spin needs the new one up to reach the plugin at all.
      if (round < 1) await waitFor(async () => (await t.json(["plugin", "list"])).plugins.some((entry: { name: string; state: string }) => entry.name === "infinite-loop" && entry.state === "ready"), 10_000, "the host to be back");
    }
    // The fallback answered each task at one deadline; the plugin's own failure is settled when its host is
    // killed, which on a busy machine can come later (the kill waits for the call's CPU time or the wall cap).
    await waitFor(async () => {
      const status = await t.json(["status"]);
      return status.plugins.loaded.find((entry: { name: string }) => entry.name === "infinite-loop")?.breaker === "open";
    }, 5_000, "the breaker to open");
    const human = await t.run(["status"]);
    expect(human.stdout).toContain("open (fallback answers)");
    // While the breaker is open, even harmless requests are routed by the fallback without touching the plugin.
    const after = await t.json(["submit", "hello", "--max-tokens", "3"]);
    expect(after).toMatchObject({ status: "succeeded", routed_by: "fallback" });
  });

  test("broken plugin files are reported and skipped while the daemon serves", async () => {
    const t = homeWithPlugins([{ path: "./not-wasm.wasm" }, { path: "./truncated.wasm" }]);
    writeFileSync(join(t.home, "not-wasm.wasm"), "this is a text file, not a WebAssembly module");
    const good = await Bun.file(await compileFixture("router")).bytes();
    writeFileSync(join(t.home, "truncated.wasm"), good.subarray(0, Math.floor(good.length / 2)));
    const task = await t.json(["submit", "hello there", "--max-tokens", "3"]);
    expect(task).toMatchObject({ status: "succeeded", routed_by: "plugin:router" });
    const status = await t.json(["status"]);
    expect(status.plugins.failed.map((failure: { path: string }) => failure.path)).toEqual([join(t.home, "not-wasm.wasm"), join(t.home, "truncated.wasm")]);
    for (const failure of status.plugins.failed) {
      expect(failure.error.code).toBe("PLUGIN_FAILED");
      expect(failure.error.message.length).toBeGreaterThan(10);
    }
    const human = await t.run(["status"]);
    expect(human.stdout).toContain("not loaded:");
  });
});
