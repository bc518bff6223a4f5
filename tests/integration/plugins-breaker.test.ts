import { afterEach, describe, expect, test } from "bun:test";
import { createHooks } from "hookable";
import { createPluginManager, registerPluginHooks, type MetricsTickHookContext, type PluginAlert, type PluginHooks, type PluginManager, type RouteHookContext } from "../../src/plugins";
import { fallbackRoute } from "../../src/routing";
import { compileFixture, fixtureBytes } from "../helpers/compile-plugin";
import { livePluginHosts, pluginHostCommand, routeInput } from "../helpers/plugin-kit";
import { waitFor } from "../helpers/tale";

let plugins: PluginManager | undefined;

afterEach(async () => {
  await plugins?.close();
  plugins = undefined;
  expect(livePluginHosts()).toEqual([]);
});

function setup(cooldownMs = 250) {
  plugins = createPluginManager({ hostCommand: pluginHostCommand, watch: false, breaker: { failures: 3, cooldownMs } });
  const hooks = createHooks<PluginHooks>();
  registerPluginHooks(hooks, plugins, { "task:route": fallbackRoute });
  const alerts: PluginAlert[] = [];
  plugins.onAlert((alert) => alerts.push(alert));
  const route = async (taskId: string, promptTokens = 12) => {
    const context: RouteHookContext = { input: routeInput(taskId, promptTokens) };
    await hooks.callHook("task:route", context);
    return context;
  };
  return { plugins, hooks, alerts, route };
}

describe("plugin circuit breaker and hooks", () => {
  test("with no routing plugin the fallback decides and says so", async () => {
    const { route } = setup();
    const context = await route("t1", 400);
    expect(context).toMatchObject({ decidedBy: "fallback", output: { role: "task", reason: "long prompt" }, fallbackReason: "no plugin handles task:route" });
  });

  test("opens after N failures in a row, lets the fallback answer, and closes after a good trial call", async () => {
    const { plugins, alerts, route } = setup();
    const router = await plugins.load({ path: await compileFixture("router") });
    expect(await route("t1")).toMatchObject({ decidedBy: "plugin:fixture-router", output: { role: "ux", reason: "fixture v1" } });

    for (let attempt = 1; attempt <= 3; attempt++) {
      const failed = await route("fail");
      expect(failed.decidedBy).toBe("fallback");
      expect(failed.fallbackReason).toBe('Plugin "fixture-router" failed in task_route: asked to fail.');
      expect(failed.output).toEqual(fallbackRoute(failed.input));
    }
    expect(router.breaker).toBe("open");
    expect(alerts.map((alert) => alert.kind)).toEqual(["breaker-open"]);
    expect(alerts[0]).toMatchObject({ plugin: "fixture-router", severity: "warning" });
    expect(alerts[0]!.message).toContain("switched off after 3 failures in a row (last: Plugin \"fixture-router\" failed in task_route: asked to fail.)");

    // Open: a good request never reaches the plugin.
    const shortCircuited = await route("t2");
    expect(shortCircuited.decidedBy).toBe("fallback");
    expect(shortCircuited.fallbackReason).toContain("is switched off after 3 failures in a row");
    expect(router.stats).toMatchObject({ calls: 4, failures: 3, shortCircuited: 1 });

    await Bun.sleep(300);
    expect(await route("t3")).toMatchObject({ decidedBy: "plugin:fixture-router" });
    expect(router.breaker).toBe("closed");
    expect(alerts.map((alert) => alert.kind)).toEqual(["breaker-open", "breaker-closed"]);
  });

  test("a failed trial call opens the breaker for another cool-down", async () => {
    const { plugins, route } = setup();
    const router = await plugins.load({ path: await compileFixture("router") });
    for (let attempt = 0; attempt < 3; attempt++) await route("fail");
    await Bun.sleep(300);
    expect((await route("fail")).decidedBy).toBe("fallback");
    expect(router.breaker).toBe("open");
    expect((await route("t1")).fallbackReason).toContain("switched off");
    expect(router.stats.calls).toBe(4);
  });

  test("timeouts count as failures: a runaway plugin is switched off and stops costing a restart per request", async () => {
    const { plugins, route } = setup(60_000);
    const loop = await plugins.load({ path: await compileFixture("infinite-loop") });
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await route("spin")).decidedBy).toBe("fallback");
      // Routing does not wait for a restarting host (the fallback answers meanwhile), so each spin needs a host to reach.
      await waitFor(() => loop.state === "ready" && loop.stats.timeouts === attempt + 1, 5000, "the host to be back after its kill");
    }
    expect(loop.breaker).toBe("open");
    const started = performance.now();
    expect((await route("spin")).decidedBy).toBe("fallback");
    expect(performance.now() - started).toBeLessThan(20);
    expect(loop.stats).toMatchObject({ timeouts: 3, shortCircuited: 1 });
  });

  test("the most recently loaded router decides; unloading it hands back to the one before", async () => {
    const { plugins, route } = setup();
    await plugins.load({ name: "default-router", bytes: await fixtureBytes("router") });
    await plugins.load({ name: "user-router", bytes: await fixtureBytes("router", { constants: { FIXTURE_VERSION: 2 } }) });
    expect(await route("t1")).toMatchObject({ decidedBy: "plugin:user-router", output: { reason: "fixture v2" } });
    await plugins.unload("user-router");
    expect(await route("t1")).toMatchObject({ decidedBy: "plugin:default-router", output: { reason: "fixture v1" } });
  });

  test("metrics:tick collects every plugin's alerts; task:completed reaches every plugin without waiting", async () => {
    const { plugins, hooks } = setup();
    const first = await plugins.load({ name: "first", bytes: await fixtureBytes("router") });
    const second = await plugins.load({ name: "second", bytes: await fixtureBytes("router", { constants: { FIXTURE_VERSION: 2 } }) });
    await plugins.load({ path: await compileFixture("trap") });
    const tick: MetricsTickHookContext = {
      input: { version: 1, at: Date.now(), queue: {}, engines: [], system: { loadAverage1m: 0.1, freeMemoryBytes: 1, totalMemoryBytes: 2, daemonRssBytes: 1 } },
      alerts: [],
    };
    await hooks.callHook("metrics:tick", tick);
    expect(tick.alerts).toEqual([
      { severity: "info", message: "tick seen by fixture v1", source: "plugin:first" },
      { severity: "info", message: "tick seen by fixture v2", source: "plugin:second" },
    ]);

    const returned = hooks.callHook("task:completed", {
      input: { version: 1, task: { id: "t1", kind: "prompt", role: "ux", engine: "ux-0", model: "m" }, outcome: "succeeded", errorCode: null, usage: { promptTokens: 3, completionTokens: 4 }, latencyMs: 10, ttftMs: 2, attempts: 1 },
    });
    await returned;
    expect(first.stats.calls).toBe(1);
    const deadline = performance.now() + 2000;
    while ((first.stats.calls < 2 || second.stats.calls < 2) && performance.now() < deadline) await Bun.sleep(5);
    expect(first.stats).toMatchObject({ calls: 2, failures: 0 });
    expect(second.stats).toMatchObject({ calls: 2, failures: 0 });
  });
});
