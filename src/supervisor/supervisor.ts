import { basename } from "node:path";
import { consola } from "consola";
import { createHooks, type Hookable } from "hookable";
import { createDefaultConfig } from "../config/defaults";
import type { BuiltinEngineConfig, EngineConfig, Role, TaleConfig } from "../config/types";
import { TaleError } from "../errors";
import { createMemoryBudget } from "./memory-budget";
import { newSecret } from "../util/bearer";
import { rotationLimits } from "../logs/files";
import type { LogFields, LogFn } from "../logs/record";
import type { RotationLimits } from "../logs/rotating-file";
import { addSecret } from "../logs/secrets";
import { selfCommand } from "../util/self-command";
import { defineBackoffPolicy } from "./backoff";
import { defaultCrashLimit, type CrashLimit } from "./crash-window";
import type { CircuitPolicy } from "./engine-circuit";
import { createEndpointBreaker } from "./endpoint-breaker";
import type { RoleFallbacks } from "./role-fallback";
import { EngineHandle, type EngineHandleListeners, type EngineSnapshot } from "./engine-handle";
import { openEngineLog, type EngineLog } from "./engine-log";
import { EngineRunner, type RunnerTiming } from "./engine-runner";
import { engineSpecs, type EngineSpec } from "./engine-specs";
import type { EngineState } from "./engine-state";
import type { EngineLauncher } from "./launcher";
import { remoteApiKey, remoteLauncher } from "./remote";
import { builtinLauncher } from "./spawn-builtin";
import { defaultMinUptimeMs } from "./uptime";
import { commandArgs, processLauncher } from "./spawn-process";

/** The circuit and budget keys have defaults here so callers that build a config slice by hand may leave them out. */
type CircuitKeys = "crashLoopCount" | "crashLoopWindowMs" | "circuitCooldownMs" | "minUptimeMs" | "endpointFailures" | "requestIdleTimeoutMs" | "fallback" | "memoryBudgetMb";
export type SupervisorConfig = Pick<TaleConfig, "models" | "builtin"> & {
  supervisor: Omit<TaleConfig["supervisor"], CircuitKeys> & Partial<Pick<TaleConfig["supervisor"], CircuitKeys>>;
};

const defaultCircuitCooldownMs = 60_000;
const defaultEndpointFailures = 5;

export interface SupervisorOptions {
  config: SupervisorConfig;
  /** The engines to run when the caller has already resolved `config.models` ("default" models, checked paths). */
  engines?: Record<Role, EngineConfig[]>;
  /** Each engine process appends its output to `engine-<id>.log` here. */
  logDir: string;
  /** When engine logs rotate; log.maxFileMb and log.keepFiles's defaults when absent. */
  logRotation?: RotationLimits;
  /** How to start `tale engine …`; defaults to this program itself. */
  engineCommand?: (args: string[]) => string[];
  /** Overrides supervisor.crashLoopCount and supervisor.crashLoopWindowMs. */
  crashLimit?: CrashLimit;
  /** Consecutive failed health checks before an engine counts as unhealthy. Default 3. */
  unhealthyAfter?: number;
  /** Time one health check may take. Default: the smaller of 2 s and the health interval. */
  healthTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL on stop. Default 2 s. */
  stopGraceMs?: number;
  /** Receives one line per state change, crash and restart, with the engine it is about; an engine going down is a warning. Never given secrets. */
  log?: LogFn;
}

export interface SupervisorHooks {
  "engine:state": (snapshot: EngineSnapshot, previous: EngineState) => void | Promise<void>;
  /** A slot was released or an engine changed state: a waiting request may fit now. */
  "engine:capacity": (role: Role) => void | Promise<void>;
}

export interface Supervisor {
  readonly hooks: Hookable<SupervisorHooks>;
  readonly engines: readonly EngineHandle[];
  /** Starts the ux engines, then the rest; resolves when each is healthy or its first start attempt failed. */
  start(): Promise<EngineSnapshot[]>;
  /** Stops every engine and waits until no engine process is left. */
  stop(): Promise<void>;
  snapshot(): EngineSnapshot[];
  /** The least loaded healthy engine of the role with a free slot, other than `avoid`. */
  pick(role: Role, avoid?: string): EngineHandle | undefined;
  /** The role standing in for each role whose engines have all failed (supervisor.fallback). */
  readonly fallbacks: RoleFallbacks;
  /** Longest silence allowed from an engine within one request; 0: no limit. */
  readonly requestIdleTimeoutMs: number;
  /** A request on this engine broke: check its health now rather than at the next interval. */
  markCrashed(engine: EngineHandle | string, error: TaleError): void;
}

/** Parallel requests for engines that do not say; builtin engines use `config.builtin.slots`. */
const defaultSlots = { process: 1, remote: 4 } as const;

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const { config } = options;
  const report = options.log ?? ((message: string, fields?: LogFields, level: "info" | "warn" = "info") => consola.withTag("supervisor")[level]({ message, ...fields }));
  const hooks = createHooks<SupervisorHooks>();
  const healthTimeoutMs = options.healthTimeoutMs ?? Math.min(2000, config.supervisor.healthIntervalMs);
  const logRotation = options.logRotation ?? rotationLimits(createDefaultConfig().log);
  const budgetMb = config.supervisor.memoryBudgetMb ?? 0;
  const budget = budgetMb > 0 ? createMemoryBudget(budgetMb * 1_048_576) : undefined;

  // A failing hook listener is reported, never allowed to break supervision.
  const emit = <Name extends keyof SupervisorHooks>(name: Name, ...args: Parameters<SupervisorHooks[Name]>) =>
    void Promise.resolve()
      .then(() => hooks.callHook(name, ...args))
      .catch((error: unknown) => report(`A ${name} hook failed: ${error instanceof Error ? error.message : String(error)}`));
  const listeners: EngineHandleListeners = {
    onState(handle, previous) {
      const down = handle.state === "crashed" || handle.state === "unhealthy" || handle.state === "failed";
      report(`Engine ${handle.id}: ${previous} -> ${handle.state}`, { engine: handle.id }, down ? "warn" : "info");
      emit("engine:state", handle.snapshot(), previous);
      emit("engine:capacity", handle.role);
    },
    onRelease: (handle) => emit("engine:capacity", handle.role),
  };

  const engineLogs: EngineLog[] = [];
  const prepare = (spec: EngineSpec): { handle: EngineHandle; launcher: EngineLauncher; engineLog?: EngineLog } => {
    const { id, role, config: engine } = spec;
    switch (engine.engine) {
      case "builtin": {
        const modelPath = builtinModelPath(role, engine);
        const engineLog = openEngineLog(options.logDir, id, logRotation);
        engineLogs.push(engineLog);
        const slots = engine.slots ?? config.builtin.slots;
        // One key per engine, kept across its restarts; only this daemon ever holds it.
        const apiKey = newSecret();
        addSecret(apiKey);
        const handle = new EngineHandle({ id, role, kind: "builtin", model: basename(modelPath, ".gguf"), slots, apiKey }, listeners);
        return {
          handle,
          launcher: builtinLauncher({
            engineId: id,
            config: engine,
            modelPath,
            defaults: config.builtin,
            log: engineLog,
            engineCommand: options.engineCommand ?? selfCommand,
            healthTimeoutMs,
            budget,
            apiKey,
            warmSpare: config.builtin.warmSpare,
            onSpare: (pid) => (handle.sparePid = pid),
          }),
          engineLog,
        };
      }
      case "process": {
        const engineLog = openEngineLog(options.logDir, id, logRotation);
        engineLogs.push(engineLog);
        const model = engine.model ?? basename(commandArgs(engine.command, engine.port)[0] ?? id);
        return {
          handle: new EngineHandle({ id, role, kind: "process", model, slots: engine.slots ?? defaultSlots.process }, listeners),
          launcher: processLauncher({ engineId: id, config: engine, log: engineLog, healthTimeoutMs }),
          engineLog,
        };
      }
      case "remote": {
        const apiKey = remoteApiKey(engine, id);
        addSecret(apiKey);
        const slots = engine.slots ?? defaultSlots.remote;
        const handle = new EngineHandle({ id, role, kind: "remote", model: engine.model, slots, apiKey }, listeners);
        handle.endpointBreaker = createEndpointBreaker(id, {
          failures: config.supervisor.endpointFailures ?? defaultEndpointFailures,
          cooldownMs: circuit.cooldownMs,
          onOpen(error) {
            handle.lastError = error;
            report(error.message, { engine: id });
          },
          onClose() {
            report(`Engine ${id} answered its trial request; circuit closed.`, { engine: id });
            emit("engine:capacity", role);
          },
        });
        return {
          handle,
          launcher: remoteLauncher({ config: engine, apiKey, healthTimeoutMs }),
        };
      }
    }
  };

  const timing: RunnerTiming = {
    healthIntervalMs: config.supervisor.healthIntervalMs,
    startTimeoutMs: config.supervisor.startTimeoutMs,
    unhealthyAfter: options.unhealthyAfter ?? 3,
    stopGraceMs: options.stopGraceMs ?? 2000,
    minUptimeMs: config.supervisor.minUptimeMs ?? defaultMinUptimeMs,
  };
  const backoff = defineBackoffPolicy({ initialMs: config.supervisor.backoffInitialMs, maxMs: config.supervisor.backoffMaxMs });
  const circuit: CircuitPolicy = {
    maxCrashes: config.supervisor.crashLoopCount ?? defaultCrashLimit.maxCrashes,
    windowMs: config.supervisor.crashLoopWindowMs ?? defaultCrashLimit.windowMs,
    ...options.crashLimit,
    cooldownMs: config.supervisor.circuitCooldownMs ?? defaultCircuitCooldownMs,
  };
  let runners: EngineRunner[];
  try {
    runners = engineSpecs(options.engines ?? config.models).map(
      (spec) => new EngineRunner({ ...prepare(spec), timing, backoff, circuit, report: (message) => report(message, { engine: spec.id }) }),
    );
  } catch (error) {
    for (const engineLog of engineLogs) engineLog.close();
    throw error;
  }
  const engines = runners.map((runner) => runner.handle);

  // A daemon that exits without stop() must not leave engines behind. "exit"
  // listeners run synchronously, so all they can do is SIGKILL.
  const killAll = () => runners.forEach((runner) => runner.killNow());
  let started: Promise<EngineSnapshot[]> | undefined;
  let stopped: Promise<void> | undefined;

  const supervisor: Supervisor = {
    hooks,
    engines,
    fallbacks: { ...config.supervisor.fallback },
    requestIdleTimeoutMs: config.supervisor.requestIdleTimeoutMs ?? 0,
    start() {
      if (stopped) return Promise.reject(new TaleError("INTERNAL", "The supervisor was stopped; create a new one to start engines again."));
      started ??= (async () => {
        process.on("exit", killAll);
        // ux first: it answers the first request, and on a small machine two
        // engines loading at once each take longer than one after the other.
        const [first, rest] = [runners.filter((runner) => runner.handle.role === "ux"), runners.filter((runner) => runner.handle.role !== "ux")];
        await Promise.all(first.map((runner) => runner.start()));
        if (!stopped) await Promise.all(rest.map((runner) => runner.start()));
        return supervisor.snapshot();
      })();
      return started;
    },
    stop() {
      stopped ??= (async () => {
        await Promise.all(runners.map((runner) => runner.stop()));
        for (const engineLog of engineLogs) engineLog.close();
        process.off("exit", killAll);
      })();
      return stopped;
    },
    snapshot: () => engines.map((engine) => engine.snapshot()),
    pick(role, avoid) {
      let best: EngineHandle | undefined;
      for (const engine of engines) {
        if (engine.role !== role || engine.id === avoid || !engine.acceptsRequests || engine.freeSlots === 0) continue;
        if (!best || engine.inFlight / engine.slots < best.inFlight / best.slots) best = engine;
      }
      return best;
    },
    markCrashed(engine, error) {
      const runner = runners.find((candidate) => candidate.handle === engine || candidate.handle.id === engine);
      if (!runner) return;
      report(`Engine ${runner.handle.id} was reported broken (${error.message}); checking it now.`, { engine: runner.handle.id });
      runner.checkNow();
    },
  };
  return supervisor;

  function builtinModelPath(role: Role, engine: BuiltinEngineConfig): string {
    if (engine.model !== "default") return engine.model;
    throw new TaleError("CONFIG", `The ${role} engine asks for the "default" model, which was not resolved to a file.`, {
      hint: `Set models.${role}.model to the path of a .gguf file.`,
    });
  }
}
