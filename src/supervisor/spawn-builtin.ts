import type { BuiltinEngineConfig, TaleConfig } from "../config/types";
import { isFailedLine, isReadyLine, type EngineReadyLine } from "../engine/protocol";
import { fromSerialized, TaleError, type SerializedError } from "../errors";
import { abortable } from "./abortable";
import { superviseChild, type SupervisedChild } from "./child";
import { outputLogged, type EngineLog } from "./engine-log";
import { createHealthProbe } from "./health";
import { loopback, type EngineLauncher } from "./launcher";
import { estimateBuiltinBytes, type MemoryBudget } from "./memory-budget";

export interface BuiltinLauncherOptions {
  engineId: string;
  config: BuiltinEngineConfig;
  /** The .gguf file, already resolved from "default" by the caller. */
  modelPath: string;
  defaults: TaleConfig["builtin"];
  log: EngineLog;
  /** Turns engine arguments into a command line; `selfCommand` in production. */
  engineCommand: (args: string[]) => string[];
  healthTimeoutMs: number;
  /** Admission control; absent means no limit. */
  budget?: MemoryBudget;
  /** The engine's key: handed over on stdin, sent with every request and health check. */
  apiKey: string;
  /** Keep the next engine process started and waiting (builtin.warmSpare), so a crashed engine is replaced without a cold start. */
  warmSpare: boolean;
  /** The warm spare's process id, or undefined when there is none. */
  onSpare?: (pid: number | undefined) => void;
}

/** An engine process in standby: llama.cpp loaded, waiting for `start` before it loads the model. */
interface Standby {
  proc: Bun.Subprocess<"pipe", "pipe", "pipe">;
  child: SupervisedChild;
  /** Settles when everything the engine wrote to stderr is in its log. */
  stderrLogged: Promise<void>;
}

export function builtinLauncher(options: BuiltinLauncherOptions): EngineLauncher {
  const { config, defaults, log } = options;
  const args = [
    "engine",
    "--key-stdin",
    "--standby",
    ...["--model", options.modelPath],
    ...["--port", "0"],
    ...["--threads", String(config.threads ?? defaults.threads)],
    ...["--slots", String(config.slots ?? defaults.slots)],
    ...["--context-size", String(config.contextSize ?? defaults.contextSize)],
    ...["--max-tokens", String(defaults.maxTokens)],
    ...["--name", options.engineId],
  ];
  // stdin carries the key as its first line (the one private channel to the
  // child: not argv, not the environment), then `start`, then stays an open,
  // silent pipe: its EOF is how the engine learns that the daemon is gone, so
  // it is only closed when stopping.
  const spawnStandby = (): Standby => {
    const proc = Bun.spawn(options.engineCommand(args), { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    proc.stdin.write(`${options.apiKey}\n`);
    void proc.stdin.flush();
    const stderrLogged = log.drain(proc.stderr.getReader());
    return { proc, child: superviseChild(proc, { engineId: options.engineId, group: false, stdin: proc.stdin }), stderrLogged };
  };
  /**
   * Loading node-llama-cpp and testing its binding is most of an engine's
   * start and needs no model, so the next process does it while the current
   * one serves; a crash then costs only the model load (pm2 and friends
   * start from cold). A spare that died meanwhile is replaced by a cold start.
   */
  let spare: Standby | undefined;
  const setSpare = (next: Standby | undefined) => {
    spare = next;
    options.onSpare?.(next?.child.pid);
  };
  const takeSpare = (): Standby | undefined => {
    const taken = spare;
    setSpare(undefined);
    if (taken && !taken.child.exitSignal.aborted) return taken;
    return undefined;
  };

  return {
    async launch({ signal, onSpawn }) {
      const release = options.budget?.reserve(
        options.engineId,
        estimateBuiltinBytes({ modelPath: options.modelPath, contextSize: config.contextSize ?? defaults.contextSize, slots: config.slots ?? defaults.slots }),
      );
      const { proc, child, stderrLogged } = takeSpare() ?? spawnStandby();
      proc.stdin.write("start\n");
      void proc.stdin.flush();
      if (release) void child.exited.then(release);
      onSpawn(child.killNow);
      let ready: EngineReadyLine;
      try {
        ready = await readReadyLine(proc.stdout, AbortSignal.any([signal, child.exitSignal]), log, options.engineId);
      } catch (error) {
        await child.stop(0);
        // Its last words on stderr usually say why; the failure's hint quotes them.
        await outputLogged(stderrLogged);
        throw error;
      }
      if (options.warmSpare && !signal.aborted) setSpare(spawnStandby());
      const origin = `http://${loopback}:${ready.port}`;
      return {
        pid: child.pid,
        port: ready.port,
        baseUrl: `${origin}/v1`,
        parameters: ready.parameters,
        health: createHealthProbe({ urls: [`${origin}/health`], headers: { authorization: `Bearer ${options.apiKey}` }, timeoutMs: options.healthTimeoutMs }),
        exited: child.exited.then(async (info) => (await outputLogged(stderrLogged), info)),
        stop: child.stop,
      };
    },
    async close() {
      await takeSpare()?.child.stop(0);
    },
  };
}

/**
 * Reads stdout up to the ready line, or the failed line that replaces it.
 * Anything else printed there goes to the log, and so does all later output,
 * so the pipe never fills up.
 */
async function readReadyLine(stdout: ReadableStream<Uint8Array>, signal: AbortSignal, log: EngineLog, engineId: string): Promise<EngineReadyLine> {
  const reader = stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  while (true) {
    const { value, done } = await abortable(reader.read(), signal);
    if (done) throw new TaleError("ENGINE_START_FAILED", "The engine closed its output without announcing that it was ready.");
    buffered += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const parsed = parseLine(line);
      if (isFailedLine(parsed)) {
        const reported = fromSerialized(parsed.error as SerializedError);
        throw new TaleError("ENGINE_START_FAILED", `Engine ${engineId} could not start: ${reported.message}`, { hint: reported.hint, cause: reported });
      }
      if (isReadyLine(parsed)) {
        void log.drain(reader, buffered);
        return parsed;
      }
      log.line(line);
    }
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
