/** assembly/index.ts of a new plugin: a small working task:route policy to change. */
export function assemblyIndex(name: string): string {
  return `/**
 * ${name}: a tale plugin written in AssemblyScript.
 *
 * tale calls tale_manifest once when it loads the plugin, then one export per
 * hook: task_route for the hook task:route. Each export reads the hook's input
 * JSON, writes its answer JSON and returns 0 (or sets an error and returns 1).
 * The JSON shapes are in README.md.
 */
import { Config, Host, LogLevel, Memory } from "@extism/as-pdk";
import { error_set } from "@extism/as-pdk/lib/env";
import { JSON } from "assemblyscript-json/assembly";

const MANIFEST = '{"name":"${name}","version":"0.1.0","hooks":["task:route"],"limits":{"timeoutMs":50}}';

/** Stands in for env.abort (see "use" in asconfig.json): logs why the plugin stopped, then traps. */
function pluginAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  if (message !== null) Host.log(LogLevel.Error, message + (fileName !== null ? " at " + fileName + ":" + line.toString() : ""));
  unreachable();
}

export function tale_manifest(): i32 {
  return answer(MANIFEST);
}

/**
 * Routes work to the large "task" model when it looks like code or the
 * prompt is long, and everything else to the fast "ux" model.
 */
export function task_route(): i32 {
  const input = JSON.parse(Host.input());
  if (!input.isObj) return fail("task:route expects a JSON object");
  const features = (<JSON.Obj>input).getObj("features");
  if (features === null) return fail("task:route input has no features");
  const hints = features.getObj("hints");

  const longPrompt = configNumber("longPromptTokens", 150);
  const promptTokens = numberField(features, "promptTokens");
  const code = hints !== null && boolField(hints, "code");

  const output = new JSON.Obj();
  if (code) {
    output.set("role", "task");
    output.set("reason", "code");
  } else if (promptTokens > longPrompt) {
    output.set("role", "task");
    output.set("reason", "long prompt");
  } else {
    output.set("role", "ux");
    output.set("reason", "short and no code");
  }
  return answer(output.stringify());
}

function numberField(object: JSON.Obj, key: string): f64 {
  const value = object.get(key);
  if (value === null) return 0;
  if (value.isInteger) return <f64>(<JSON.Integer>value).valueOf();
  if (value.isFloat) return (<JSON.Float>value).valueOf();
  return 0;
}

function boolField(object: JSON.Obj, key: string): bool {
  const value = object.getBool(key);
  return value !== null && value.valueOf();
}

/** Plugin config arrives as strings: "config": { "longPromptTokens": 200 } in tale's config reads as "200" here. */
function configNumber(key: string, fallback: f64): f64 {
  const text = Config.get(key);
  if (text === null) return fallback;
  const value = parseFloat(text);
  return isNaN(value) ? fallback : value;
}

/** Host.outputString in as-pdk 1.0.0 breaks on non-ASCII text; UTF-8 bytes always work. */
function answer(json: string): i32 {
  Host.output(Uint8Array.wrap(String.UTF8.encode(json)));
  return 0;
}

/** The call fails with this message; tale counts it against the plugin and uses its built-in policy. */
function fail(message: string): i32 {
  error_set(Memory.allocateString(message).offset);
  return 1;
}
`;
}
