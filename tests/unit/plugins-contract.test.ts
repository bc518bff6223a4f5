import { describe, expect, test } from "bun:test";
import { TaleError } from "../../src/errors";
import { parseHookOutput } from "../../src/plugins/hook-output";
import { missingHookExports, parsePluginManifest } from "../../src/plugins/manifest";

function failure(run: () => unknown): TaleError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TaleError);
    expect((error as TaleError).code).toBe("PLUGIN_FAILED");
    return error as TaleError;
  }
  throw new Error("expected a PLUGIN_FAILED error");
}

describe("plugin manifest", () => {
  test("parses name, version, hooks and limits", () => {
    const manifest = parsePluginManifest('{"name":"router","version":"1.2.0","hooks":["task:route","task:route"],"limits":{"timeoutMs":20}}', "router.wasm");
    expect(manifest).toEqual({ name: "router", version: "1.2.0", hooks: ["task:route"], limits: { timeoutMs: 20 } });
  });

  test("refuses invalid JSON, unknown hooks and bad limits, naming the file", () => {
    expect(failure(() => parsePluginManifest("{name", "a.wasm")).message).toBe('a.wasm: tale_manifest answered invalid JSON: "{name"');
    expect(failure(() => parsePluginManifest('{"name":"x","version":"1","hooks":["task:routed"]}', "a.wasm")).message).toContain('"task:routed", which tale does not have');
    expect(failure(() => parsePluginManifest('{"name":"x","version":"1","hooks":[]}', "a.wasm")).message).toContain("must list its hooks");
    expect(failure(() => parsePluginManifest('{"name":"a b","version":"1","hooks":["task:route"]}', "a.wasm")).message).toContain("manifest name");
    expect(failure(() => parsePluginManifest('{"name":"x","version":"1","hooks":["task:route"],"limits":{"timeoutMs":0}}', "a.wasm")).message).toContain("timeoutMs");
  });

  test("finds hooks without an export", () => {
    const manifest = parsePluginManifest('{"name":"x","version":"1","hooks":["task:route","metrics:tick"]}', "a.wasm");
    expect(missingHookExports(manifest, ["tale_manifest", "task_route"])).toEqual(["metrics_tick"]);
    expect(missingHookExports(manifest, ["task_route", "metrics_tick"])).toEqual([]);
  });
});

describe("hook output", () => {
  test("keeps a valid route answer and drops unknown fields", () => {
    const output = parseHookOutput("task:route", '{"role":"task","engine":"task-0","maxTokens":64,"reason":"code","extra":1}', 'Plugin "r"');
    expect(output).toEqual({ role: "task", engine: "task-0", maxTokens: 64, reason: "code" });
  });

  test("refuses invalid JSON and answers outside the schema with a clear message", () => {
    expect(failure(() => parseHookOutput("task:route", '{"role":"ux"', 'Plugin "r"')).message).toBe('Plugin "r" answered task:route with invalid JSON: "{\\"role\\":\\"ux\\"".');
    expect(failure(() => parseHookOutput("task:route", "[1]", 'Plugin "r"')).message).toContain("not a JSON object");
    expect(failure(() => parseHookOutput("task:route", '{"role":"gpu"}', 'Plugin "r"')).message).toContain('role "gpu" (expected one of ux, task)');
    expect(failure(() => parseHookOutput("task:route", '{"role":"ux","maxTokens":0}', 'Plugin "r"')).message).toContain("maxTokens 0");
    expect(failure(() => parseHookOutput("metrics:tick", '{"alerts":[{"severity":"loud","message":"x"}]}', 'Plugin "m"')).message).toContain('severity "loud"');
  });

  test("metrics:tick alerts are optional and task:completed takes any object", () => {
    expect(parseHookOutput("metrics:tick", "{}", 'Plugin "m"')).toEqual({});
    expect(parseHookOutput("metrics:tick", '{"alerts":[{"severity":"warning","message":"queue"}]}', 'Plugin "m"')).toEqual({ alerts: [{ severity: "warning", message: "queue" }] });
    expect(parseHookOutput("task:completed", '{"seen":true}', 'Plugin "c"')).toEqual({ seen: true });
  });
});
