import { defineCommand } from "citty";
import { TaleError, toTaleError } from "../../errors";
import { defineEngineOptions, prepareLlama, runEngine, watchLifeline, type EngineHandle, type PreparedLlama } from "../../engine";
import { readStdinLine } from "../../engine/stdin-line";
import { resolveEngineKey } from "../../engine/api-key";
import { engineLog } from "../../engine/log";
import type { EngineFailedLine, EngineReadyLine } from "../../engine/protocol";

/** How long disposing the model may take before the engine exits anyway. */
const shutdownGraceMs = 3000;

export default defineCommand({
  meta: {
    name: "engine",
    description:
      "Serve one GGUF model over an OpenAI-compatible API on 127.0.0.1. The daemon starts these itself; to run one by hand or under another supervisor (pm2, systemd), give it a key with --api-key-file and add --no-parent-watch",
    hidden: true,
  },
  args: {
    model: { type: "string", required: true, description: "Path to the .gguf file" },
    port: { type: "string", default: "0", description: "Port on 127.0.0.1 (0 picks a free one)" },
    threads: { type: "string", description: "CPU threads (default: number of cores)" },
    slots: { type: "string", description: "Requests served at once (default 2)" },
    "context-size": { type: "string", description: "Tokens of context per slot (default 2048)" },
    "max-tokens": { type: "string", description: "Tokens generated when a request sets none (default 512)" },
    name: { type: "string", description: "Model id for /v1/models (default: the file name)" },
    "api-key-file": {
      type: "string",
      description: "File holding the key every request must send as `Authorization: Bearer <key>` (only /health answers without it). With no key option, a run in a terminal makes up a key and prints it once",
    },
    "key-stdin": { type: "boolean", description: "Read the key from the first line of stdin instead (how the daemon hands it over)" },
    standby: {
      type: "boolean",
      description: "With --key-stdin: load llama.cpp, then wait for the line `start` on stdin before loading the model (how the daemon keeps a warm spare that replaces a crashed engine at once); EOF instead ends it",
    },
    "parent-watch": {
      type: "boolean",
      default: true,
      description: "Stop when the process that started the engine exits (how the daemon's engines never outlive it)",
      negativeDescription:
        "Keep serving after the process that started the engine exits: for `nohup tale engine … &`, pm2 or systemd. SIGTERM still stops it, and so does EOF on stdin when stdin is a pipe",
    },
  },
  async run({ args }) {
    let handle: EngineHandle | undefined;
    // An error thrown from a callback inside node-llama-cpp (a failed fork, say) would otherwise leave a
    // half-started engine that never answers; crash instead, so the supervisor restarts it at once.
    const crash = (error: unknown) => {
      const failure = toTaleError(error, "ENGINE_START_FAILED");
      if (!handle) process.stdout.write(`${JSON.stringify({ event: "failed", error: failure.toJSON() } satisfies EngineFailedLine)}\n`);
      engineLog.error(`Unexpected error, exiting: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    };
    process.on("uncaughtException", crash);
    process.on("unhandledRejection", crash);
    let stopWatching = () => {};
    try {
      // The key comes first: the lifeline watches the same stdin once the key has been read from it.
      const { key, generated } = await resolveEngineKey({
        keyStdin: args["key-stdin"] === true,
        apiKeyFile: args["api-key-file"],
        interactive: process.stderr.isTTY === true,
      });
      if (generated) process.stderr.write(`Engine key (send it as "Authorization: Bearer <key>"; shown only now): ${key}\n`);
      const input = {
        apiKey: key,
        modelPath: args.model,
        name: args.name,
        port: parseCount("port", args.port, 0, 65535),
        threads: optionalCount("threads", args.threads),
        slots: optionalCount("slots", args.slots),
        contextSize: optionalCount("context-size", args["context-size"]),
        maxTokens: optionalCount("max-tokens", args["max-tokens"]),
      };
      const prepared = args.standby ? await standBy(input.threads ?? defineEngineOptions(input).threads, args["key-stdin"] === true) : undefined;
      // Watch before loading so a parent that dies during a slow model load does not leave us behind
      // (a spare in standby is tied to the daemon by its stdin alone, which standBy reads until `start`).
      stopWatching = watchLifeline({
        watchParent: args["parent-watch"] !== false,
        onLost(reason) {
          engineLog.info(`Stopping: ${reason}.`);
          setTimeout(() => process.exit(0), shutdownGraceMs).unref();
          void (handle?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
        },
      });
      handle = await runEngine(input, prepared);
    } catch (error) {
      stopWatching();
      const failed: EngineFailedLine = { event: "failed", error: toTaleError(error).toJSON() };
      process.stdout.write(`${JSON.stringify(failed)}\n`);
      throw error;
    }
    const ready: EngineReadyLine = {
      event: "listening",
      port: handle.port,
      pid: process.pid,
      model: handle.model,
      startupMs: Math.round(performance.now()),
      parameters: handle.parameters,
    };
    process.stdout.write(`${JSON.stringify(ready)}\n`);
    engineLog.info(`Serving ${handle.model} at ${handle.baseUrl} (context ${handle.contextSize} tokens per slot).`);
    // The lifeline ends the process; until then the command stays in flight so the CLI does not wind down.
    await new Promise<never>(() => {});
  },
});

/**
 * A warm spare: node-llama-cpp and its binding (the slow, model-free part of
 * a start) are loaded now; the model only once the daemon says `start`.
 * Until then the spare's only tie to the daemon is stdin, so its EOF ends it.
 */
async function standBy(threads: number, keyStdin: boolean): Promise<PreparedLlama> {
  if (!keyStdin) {
    throw new TaleError("BAD_REQUEST", "--standby waits for its start on stdin, so it needs --key-stdin.", { hint: "Run a standalone engine without --standby." });
  }
  const prepared = await prepareLlama(threads);
  const word = await readStdinLine();
  if (word === undefined) process.exit(0);
  if (word.trim() !== "start") throw new TaleError("BAD_REQUEST", `A standby engine expected "start" on stdin (got "${word.slice(0, 40)}").`);
  return prepared;
}

function optionalCount(flag: string, text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseCount(flag, text, 1);
}

function parseCount(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new TaleError("BAD_REQUEST", `--${flag} must be a whole number ${range} (got "${text}").`, {
      hint: `Run "tale engine --help" for the flags.`,
    });
  }
  return value;
}
