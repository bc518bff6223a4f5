import { afterEach, describe, expect, test } from "bun:test";
import { createHooks } from "hookable";
import { TaleError } from "../../src/errors";
import { createPluginManager, registerPluginHooks, type PluginHooks, type PluginManager, type RouteHookContext } from "../../src/plugins";
import { fallbackRoute } from "../../src/routing";
import { compileFixture } from "../helpers/compile-plugin";
import { livePluginHosts, pluginHostCommand, routeInput } from "../helpers/plugin-kit";
import { waitFor } from "../helpers/tale";

/**
 * The deadline counts the CPU a call used, not the wall time it waited: a
 * host that gets no core for a while (here: SIGSTOP, the extreme of a busy
 * 2-core machine) is not killed for it, while routing still falls back after
 * one deadline and a host stopped for good still ends at the wall cap.
 */
let plugins: PluginManager | undefined;
const stopped = new Set<number>();

afterEach(async () => {
  for (const pid of stopped) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // Already gone.
    }
  }
  stopped.clear();
  await plugins?.close();
  plugins = undefined;
  expect(livePluginHosts()).toEqual([]);
});

function pause(pid: number): void {
  stopped.add(pid);
  process.kill(pid, "SIGSTOP");
}

describe("CPU-time deadline", () => {
  test("a healthy plugin whose host gets no CPU past its deadline is not killed; routing falls back after one deadline", async () => {
    plugins = createPluginManager({ hostCommand: pluginHostCommand, watch: false, deadlineMs: 50 });
    const hooks = createHooks<PluginHooks>();
    registerPluginHooks(hooks, plugins, { "task:route": fallbackRoute });
    const router = await plugins.load({ path: await compileFixture("router") });
    const pid = router.pid!;
    await plugins.call(router, "task:route", routeInput("warm"));

    pause(pid);
    const direct = plugins.call(router, "task:route", routeInput("direct"));
    const context: RouteHookContext = { input: routeInput("routed") };
    const started = performance.now();
    await hooks.callHook("task:route", context);
    const decidedAfter = performance.now() - started;
    expect(context).toMatchObject({ decidedBy: "fallback", fallbackReason: 'Plugin "fixture-router" did not decide within 50 ms.' });
    expect(decidedAfter).toBeLessThan(150);

    await Bun.sleep(250);
    process.kill(pid, "SIGCONT");
    // Five deadlines of wall time later, the same host answers.
    expect(await direct).toEqual({ role: "ux", reason: "fixture v1" });
    await waitFor(() => router.stats.calls === 3, 2000, "the abandoned routing call to finish");
    expect(router.pid).toBe(pid);
    expect(router.snapshot()).toMatchObject({ restarts: 0, timeouts: 0, failures: 0 });
  });

  test("a host that never gets to run again is stopped at the wall cap of ten deadlines", async () => {
    plugins = createPluginManager({ hostCommand: pluginHostCommand, watch: false, deadlineMs: 50 });
    const router = await plugins.load({ path: await compileFixture("router") });
    const pid = router.pid!;
    pause(pid);
    const started = performance.now();
    const error = await plugins.call(router, "task:route", routeInput("t1")).catch((caught: TaleError) => caught);
    const after = performance.now() - started;
    expect(error).toBeInstanceOf(TaleError);
    expect((error as TaleError).message).toMatch(/^Plugin "fixture-router" did not answer within \d+ ms in task_route and used only \d+ ms of CPU; its host process was starved or stopped, so it was killed and restarts\.$/);
    expect((error as TaleError).details).toMatchObject({ reason: "timeout", deadlineMs: 50 });
    expect(after).toBeGreaterThanOrEqual(500);
    expect(after).toBeLessThan(1500);
    await waitFor(() => router.state === "ready", 5000, "the new host");
    expect(router.pid).not.toBe(pid);
  });
});
