import * as v from "valibot";
import type { TaleConfig, TaleConfigLayer } from "./types.ts";

/*
 * Every check carries a message that completes "<key> must be ...", so a
 * problem reads as one plain sentence (see issues.ts).
 */
const atLeast = (min: number) =>
  v.pipe(v.number(), v.integer(`a whole number of at least ${min}`), v.minValue(min, `a whole number of at least ${min}`));
const between = (min: number, max: number) =>
  v.pipe(
    v.number(),
    v.integer(`a whole number from ${min} to ${max}`),
    v.minValue(min, `a whole number from ${min} to ${max}`),
    v.maxValue(max, `a whole number from ${min} to ${max}`),
  );
const text = v.pipe(v.string(), v.nonEmpty("a non-empty string"));
const aboveZero = v.pipe(v.number(), v.check((value) => Number.isFinite(value) && value > 0, "a number above 0"));
// "" is how a config says "not set", so a layer can also switch export off again.
const otlpUrl = v.pipe(v.string(), v.check((url) => url === "" || /^https?:\/\/[^/\s]+/i.test(url), "an http:// or https:// URL such as http://127.0.0.1:4318, or \"\""));
// Zero would make a baseline free and a savings ratio meaningless.
const costWeight = aboveZero;

const shared = { name: v.optional(text), slots: v.optional(atLeast(1)) };

export const builtinEngineSchema = v.strictObject({
  engine: v.literal("builtin"),
  model: text,
  threads: v.optional(atLeast(1)),
  contextSize: v.optional(atLeast(16)),
  ...shared,
});

export const processEngineSchema = v.strictObject({
  engine: v.literal("process"),
  command: v.union([text, v.pipe(v.array(text), v.minLength(1, "a non-empty list"))]),
  port: between(1, 65535),
  healthPath: v.optional(v.pipe(v.string(), v.startsWith("/", 'a path starting with "/"'))),
  model: v.optional(text),
  env: v.optional(v.record(v.string(), v.string())),
  ...shared,
});

export const remoteEngineSchema = v.strictObject({
  engine: v.literal("remote"),
  baseUrl: v.pipe(v.string(), v.regex(/^https?:\/\/[^/\s]+/i, "an http:// or https:// URL such as http://127.0.0.1:8080/v1")),
  model: text,
  apiKey: v.optional(v.string()),
  apiKeyEnv: v.optional(text),
  ...shared,
});

export const engineSchemas = {
  builtin: builtinEngineSchema,
  process: processEngineSchema,
  remote: remoteEngineSchema,
} as const;

const engineSchema = v.variant("engine", [builtinEngineSchema, processEngineSchema, remoteEngineSchema]);
/** Chosen by the input's shape, so a mistake is reported inside the one that was meant. */
const roleEnginesSchema = v.lazy((input) => (Array.isArray(input) ? v.pipe(v.array(engineSchema), v.minLength(1, "a non-empty list")) : engineSchema));

export const loopbackHosts: readonly string[] = ["127.0.0.1", "::1", "localhost"];

export const sectionSchemas = {
  api: v.strictObject({
    host: v.pipe(v.string(), v.check((host) => loopbackHosts.includes(host), 'a loopback address: "127.0.0.1", "::1" or "localhost"')),
    port: between(0, 65535),
    rateLimitPerMinute: atLeast(0),
    rateLimitBurst: atLeast(1),
  }),
  models: v.strictObject({ ux: roleEnginesSchema, task: roleEnginesSchema }),
  builtin: v.strictObject({ threads: atLeast(1), slots: atLeast(1), contextSize: atLeast(16), maxTokens: atLeast(1), warmSpare: v.boolean() }),
  scheduler: v.strictObject({
    maxConcurrent: atLeast(1),
    maxAttempts: atLeast(1),
    defaultTimeoutMs: atLeast(0),
    maxQueued: atLeast(1),
    agingMs: atLeast(1),
    watchdogIntervalMs: atLeast(0),
    maxQueueWaitMs: atLeast(1),
  }),
  supervisor: v.strictObject({
    healthIntervalMs: atLeast(1),
    startTimeoutMs: atLeast(1),
    memoryBudgetMb: atLeast(0),
    backoffInitialMs: atLeast(0),
    backoffMaxMs: atLeast(0),
    crashLoopCount: atLeast(1),
    crashLoopWindowMs: atLeast(1),
    minUptimeMs: atLeast(0),
    circuitCooldownMs: atLeast(1),
    endpointFailures: atLeast(1),
    requestIdleTimeoutMs: atLeast(0),
    fallback: v.strictObject({ ux: v.optional(v.picklist(["ux", "task"])), task: v.optional(v.picklist(["ux", "task"])) }),
  }),
  log: v.strictObject({ level: v.picklist(["silent", "error", "warn", "info", "debug"]), maxFileMb: aboveZero, keepFiles: atLeast(0) }),
  otel: v.strictObject({
    endpoint: otlpUrl,
    metricsEndpoint: otlpUrl,
    tracesEndpoint: otlpUrl,
    headers: v.record(text, v.string()),
    exportIntervalMs: atLeast(100),
    serviceName: text,
    traceSampleRatio: v.pipe(v.number(), v.minValue(0, "a number from 0 to 1"), v.maxValue(1, "a number from 0 to 1")),
  }),
  plugins: v.array(
    v.strictObject({
      path: text,
      name: v.optional(text),
      config: v.optional(v.record(v.string(), v.union([v.string(), v.number(), v.boolean()], "a string, number or boolean"))),
    }),
  ),
  pluginRuntime: v.strictObject({
    callTimeoutMs: atLeast(1),
    maxMemoryPages: between(1, 65536),
    maxRssMb: atLeast(16),
    breakerFailures: atLeast(1),
    breakerCooldownMs: atLeast(0),
    builtinRouter: v.boolean(),
  }),
  ledger: v.strictObject({ costWeights: v.record(text, costWeight), fallbackUxWeight: costWeight }),
  metrics: v.strictObject({ enabled: v.boolean() }),
};

/** The resolved configuration: every key present. */
export const taleConfigSchema = v.strictObject(sectionSchemas);

/** One file, variable or set of flags: any subset of keys. */
export const taleConfigLayerSchema = v.strictObject({
  api: v.optional(v.partial(sectionSchemas.api)),
  models: v.optional(v.partial(sectionSchemas.models)),
  builtin: v.optional(v.partial(sectionSchemas.builtin)),
  scheduler: v.optional(v.partial(sectionSchemas.scheduler)),
  supervisor: v.optional(v.partial(sectionSchemas.supervisor)),
  log: v.optional(v.partial(sectionSchemas.log)),
  otel: v.optional(v.partial(sectionSchemas.otel)),
  plugins: v.optional(sectionSchemas.plugins),
  pluginRuntime: v.optional(v.partial(sectionSchemas.pluginRuntime)),
  ledger: v.optional(v.partial(sectionSchemas.ledger)),
  metrics: v.optional(v.partial(sectionSchemas.metrics)),
});

// Compile-time proof that the schemas describe exactly the types in types.ts.
// Comparing with every key made required also catches an optional key that
// only one side has, which plain assignability lets through.
type DeepRequired<T> = T extends readonly (infer Item)[]
  ? DeepRequired<Item>[]
  : T extends object
    ? { [Key in keyof T]-?: DeepRequired<T[Key]> }
    : T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type SameShape<A, B> = Same<A, B> extends true ? Same<DeepRequired<A>, DeepRequired<B>> : false;
type Assert<Check extends true> = Check;
export type SchemaMatchesTypes = [
  Assert<SameShape<v.InferOutput<typeof taleConfigSchema>, TaleConfig>>,
  Assert<SameShape<v.InferOutput<typeof taleConfigLayerSchema>, TaleConfigLayer>>,
];
