import { afterEach, describe, expect, test } from "bun:test";
import { createHooks } from "hookable";
import { TaleError } from "../../src/errors";
import { createPluginManager, registerPluginHooks, type PluginAlert, type PluginHooks, type PluginManager, type PluginManagerOptions, type RouteHookContext } from "../../src/plugins";
import { fallbackRoute } from "../../src/routing";
import { compileFixture } from "../helpers/compile-plugin";
import { livePluginHosts, pluginHostCommand, routeInput } from "../helpers/plugin-kit";
import { waitFor } from "../helpers/tale";

/** Routing never queues behind a misbehaving plugin: a budget of one deadline per decision, fallback at once when the breaker opens or the host restarts. */
let plugins: PluginManager | undefined;

afterEach(async () => {
  await plugins?.close();
  plugins = undefined;
  expect(livePluginHosts()).toEqual([]);
});

function setup(options: PluginManagerOptions) {
  plugins = createPluginManager({ hostCommand: pluginHostCommand, watch: false, ...options });
  const hooks = createHooks<PluginHooks>();
  registerPluginHooks(hooks, plugins, { "task:route": fallbackRoute });
  const alerts: PluginAlert[] = [];
  plugins.onAlert((alert) => alerts.push(alert));
  const route = async (taskId: string) => {
    const context: RouteHookContext = { input: routeInput(taskId) };
    const started = performance.now();
    await hooks.callHook("task:route", context);
    return { context, ms: performance.now() - started };
  };
  return { plugins, alerts, route };
}

describe("routing budget", () => {
  test("50 concurrent decisions against a looping router each take about one deadline, burst after burst", async () => {
    const { plugins, route } = setup({ deadlineMs: 50, breaker: { failures: 1000, cooldownMs: 60_000 } });
    const loop = await plugins.load({ path: await compileFixture("infinite-loop") });
    const times: number[] = [];
    for (let burst = 0; burst < 3; burst++) {
      const results = await Promise.all(Array.from({ length: 50 }, () => route("spin")));
      for (const { context, ms } of results) {
        expect(context.decidedBy).toBe("fallback");
        times.push(ms);
      }
    }
    times.sort((a, b) => a - b);
    console.log(`150 decisions: p50 ${times[75]!.toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms; ${loop.stats.timeouts} timeouts, ${loop.snapshot().restarts} restarts`);
    // One deadline (50 ms) plus timer slack on a busy 2-core machine; before the budget the last of 50 waited 50 deadlines.
    expect(times.at(-1)!).toBeLessThan(150);
    expect(loop.breaker).toBe("closed");
  });

  test("when the breaker opens, calls already waiting behind the failing call are answered at once", async () => {
    const { plugins } = setup({ deadlineMs: 300, maxDeadlineMs: 300, breaker: { failures: 1, cooldownMs: 60_000 } });
    const loop = await plugins.load({ path: await compileFixture("infinite-loop") });
    const started = performance.now();
    const spin = plugins.call(loop, "task:route", routeInput("spin"));
    const waiting = Array.from({ length: 5 }, (_, index) => plugins.call(loop, "task:route", routeInput(`queued-${index}`)).then(() => performance.now() - started, (error: TaleError) => error));
    await spin.catch(() => {});
    const timedOutAt = performance.now() - started;
    for (const outcome of await Promise.all(waiting)) {
      expect(outcome).toBeInstanceOf(TaleError);
      expect((outcome as TaleError).details?.reason).toBe("breaker-open");
    }
    // Not after the restart the queued calls would otherwise wait for.
    expect(performance.now() - started - timedOutAt).toBeLessThan(50);
    expect(loop.stats).toMatchObject({ timeouts: 1, failures: 1 });
  });

  test("while a host restarts, routing goes to the fallback instead of waiting for it", async () => {
    const { plugins, route } = setup({ deadlineMs: 50 });
    const router = await plugins.load({ path: await compileFixture("router") });
    expect((await route("t1")).context.decidedBy).toBe("plugin:fixture-router");
    process.kill(router.pid!, "SIGKILL");
    await waitFor(() => router.state === "restarting", 2000, "the host's death to be seen");
    const { context, ms } = await route("t2");
    expect(context).toMatchObject({ decidedBy: "fallback", fallbackReason: 'Plugin "fixture-router" is restarting its host process.' });
    expect(ms).toBeLessThan(20);
    await waitFor(() => router.state === "ready", 5000, "the new host");
    expect((await route("t3")).context.decidedBy).toBe("plugin:fixture-router");
    // Turned away while restarting is not the plugin's failure.
    expect(router.stats).toMatchObject({ failures: 0, shortCircuited: 1 });
    expect(router.breaker).toBe("closed");
  });

  test("with breakerFailures set high, repeated timeouts still raise an alert, at most one per interval", async () => {
    const { plugins, alerts, route } = setup({ deadlineMs: 50, breaker: { failures: 1000, cooldownMs: 60_000 }, timeoutAlertIntervalMs: 60_000 });
    const loop = await plugins.load({ path: await compileFixture("infinite-loop") });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await route("spin");
      await waitFor(() => loop.state === "ready" && loop.stats.timeouts === attempt, 5000, "the host to be back after its kill");
    }
    expect(loop.breaker).toBe("closed");
    expect(alerts.map((alert) => alert.kind)).toEqual(["timeouts"]);
    expect(alerts[0]).toMatchObject({ plugin: "infinite-loop", severity: "warning" });
    expect(alerts[0]!.message).toContain('Plugin "infinite-loop" is timing out: last: Plugin "infinite-loop" timed out after 50 ms in task_route');
  });
});
