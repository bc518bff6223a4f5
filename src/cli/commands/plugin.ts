import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { defineCommand } from "citty";
import { colors } from "consola/utils";
import { type SerializedError, TaleError } from "../../errors";
import { hookNames, type HookName } from "../../plugins/hook-schema";
import type { PluginSnapshot, PluginSource } from "../../plugins";
import { useDaemon } from "../context";
import { table } from "../output/task-view";

const newCommand = defineCommand({
  meta: { name: "new", description: "Create an AssemblyScript plugin project in ./<name>" },
  args: {
    name: { type: "positional", required: true, description: "Plugin name (lowercase letters, digits, dashes)" },
    dir: { type: "string", description: "Folder to create it in (default: the current folder)" },
  },
  async run({ args }) {
    const { scaffoldPlugin } = await import("../../plugins/authoring/scaffold");
    const result = scaffoldPlugin({ name: String(args.name), parentDir: resolve(args.dir ?? ".") });
    const shown = relative(process.cwd(), result.dir) || ".";
    process.stdout.write(
      [
        `Created ${shown}/ with ${result.files.join(", ")}`,
        "",
        "Next:",
        `  cd ${shown}`,
        "  npm install",
        "  tale plugin build",
        "  npm test",
        `  tale plugin test build/${args.name}.wasm --hook task:route --input examples/task-route.json`,
        "",
      ].join("\n"),
    );
  },
});

const build = defineCommand({
  meta: { name: "build", description: "Compile a plugin project to build/<name>.wasm" },
  args: {
    dir: { type: "positional", required: false, default: ".", description: "The plugin project (default: the current folder)" },
    json: { type: "boolean", description: "Print JSON" },
  },
  async run({ args }) {
    const { buildPluginProject } = await import("../../plugins/authoring/build-project");
    const built = await buildPluginProject(resolve(String(args.dir)));
    if (args.json) {
      process.stdout.write(`${JSON.stringify(built)}\n`);
      return;
    }
    const shown = relative(process.cwd(), built.outFile);
    process.stdout.write(`Built ${shown} (${(built.bytes / 1024).toFixed(1)} KB) in ${(built.elapsedMs / 1000).toFixed(1)}s\n`);
  },
});

const test = defineCommand({
  meta: { name: "test", description: "Call one hook of a plugin, as the daemon would, and print its answer and time" },
  args: {
    plugin: { type: "positional", required: true, description: "A .wasm file, or the name of a built-in plugin (router)" },
    hook: { type: "string", default: "task:route", description: `Hook to call: ${hookNames.join(", ")}` },
    input: { type: "string", required: true, description: "JSON file with the hook's input" },
    config: { type: "string", description: "Plugin config as a JSON object, e.g. '{\"longPromptTokens\":200}'" },
    json: { type: "boolean", description: "Print JSON" },
  },
  async run({ args }) {
    // Arguments are checked in the order they are given, so the first mistake is the one reported.
    const source = await pluginSource(String(args.plugin));
    const hook = parseHook(args.hook);
    const input = readJsonFile(args.input);
    const config = args.config ? parseConfig(args.config) : {};
    const { runPluginOnce } = await import("../../plugins/authoring/run-once");
    const result = await runPluginOnce({ plugin: { ...source, config }, hook, input });
    if (args.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    process.stdout.write(`${JSON.stringify(result.output, null, 2)}\n`);
    process.stdout.write(colors.dim(`${result.plugin.name} ${result.plugin.version} · ${hook} · ${formatMs(result.elapsedMs)} (deadline ${result.deadlineMs} ms)\n`));
  },
});

/** An entry of GET /v1/plugins; `source` is optional there, the file path or "embedded" stands in. */
type PluginListEntry = PluginSnapshot & { source?: string };

const list = defineCommand({
  meta: { name: "list", description: "Show the daemon's plugins: hooks, calls, failures and breaker state" },
  args: { json: { type: "boolean", description: "Print JSON" } },
  async run({ args }) {
    const { api } = await useDaemon();
    const report = await api<{ plugins: PluginListEntry[]; failures: { path: string; error: SerializedError }[] }>("/v1/plugins");
    const { plugins, failures } = report;
    if (args.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return;
    }
    for (const failure of failures) process.stdout.write(`${colors.red(`not loaded: ${failure.path}: ${failure.error.message} [${failure.error.code}]`)}\n`);
    if (!plugins.length) {
      process.stdout.write("No plugins loaded: tale decides with its built-in policies.\n");
      return;
    }
    const rows = plugins.map((plugin) => [
      plugin.name,
      plugin.version,
      plugin.hooks.join(","),
      plugin.state,
      breakerColor(plugin.breaker)(plugin.breaker),
      String(plugin.calls),
      String(plugin.failures),
      String(plugin.timeouts),
      plugin.p50Ms === null ? "-" : formatMs(plugin.p50Ms),
      plugin.source ?? plugin.path ?? "embedded",
    ]);
    const lines = [table(["NAME", "VERSION", "HOOKS", "STATE", "BREAKER", "CALLS", "FAILURES", "TIMEOUTS", "P50", "SOURCE"], rows)];
    for (const plugin of plugins) {
      if (plugin.lastError) lines.push(colors.yellow(`  ${plugin.name}: last error ${new Date(plugin.lastError.at).toLocaleTimeString()}: ${plugin.lastError.message}`));
      if (plugin.reloadError) lines.push(colors.yellow(`  ${plugin.name}: reload failed, version ${plugin.version} keeps serving: ${plugin.reloadError.message}`));
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  },
});

export default defineCommand({
  meta: { name: "plugin", description: "Write, build, try and inspect WebAssembly plugins" },
  subCommands: { new: newCommand, build, test, list },
});

function parseHook(text: string): HookName {
  if ((hookNames as readonly string[]).includes(text)) return text as HookName;
  throw new TaleError("BAD_REQUEST", `Unknown hook "${text}".`, { hint: `Hooks: ${hookNames.join(", ")}.` });
}

/** A path that exists (or looks like one) is a file; anything else names a plugin built into tale. */
async function pluginSource(plugin: string): Promise<PluginSource> {
  const path = resolve(plugin);
  if (await Bun.file(path).exists()) return { path };
  if (plugin.endsWith(".wasm") || plugin.includes("/")) {
    throw new TaleError("NOT_FOUND", `${plugin} does not exist.`, { hint: "Build it first with `tale plugin build`, or check the path." });
  }
  const { embeddedPlugin } = await import("../../plugins/embedded");
  return { name: plugin, bytes: await embeddedPlugin(plugin) };
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(path), "utf8");
  } catch {
    throw new TaleError("NOT_FOUND", `Cannot read ${path}.`, { hint: "Pass a JSON file with the hook's input; `tale plugin new` writes one to examples/." });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TaleError("BAD_REQUEST", `${path} is not valid JSON: ${(error as Error).message}`, { hint: "Fix the file; docs/plugins.md shows each hook's input." });
  }
}

function parseConfig(text: string): Record<string, string | number | boolean> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!value || typeof value !== "object" || Array.isArray(value) || Object.values(value).some((entry) => !["string", "number", "boolean"].includes(typeof entry))) {
    throw new TaleError("BAD_REQUEST", "--config must be a JSON object of strings, numbers and booleans.", { hint: `For example: --config '{"longPromptTokens":200}'` });
  }
  return value as Record<string, string | number | boolean>;
}

function breakerColor(state: string): (text: string) => string {
  if (state === "closed") return colors.green;
  if (state === "open") return colors.red;
  return colors.yellow;
}

function formatMs(ms: number): string {
  return ms < 1 ? `${Math.round(ms * 1000)} µs` : `${ms.toFixed(2)} ms`;
}
