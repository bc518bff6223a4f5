import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TaleError } from "../../src/errors";
import { createPluginManager, type PluginManager } from "../../src/plugins";
import { compileFixture } from "../helpers/compile-plugin";
import { livePluginHosts, pluginHostCommand, routeInput } from "../helpers/plugin-kit";
import { isRunning } from "../helpers/supervision";

const dir = mkdtempSync(join(tmpdir(), "tale-plugin-deadline-"));
let plugins: PluginManager | undefined;

afterEach(async () => {
  await plugins?.close();
  plugins = undefined;
  expect(livePluginHosts()).toEqual([]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The worst delay a 5 ms timer saw while `work` ran: how blocked this event loop was. */
async function maxTimerLag<T>(work: Promise<T>): Promise<{ result: PromiseSettledResult<T>; lagMs: number }> {
  let lagMs = 0;
  let expected = performance.now() + 5;
  const timer = setInterval(() => {
    const now = performance.now();
    lagMs = Math.max(lagMs, now - expected);
    expected = now + 5;
  }, 5);
  const [result] = await Promise.allSettled([work]);
  clearInterval(timer);
  return { result, lagMs };
}

describe("plugin deadlines", () => {
  test("an infinite loop is stopped at its deadline while other plugins and this event loop keep going", async () => {
    plugins = createPluginManager({ hostCommand: pluginHostCommand, watch: false, deadlineMs: 50 });
    const loop = await plugins.load({ path: await compileFixture("infinite-loop") });
    const router = await plugins.load({ path: await compileFixture("router") });
    const loopPid = loop.pid!;

    let routed = 0;
    let spinning = true;
    const started = performance.now();
    const spin = plugins.call(loop, "task:route", routeInput("spin")).finally(() => (spinning = false));
    const others = (async () => {
      while (spinning) {
        await plugins!.call(router, "task:route", routeInput());
        routed += 1;
      }
    })();
    const { result, lagMs } = await maxTimerLag(spin);
    const stoppedAfter = performance.now() - started;
    await others;

    expect(result.status).toBe("rejected");
    const error = (result as PromiseRejectedResult).reason as TaleError;
    expect(error.code).toBe("PLUGIN_FAILED");
    expect(error.message).toBe('Plugin "infinite-loop" timed out after 50 ms in task_route; its host process was killed and restarts.');
    expect(stoppedAfter).toBeGreaterThanOrEqual(50);
    expect(stoppedAfter).toBeLessThan(400);
    // The router answered all along, and timers here were never held up by the runaway plugin.
    expect(routed).toBeGreaterThan(10);
    expect(lagMs).toBeLessThan(40);
    console.log(`runaway stopped after ${stoppedAfter.toFixed(0)} ms; ${routed} routing calls meanwhile; worst timer lag ${lagMs.toFixed(1)} ms`);

    // The same plugin serves again from a new host process.
    expect(await plugins.call(loop, "task:route", routeInput("after"))).toEqual({ role: "ux", reason: "did not spin" });
    expect(loop.pid).not.toBe(loopPid);
    expect(isRunning(loopPid)).toBe(false);
    const snapshot = loop.snapshot();
    expect(snapshot).toMatchObject({ restarts: 1, timeouts: 1, failures: 1, calls: 2, state: "ready" });
    expect(snapshot.lastRestartMs).toBeGreaterThan(0);
    console.log(`host restart after the kill: ${snapshot.lastRestartMs} ms`);
  });

  test("calls queued behind a runaway call run on the restarted host", async () => {
    plugins = createPluginManager({ hostCommand: pluginHostCommand, watch: false, deadlineMs: 50 });
    const loop = await plugins.load({ path: await compileFixture("infinite-loop") });
    const results = await Promise.allSettled([
      plugins.call(loop, "task:route", routeInput("spin")),
      ...Array.from({ length: 5 }, (_, index) => plugins!.call(loop, "task:route", routeInput(`queued-${index}`))),
    ]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "fulfilled", "fulfilled", "fulfilled", "fulfilled", "fulfilled"]);
    expect(loop.snapshot()).toMatchObject({ restarts: 1, timeouts: 1 });
  });

  test("a manifest may ask for a longer deadline, up to the configured cap", async () => {
    const path = await compileFixture("infinite-loop", { constants: { FIXTURE_TIMEOUT_MS: 120 } });
    plugins = createPluginManager({ hostCommand: pluginHostCommand, watch: false, deadlineMs: 30, maxDeadlineMs: 80 });
    const capped = await plugins.load({ path });
    expect(capped.deadlineMs).toBe(80);
    const started = performance.now();
    const error = await plugins.call(capped, "task:route", routeInput("spin")).catch((caught: TaleError) => caught);
    expect((error as TaleError).message).toContain("timed out after 80 ms");
    expect(performance.now() - started).toBeGreaterThanOrEqual(80);
    await plugins.close();

    plugins = createPluginManager({ hostCommand: pluginHostCommand, watch: false, deadlineMs: 30, maxDeadlineMs: 1000 });
    expect((await plugins.load({ path })).deadlineMs).toBe(120);
  });

  test("a plugin that never finishes loading is stopped at the start timeout", async () => {
    plugins = createPluginManager({ hostCommand: pluginHostCommand, watch: false, startTimeoutMs: 1000 });
    const started = performance.now();
    const error = await plugins.load({ path: await compileFixture("infinite-loop", { constants: { FIXTURE_SPIN_AT_START: 1 } }) }).catch((caught: TaleError) => caught);
    expect(error).toBeInstanceOf(TaleError);
    expect((error as TaleError).message).toContain("could not be loaded: it did not load within 1000 ms");
    expect(performance.now() - started).toBeLessThan(3000);
    expect(plugins.list()).toEqual([]);
  });

  test("a host stuck in a loop dies with its parent, even though it never returns to its event loop", async () => {
    // A stand-in daemon: loads the looping plugin with a long deadline, starts the loop, and is SIGKILLed.
    const script = join(dir, "daemon.ts");
    writeFileSync(
      script,
      `import { createPluginManager } from ${JSON.stringify(resolve(import.meta.dir, "../../src/plugins"))};
const plugins = createPluginManager({ hostCommand: ${JSON.stringify(pluginHostCommand)}, watch: false, deadlineMs: 60000, maxDeadlineMs: 60000 });
const loop = await plugins.load({ path: ${JSON.stringify(await compileFixture("infinite-loop"))} });
plugins.call(loop, "task:route", { version: 1, task: { id: "spin", kind: "prompt" } } as any).catch(() => {});
console.log(JSON.stringify({ host: loop.pid }));
await Bun.sleep(60000);
`,
    );
    const daemon = Bun.spawn([process.execPath, script], { stdout: "pipe", stderr: "inherit", stdin: "ignore" });
    try {
      const reader = daemon.stdout.getReader();
      const { value } = await reader.read();
      const host = JSON.parse(new TextDecoder().decode(value)).host as number;
      await Bun.sleep(100);
      expect(isRunning(host)).toBe(true);
      daemon.kill("SIGKILL");
      await daemon.exited;
      const deadline = performance.now() + 3000;
      while (isRunning(host) && performance.now() < deadline) await Bun.sleep(20);
      expect(isRunning(host)).toBe(false);
    } finally {
      daemon.kill("SIGKILL");
    }
  });
});
