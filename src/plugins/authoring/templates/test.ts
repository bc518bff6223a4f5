/** test/plugin.test.mjs of a new plugin: plain JavaScript, so Node 20's test runner (and bun test) run it as is. */
export function pluginTest(name: string): string {
  return `// Loads the built plugin the way tale does (Extism, no WASI, JSON text in and out)
// and checks its answers. Run: npm test (builds first).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import createPlugin from "@extism/extism";

const wasmPath = new URL("../build/${name}.wasm", import.meta.url);

async function load(config = {}) {
  const data = new Uint8Array(await readFile(wasmPath));
  return createPlugin({ wasm: [{ data }] }, { useWasi: false, runInWorker: false, config });
}

/** A task:route input (hook schema version 1) with the given features changed. */
function routeInput(features = {}, hints = {}) {
  return {
    version: 1,
    task: { id: "task-1", kind: "prompt" },
    features: {
      promptTokens: 12,
      messages: 1,
      conversational: true,
      hints: { code: false, multiStep: false, workIntent: false, question: true, ...hints },
      maxTokens: null,
      ...features,
    },
    stats: {
      ux: { calls: 10, successRate: 1, p50LatencyMs: 40 },
      task: { calls: 2, successRate: 1, p50LatencyMs: 900 },
    },
    engines: { ux: ["ux"], task: ["task"] },
  };
}

async function route(plugin, input) {
  const output = await plugin.call("task_route", JSON.stringify(input));
  return output.json();
}

test("declares its name and hooks", async () => {
  const plugin = await load();
  const manifest = (await plugin.call("tale_manifest", "")).json();
  assert.equal(manifest.name, "${name}");
  assert.deepEqual(manifest.hooks, ["task:route"]);
  await plugin.close();
});

test("sends a short question to ux and code to task", async () => {
  const plugin = await load();
  assert.equal((await route(plugin, routeInput())).role, "ux");
  assert.equal((await route(plugin, routeInput({ conversational: false }, { code: true }))).role, "task");
  assert.equal((await route(plugin, routeInput({ promptTokens: 400 }))).role, "task");
  await plugin.close();
});

test("reads its threshold from config", async () => {
  const plugin = await load({ longPromptTokens: "5" });
  assert.equal((await route(plugin, routeInput({ promptTokens: 12 }))).role, "task");
  await plugin.close();
});

test("reads non-ASCII text", async () => {
  const plugin = await load();
  const input = routeInput();
  input.task.id = "tâche-日本語-🚀";
  assert.equal((await route(plugin, input)).role, "ux");
  await plugin.close();
});

test("refuses input that is not an object", async () => {
  const plugin = await load();
  await assert.rejects(plugin.call("task_route", "[1, 2]"), /expects a JSON object/);
  await plugin.close();
});
`;
}
