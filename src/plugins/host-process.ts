import createPlugin, { type Plugin } from "@extism/extism";
import { watchLifeline } from "../engine/lifeline";
import { TaleError } from "../errors";
import { createKernelBudget, KernelLimitError, type KernelBudget } from "./kernel-budget";
import type { CallFailureKind, ChildMessage, HostCallMessage, HostLoadMessage, HostLogMessage, ParentMessage } from "./host-protocol";
import { manifestExport } from "./manifest";
import { dieWithParent } from "./parent-death";

/**
 * The child side of `tale plugin-host`: hosts one plugin in-process with
 * Extism (no WASI, no host functions beyond the kernel) and answers the
 * parent's calls strictly one after another. The parent enforces deadlines
 * and memory by killing this process; this side keeps a long-lived instance
 * healthy: it empties Extism's block table before it overflows and replaces
 * the instance after a trap, whose half-finished state nobody can trust.
 */
const logLinesPerCall = 20;
const logLineChars = 500;

export function runPluginHost(): void {
  const send = process.send?.bind(process);
  if (!send) {
    throw new TaleError("BAD_REQUEST", "tale plugin-host is started by the tale daemon and talks to it over IPC.", {
      hint: "To try a plugin by hand, run `tale plugin test <file.wasm> --hook task:route --input case.json`.",
    });
  }
  dieWithParent();
  const exit = () => process.exit(0);
  watchLifeline({ onLost: exit });
  process.on("disconnect", exit);

  const post = (message: ChildMessage) => send(message);
  let host: PluginInstance | undefined;
  let queue: Promise<void> = Promise.resolve();
  process.on("message", (message: ParentMessage) => {
    // Extism's call is async around synchronous wasm; two interleaved calls (or a reset between them) corrupt its block table.
    queue = queue
      .then(async () => {
        if (message.type === "load") host = await load(message, post);
        else if (host) post(await host.call(message));
      })
      .catch((error) => {
        // A failure outside a plugin call is a bug here; dying lets the parent see a crash and start a fresh host.
        process.stderr.write(`plugin host failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(70);
      });
  });
}

interface PluginInstance {
  call(message: HostCallMessage): Promise<ChildMessage>;
}

async function load(message: HostLoadMessage, post: (message: ChildMessage) => void): Promise<PluginInstance | undefined> {
  const started = performance.now();
  try {
    const module = await WebAssembly.compile(message.bytes);
    const instance = createInstance(module, message, post);
    const plugin = await instance.plugin();
    const output = await plugin.call(manifestExport, "");
    post({
      type: "loaded",
      manifest: output?.text() ?? "",
      functions: WebAssembly.Module.exports(module).filter((entry) => entry.kind === "function").map((entry) => entry.name),
      loadMs: performance.now() - started,
    });
    return instance;
  } catch (error) {
    post({ type: "load-failed", error: describe(error).text });
    return undefined;
  }
}

function createInstance(module: WebAssembly.Module, load: HostLoadMessage, post: (message: ChildMessage) => void) {
  const budget: KernelBudget = createKernelBudget({ bytesPerCall: load.kernelBytesPerCall, config: load.config });
  let logLines = 0;
  const forward = (level: HostLogMessage["level"]) => (...parts: unknown[]) => {
    if (++logLines > logLinesPerCall) return;
    post({ type: "log", level, message: parts.map(String).join(" ").slice(0, logLineChars) });
  };
  const logger = { debug: forward("debug"), info: forward("info"), warn: forward("warn"), error: forward("error"), log: forward("info") };
  const instantiate = () =>
    createPlugin({ wasm: [{ module }] }, { useWasi: false, runInWorker: false, config: load.config, functions: budget.functions, logger: logger as unknown as Console });

  let current: Promise<Plugin> = instantiate();
  const replace = () => {
    budget.cleared();
    current = instantiate();
  };

  return {
    plugin: () => current,
    async call(message: HostCallMessage): Promise<ChildMessage> {
      const plugin = await current;
      if (budget.needsReset()) {
        await plugin.reset();
        budget.cleared();
      }
      budget.startCall();
      logLines = 0;
      try {
        const output = await plugin.call(message.fn, message.input);
        return { type: "result", id: message.id, ok: true, output: output?.text() ?? "" };
      } catch (error) {
        const failure = describe(error);
        if (failure.kind !== "plugin-error") replace();
        return { type: "result", id: message.id, ok: false, kind: failure.kind, error: failure.text };
      }
    },
  };
}

const pluginErrorPrefix = "Plugin-originated error: ";

function describe(error: unknown): { kind: CallFailureKind; text: string } {
  if (error instanceof KernelLimitError) return { kind: "limit", text: error.message };
  const raw = error instanceof Error ? error.message : String(error);
  if (raw.startsWith(pluginErrorPrefix)) return { kind: "plugin-error", text: raw.slice(pluginErrorPrefix.length) };
  // JavaScriptCore appends the JS expression that entered wasm; it means nothing to a plugin author.
  const text = raw.replace(/\s*\(evaluating '[^']*'\)$/, "");
  return { kind: "trap", text: error instanceof WebAssembly.RuntimeError || error instanceof RangeError ? `trapped: ${text}` : text };
}
