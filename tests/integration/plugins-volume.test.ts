import { afterEach, describe, expect, test } from "bun:test";
import createPlugin from "@extism/extism";
import { createPluginManager, type PluginManager } from "../../src/plugins";
import { fixtureBytes } from "../helpers/compile-plugin";
import { livePluginHosts, pluginHostCommand, routeInput } from "../helpers/plugin-kit";

let plugins: PluginManager | undefined;

afterEach(async () => {
  await plugins?.close();
  plugins = undefined;
  expect(livePluginHosts()).toEqual([]);
});

describe("Extism 1.0.3 block-index bug", () => {
  test("is real: a plugin used directly, never reset, starts failing long before 100,000 calls", async () => {
    const plugin = await createPlugin({ wasm: [{ data: await fixtureBytes("router") }] }, { useWasi: false, runInWorker: false });
    const input = JSON.stringify(routeInput());
    let failedAt: number | undefined;
    let message = "";
    for (let call = 1; call <= 40_000 && failedAt === undefined; call++) {
      try {
        await plugin.call("task_route", input);
      } catch (error) {
        failedAt = call;
        message = (error as Error).message;
      }
    }
    expect(failedAt).toBeDefined();
    expect(message).toContain("cannot assign to this block");
    console.log(`without resets the router fixture failed at call ${failedAt}: ${message}`);
  });

  test("100,000 calls through one plugin host all succeed", async () => {
    plugins = createPluginManager({ hostCommand: pluginHostCommand, watch: false });
    const router = await plugins.load({ bytes: await fixtureBytes("router") });
    const total = 100_000;
    const batch = 1000;
    const started = performance.now();
    let ux = 0;
    for (let sent = 0; sent < total; sent += batch) {
      const outputs = await Promise.all(Array.from({ length: batch }, (_, index) => plugins!.call(router, "task:route", routeInput(`t${sent + index}`, 12))));
      for (const output of outputs) if (output.role === "ux" && output.reason === "fixture v1") ux += 1;
    }
    const seconds = (performance.now() - started) / 1000;
    expect(ux).toBe(total);
    expect(router.snapshot()).toMatchObject({ calls: total, failures: 0, restarts: 0, breaker: "closed" });
    console.log(`100,000 task:route calls in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} calls/s, p50 ${router.stats.p50Ms} ms)`);
  }, 60_000);
});
