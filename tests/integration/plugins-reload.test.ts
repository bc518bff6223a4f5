import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPluginManager, type LoadedPlugin, type PluginAlert, type PluginManager } from "../../src/plugins";
import { compileFixture } from "../helpers/compile-plugin";
import { livePluginHosts, pluginHostCommand, routeInput } from "../helpers/plugin-kit";

const dir = mkdtempSync(join(tmpdir(), "tale-plugin-reload-"));
let plugins: PluginManager | undefined;

afterEach(async () => {
  await plugins?.close();
  plugins = undefined;
  expect(livePluginHosts()).toEqual([]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Replaces the file the way editors and build tools do: write beside it, then rename over it. */
function replaceFile(target: string, source: string): void {
  const staging = `${target}.tmp`;
  copyFileSync(source, staging);
  renameSync(staging, target);
}

async function until(what: string, condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

describe("plugin hot reload", () => {
  test("a replaced file is reloaded and serves the next call; a broken one is refused and the old version serves on", async () => {
    const v1 = await compileFixture("router");
    const v2 = await compileFixture("router", { constants: { FIXTURE_VERSION: 2 } });
    const path = join(dir, "router.wasm");
    copyFileSync(v1, path);
    plugins = createPluginManager({ hostCommand: pluginHostCommand, watchDebounceMs: 50 });
    const alerts: PluginAlert[] = [];
    plugins.onAlert((alert) => alerts.push(alert));
    const router: LoadedPlugin = await plugins.load({ path });
    expect((await plugins.call(router, "task:route", routeInput())).reason).toBe("fixture v1");
    const firstPid = router.pid;

    replaceFile(path, v2);
    await until("the v2 reload", () => router.version === "2.0.0");
    expect((await plugins.call(router, "task:route", routeInput())).reason).toBe("fixture v2");
    expect(router.pid).not.toBe(firstPid);
    expect(router.snapshot()).toMatchObject({ reloads: 1, reloadError: null, breaker: "closed" });
    expect(alerts.at(-1)).toMatchObject({ kind: "reloaded", severity: "info" });
    expect(livePluginHosts()).toEqual([router.pid!]);

    // Written in place and cut short, as a copy in progress would be.
    writeFileSync(path, "\0asm garbage");
    await until("the failed reload", () => router.snapshot().reloadError !== null);
    const failure = router.snapshot().reloadError!;
    expect(failure.code).toBe("PLUGIN_FAILED");
    expect(failure.message).toContain(path);
    expect(alerts.at(-1)).toMatchObject({ kind: "reload-failed", severity: "warning" });
    expect(alerts.at(-1)!.message).toContain("version 2.0.0 keeps serving");
    expect(router.version).toBe("2.0.0");
    expect((await plugins.call(router, "task:route", routeInput())).reason).toBe("fixture v2");

    replaceFile(path, v1);
    await until("the v1 reload", () => router.version === "1.0.0");
    expect(router.snapshot()).toMatchObject({ reloads: 2, reloadError: null });
    expect((await plugins.call(router, "task:route", routeInput())).reason).toBe("fixture v1");
  });

  test("a reload serves new calls at once while calls already queued finish on the old version", async () => {
    const path = join(dir, "busy-router.wasm");
    copyFileSync(await compileFixture("router"), path);
    plugins = createPluginManager({ hostCommand: pluginHostCommand, watch: false });
    const router = await plugins.load({ path });
    copyFileSync(await compileFixture("router", { constants: { FIXTURE_VERSION: 2 } }), path);
    let finished = 0;
    const queued = Array.from({ length: 20_000 }, () => plugins!.call(router, "task:route", routeInput()).finally(() => finished++));
    await plugins.reload(router);
    expect((await plugins.call(router, "task:route", routeInput())).reason).toBe("fixture v2");
    expect(finished).toBeLessThan(queued.length);
    const outputs = await Promise.all(queued);
    expect(outputs.every((output) => output.reason === "fixture v1")).toBe(true);
    await until("the old host to exit", () => livePluginHosts().length === 1);
  });
});
