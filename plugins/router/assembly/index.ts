/**
 * tale's default router plugin: handles `task:route` and `task:completed`.
 * Contract: src/plugins/hook-schema.ts; guide: docs/plugins.md.
 *
 * Built with the stub runtime, which never frees memory, so every export
 * starts with heap.reset(): nothing allocated in one call outlives it, and
 * memory stays within the small cap in asconfig.json for any number of calls.
 * Globals hold only numbers for that reason.
 */
import { Config, Host, Memory } from "@extism/as-pdk";
import { error_set } from "@extism/as-pdk/lib/env";
import { JsonReader } from "./json-reader";
import { decideRoute, RouteLimits } from "./policy";

const HOOK_SCHEMA_VERSION: f64 = 1;
const MANIFEST = '{"name":"router","version":"1.0.0","hooks":["task:route","task:completed"],"limits":{"timeoutMs":50}}';

/** Replaces env.abort (see "use" in asconfig.json); the host reports the trap as a failed call. */
function pluginAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  unreachable();
}

export function tale_manifest(): i32 {
  heap.reset();
  return answer(MANIFEST);
}

export function task_route(): i32 {
  heap.reset();
  const input = readInput();
  if (input === null) return refuse("task:route expects a RouteInput JSON object of hook schema version 1");
  const decision = decideRoute(input, limits());
  if (decision === null) return refuse("task:route input lacks features.promptTokens or has a non-numeric features.maxTokens");
  let json = '{"role":"' + decision.role + '","reason":"' + decision.reason + '"';
  if (decision.maxTokens > 0) json += ',"maxTokens":' + (<i64>decision.maxTokens).toString();
  return answer(json + "}");
}

/** Feedback only: the core already gives task:route per-role statistics, so there is nothing to keep. */
export function task_completed(): i32 {
  heap.reset();
  if (readInput() === null) return refuse("task:completed expects a TaskCompletedInput JSON object of hook schema version 1");
  return answer("{}");
}

function readInput(): JsonReader | null {
  const reader = new JsonReader(Host.input());
  const root = reader.root();
  if (!reader.isObject(root) || reader.number(reader.field(root, "version")) != HOOK_SCHEMA_VERSION) return null;
  return reader;
}

/** as-pdk 1.0.0's Host.outputString takes the UTF-16 length for the byte length, so output goes out as UTF-8 bytes. */
function answer(json: string): i32 {
  Host.output(Uint8Array.wrap(String.UTF8.encode(json)));
  return 0;
}

function refuse(message: string): i32 {
  error_set(Memory.allocateString(message).offset);
  return 1;
}

// Thresholds come from the plugin's config once per instance; config does not change while an instance lives.
let limitsLoaded = false;
let longPromptTokens: f64 = 0;
let largeOutputTokens: f64 = 0;
let conversationMaxTokens: f64 = 0;

function limits(): RouteLimits {
  const result = new RouteLimits();
  if (!limitsLoaded) {
    longPromptTokens = configNumber("longPromptTokens", result.longPromptTokens);
    largeOutputTokens = configNumber("largeOutputTokens", result.largeOutputTokens);
    conversationMaxTokens = configNumber("conversationMaxTokens", result.conversationMaxTokens);
    limitsLoaded = true;
  }
  result.longPromptTokens = longPromptTokens;
  result.largeOutputTokens = largeOutputTokens;
  result.conversationMaxTokens = conversationMaxTokens;
  return result;
}

function configNumber(key: string, fallback: f64): f64 {
  const text = Config.get(key);
  if (text === null) return fallback;
  const value = parseFloat(text);
  return isNaN(value) || value < 0 ? fallback : value;
}
