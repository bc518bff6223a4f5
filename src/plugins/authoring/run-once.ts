import { TaleError } from "../../errors";
import type { HookIO, HookName } from "../hook-schema";
import { createPluginManager, type PluginSource } from "../plugin-manager";

/**
 * One hook call for `tale plugin test`, through the same plugin manager the
 * daemon uses: admission check, a `tale plugin-host` child, the manifest
 * check, the deadline (a runaway call is killed and reported, not waited
 * on) and the output check. The time includes the IPC round trip, as a
 * routing decision in the daemon does.
 */
export interface RunOnceOptions<H extends HookName = HookName> {
  /** A file ({ path }) or embedded bytes ({ bytes, name }). */
  plugin: PluginSource;
  hook: H;
  input: unknown;
}

export interface RunOnceResult<H extends HookName = HookName> {
  plugin: { name: string; version: string; hooks: HookName[] };
  hook: H;
  output: HookIO[H]["output"];
  elapsedMs: number;
  deadlineMs: number;
}

export async function runPluginOnce<H extends HookName>(options: RunOnceOptions<H>): Promise<RunOnceResult<H>> {
  const manager = createPluginManager({ watch: false });
  try {
    const plugin = await manager.load(options.plugin);
    if (!plugin.hooks.includes(options.hook)) {
      throw new TaleError("BAD_REQUEST", `${plugin.name} does not handle ${options.hook}; its manifest lists ${plugin.hooks.join(", ")}.`, {
        hint: `Test one of the hooks it lists, or add "${options.hook}" to the hooks in its tale_manifest.`,
      });
    }
    const started = performance.now();
    // The input file is the author's to get right; a wrong shape is for the plugin to refuse, as in the daemon.
    const output = await manager.call(plugin, options.hook, options.input as HookIO[H]["input"]);
    const elapsedMs = performance.now() - started;
    return { plugin: { name: plugin.name, version: plugin.version, hooks: [...plugin.hooks] }, hook: options.hook, output, elapsedMs, deadlineMs: plugin.deadlineMs };
  } finally {
    await manager.close();
  }
}
