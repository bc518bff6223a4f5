/**
 * The resolved configuration every part of tale reads. The valibot schema in
 * ./schema.ts is checked against these types, so this file is the contract.
 */
export type Role = "ux" | "task";
export const roles: readonly Role[] = ["ux", "task"];

/** A GGUF file served by tale's own engine process (`tale engine`). */
export interface BuiltinEngineConfig {
  engine: "builtin";
  /** Path to a .gguf file, or "default" for the generated offline model of the role. */
  model: string;
  name?: string;
  /** CPU threads for generation; default: the number of cores. */
  threads?: number;
  /** Parallel sequences (requests served at once). */
  slots?: number;
  /** Tokens of context per sequence. */
  contextSize?: number;
}

/** Any command that starts an OpenAI-compatible server (llama-server, ollama serve, vLLM). */
export interface ProcessEngineConfig {
  engine: "process";
  /** Command line; a string is split on spaces, an array is used as is. `{port}` is replaced. */
  command: string | string[];
  port: number;
  healthPath?: string;
  /** Model name sent in requests. */
  model?: string;
  name?: string;
  env?: Record<string, string>;
  slots?: number;
}

/** An existing OpenAI-compatible endpoint. */
export interface RemoteEngineConfig {
  engine: "remote";
  baseUrl: string;
  model: string;
  name?: string;
  /** Literal key; prefer apiKeyEnv so the secret stays out of files. */
  apiKey?: string;
  /** Name of the environment variable holding the key. */
  apiKeyEnv?: string;
  slots?: number;
}

export type EngineConfig = BuiltinEngineConfig | ProcessEngineConfig | RemoteEngineConfig;

/** A user plugin: a .wasm file, with config handed to it as Extism config. */
export interface PluginConfig {
  path: string;
  /** Overrides the manifest's name. */
  name?: string;
  config?: Record<string, string | number | boolean>;
}

export interface TaleConfig {
  api: {
    /** Always loopback; the schema refuses anything else. */
    host: string;
    /** 0 picks a free port; the daemon records the bound port in TALE_HOME. */
    port: number;
    /**
     * Submissions per minute each client may make (clients are told apart by
     * the `X-Tale-Client` header, else the OpenAI `user` field); 0: no limit.
     */
    rateLimitPerMinute: number;
    /** Submissions a client may make at once before the per-minute rate applies. */
    rateLimitBurst: number;
  };
  models: Record<Role, EngineConfig | EngineConfig[]>;
  /** Defaults for builtin engines that do not set their own. */
  builtin: {
    threads: number;
    slots: number;
    contextSize: number;
    /** Tokens generated when a request sets no max_tokens. */
    maxTokens: number;
    /**
     * Keep the next process of each builtin engine started, with llama.cpp
     * loaded but no model, so a crashed engine is back in the time a model
     * load takes instead of a cold start.
     */
    warmSpare: boolean;
  };
  scheduler: {
    /** Tasks running at once across all engines. */
    maxConcurrent: number;
    /** Tries per task, the first included. */
    maxAttempts: number;
    /** Default deadline per task in ms; 0 means none. */
    defaultTimeoutMs: number;
    /** Queued tasks beyond which a submission is refused with OVERLOADED. */
    maxQueued: number;
    /**
     * Longest a queued task waits while no engine of its role can take work
     * (starting, restarting, unreachable); then it fails with ENGINE_UNAVAILABLE.
     */
    maxQueueWaitMs: number;
    /**
     * Queue wait in ms that counts as one priority point, so waiting work ages
     * past newer work of higher priority (low = -10: ten such waits behind normal).
     */
    agingMs: number;
    /** How often the watchdog looks for stuck tasks and leaked slots; 0 turns it off. */
    watchdogIntervalMs: number;
  };
  supervisor: {
    healthIntervalMs: number;
    startTimeoutMs: number;
    /** Memory all built-in engines together may use, in MB; an engine that would not fit is not started. 0: no limit. */
    memoryBudgetMb: number;
    backoffInitialMs: number;
    backoffMaxMs: number;
    /**
     * Crashes within crashLoopWindowMs that open an engine's circuit (no more
     * restarts). Only crashes before the engine had been healthy for
     * minUptimeMs count.
     */
    crashLoopCount: number;
    crashLoopWindowMs: number;
    /**
     * Healthy time that proves an engine (pm2's min_uptime): its later crash is
     * no crash loop, it restarts at once, and its backoff starts over.
     */
    minUptimeMs: number;
    /** How long an open circuit waits before one trial start. */
    circuitCooldownMs: number;
    /** Failed requests in a row (HTTP 5xx, lost connection) that open a remote endpoint's circuit. */
    endpointFailures: number;
    /** Longest silence from an engine during one request before the attempt fails (and is retried); 0 turns it off. */
    requestIdleTimeoutMs: number;
    /**
     * The role that serves a role whose engines are all failed, e.g.
     * `{ "task": "ux" }`. Results served that way are marked degraded.
     */
    fallback: Partial<Record<Role, Role>>;
  };
  log: {
    level: "silent" | "error" | "warn" | "info" | "debug";
    /** A log file (daemon.log, engine-<id>.log) is rotated when it would grow past this size. */
    maxFileMb: number;
    /** Rotated files kept per log (name.log.1 is the newest); older ones are deleted. */
    keepFiles: number;
  };
  /**
   * OpenTelemetry export over OTLP/HTTP (protobuf): GenAI metrics and one trace
   * per task. Off while no endpoint is set; the OTEL_EXPORTER_OTLP_* variables set these too.
   */
  otel: {
    /** Base URL of an OTLP/HTTP receiver, e.g. http://127.0.0.1:4318; /v1/metrics and /v1/traces are added. "": not exported. */
    endpoint: string;
    /** Full URL for metrics alone, used as is; "": endpoint + /v1/metrics. */
    metricsEndpoint: string;
    /** Full URL for traces alone, used as is; "": endpoint + /v1/traces. */
    tracesEndpoint: string;
    /** Sent with every export (e.g. an API key); never logged. */
    headers: Record<string, string>;
    /** How often metrics are exported. */
    exportIntervalMs: number;
    /** The service.name resource attribute. */
    serviceName: string;
    /** Share of tasks traced, 0 to 1: tracing costs about 50 µs of CPU per task, which a busy daemon may not want to spend on every task. */
    traceSampleRatio: number;
  };
  /** WebAssembly policy plugins; a plugin handling task:route replaces the built-in router plugin. */
  plugins: PluginConfig[];
  /** Limits every plugin runs under. */
  pluginRuntime: {
    /** CPU time one plugin call may use when its manifest asks for none; also the wall time a routing decision waits for its plugin. */
    callTimeoutMs: number;
    /** Largest memory a plugin module may declare, in 64 KiB pages. */
    maxMemoryPages: number;
    /** A plugin host process above this size is killed. */
    maxRssMb: number;
    /** Failures in a row that switch a plugin off (its fallback answers). */
    breakerFailures: number;
    /** How long a switched-off plugin waits before one trial call. */
    breakerCooldownMs: number;
    /** Load the router plugin built into tale when no configured plugin routes. */
    builtinRouter: boolean;
  };
  /** Token accounting: how `tale tokens` prices a token of each model. */
  ledger: {
    /**
     * Relative cost of one token, per model name. A model not listed weighs
     * its parameter count over the task model's, times the task model's
     * weight (1 unless listed).
     */
    costWeights: Record<string, number>;
    /** A ux model token's cost as a fraction of a task model token's, for models with no configured weight and no parameter count (remote and process engines). */
    fallbackUxWeight: number;
  };
  /** The Prometheus metrics of `GET /metrics`. */
  metrics: {
    /** Collect metrics; off, nothing is counted and `/metrics` answers 404 (the benchmarks compare both). */
    enabled: boolean;
  };
}

/**
 * One layer of configuration (a file, the environment, command-line flags):
 * every section and key is optional, but an engine entry is always whole,
 * because a higher layer replaces `models.<role>` instead of merging into it.
 */
export type TaleConfigLayer = {
  [Section in keyof TaleConfig]?: Section extends "models"
    ? Partial<TaleConfig["models"]>
    : Section extends "plugins"
      ? TaleConfig["plugins"]
      : Partial<TaleConfig[Section]>;
};

/** Any subset of T, at any depth: what callers may pass as overrides before validation. */
export type DeepPartial<T> = T extends readonly (infer Item)[]
  ? DeepPartial<Item>[]
  : T extends object
    ? { [Key in keyof T]?: DeepPartial<T[Key]> }
    : T;
