import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import createPlugin, { type Plugin } from "@extism/extism";
import { embeddedPlugin } from "../../src/plugins/embedded";
import type { RouteInput, RouteOutput } from "../../src/plugins/hook-schema";
import { computeRouteFeatures, fallbackRoute, type FeatureSource } from "../../src/routing";

/**
 * The default router plugin (plugins/router), compiled and called through
 * Extism in-process, against the TypeScript fallback router: both must pick
 * the same role for the same request, so a tripped circuit breaker does not
 * change where work goes.
 */
let routerWasm: Uint8Array;
let router: Plugin;

beforeAll(async () => {
  routerWasm = await embeddedPlugin("router");
  router = await load();
}, 60_000);

afterAll(async () => {
  await router?.close();
});

function load(config: Record<string, string> = {}): Promise<Plugin> {
  return createPlugin({ wasm: [{ data: routerWasm }] }, { useWasi: false, runInWorker: false, config });
}

function routeInput(source: FeatureSource, overrides: Partial<RouteInput> = {}): RouteInput {
  return {
    version: 1,
    task: { id: "01JD8Z3K4V6Q9X2M5N7P8R0T1W", kind: source.messages ? "chat" : "prompt" },
    features: computeRouteFeatures(source),
    stats: { ux: { calls: 12, successRate: 1, p50LatencyMs: 150 }, task: { calls: 3, successRate: 0.66, p50LatencyMs: null } },
    engines: { ux: ["ux"], task: ["task"] },
    ...overrides,
  };
}

async function route(input: RouteInput | string, plugin = router): Promise<RouteOutput> {
  const output = await plugin.call("task_route", typeof input === "string" ? input : JSON.stringify(input));
  return output!.json();
}

const longText = "Here is the background to consider before you answer. ".repeat(20);

const cases: [string, RouteInput][] = [
  ["a conversational turn", routeInput({ prompt: "hi there, how's it going" })],
  ["a follow-up in a chat", routeInput({ prompt: "nice, thanks!", messages: [{ role: "user", content: "hello" }, { role: "assistant", content: "Hi! How can I help?" }, { role: "user", content: "nice, thanks!" }] })],
  ["a simple question", routeInput({ prompt: "What is the capital of France?" })],
  ["a long prompt", routeInput({ prompt: `${longText} So, what do you think?` })],
  ["a long chat history", routeInput({ prompt: "and?", messages: [{ role: "user", content: longText }, { role: "user", content: "and?" }] })],
  ["code", routeInput({ prompt: "why does my python loop never end" })],
  ["a code block", routeInput({ prompt: "```\nwhile (true) {}\n```" })],
  ["multi-step work", routeInput({ prompt: "first collect the logs, then find the errors" })],
  ["work intent", routeInput({ prompt: "summarize the meeting notes" })],
  ["a large output budget", routeInput({ prompt: "tell me a story", maxTokens: 2048 })],
  ["a small output budget", routeInput({ prompt: "tell me a story", maxTokens: 64 })],
  ["a non-ASCII conversational turn", routeInput({ prompt: "salut ça va ? 😊" })],
  ["a non-ASCII question", routeInput({ prompt: "東京の人口は？" })],
  ["non-ASCII work", routeInput({ prompt: "écris un script python qui trie des fichiers" })],
  [
    "non-ASCII in every string field",
    routeInput({ prompt: "¿qué tal?" }, { task: { id: "tâche-日本-\"quoted\"-\\-🚀", kind: "chat" }, engines: { ux: ["ux-ü", "ux-\u0000-control"], task: ["задача"] } }),
  ],
];

describe("router plugin", () => {
  test.each(cases)("%s: same role and reason as the fallback router", async (_name, input) => {
    const expected = fallbackRoute(input);
    const output = await route(input);
    expect({ role: output.role, reason: output.reason }).toEqual({ role: expected.role, reason: expected.reason });
    expect(output.engine).toBeUndefined();
  });

  test("caps conversational turns at 256 tokens only when the caller set no budget", async () => {
    for (const [name, input] of cases) {
      const capped = input.features.conversational && input.features.maxTokens === null && input.features.promptTokens <= 150;
      expect({ name, maxTokens: (await route(input)).maxTokens }).toEqual({ name, maxTokens: capped ? 256 : undefined });
    }
    expect(cases.filter(([, input]) => input.features.conversational).length).toBeGreaterThan(2);
  });

  test("thresholds match the fallback at their boundaries", async () => {
    const at = (promptTokens: number, maxTokens: number | null) => {
      const input = routeInput({ prompt: "ok" });
      input.features = { ...input.features, promptTokens, maxTokens };
      return input;
    };
    for (const input of [at(150, null), at(151, null), at(10, 512), at(10, 513), at(0, 0)]) {
      expect((await route(input)).role).toBe(fallbackRoute(input).role);
    }
    expect((await route(at(151, null))).role).toBe("task");
    expect((await route(at(10, 512))).role).toBe("ux");
  });

  test("reads any JSON layout: pretty-printed, reordered keys, floats", async () => {
    const input = routeInput({ prompt: "how are you?" });
    const reordered = { engines: input.engines, stats: input.stats, features: { ...input.features, promptTokens: 3.5 }, task: input.task, version: 1 };
    expect((await route(JSON.stringify(reordered, null, 4))).role).toBe("ux");
    const long = { ...reordered, features: { ...reordered.features, promptTokens: 150.5 } };
    expect((await route(JSON.stringify(long, null, "\t"))).reason).toBe("long prompt");
  });

  test("takes its thresholds from plugin config, falling back to the defaults on bad values", async () => {
    const tuned = await load({ longPromptTokens: "5", largeOutputTokens: "32", conversationMaxTokens: "0" });
    const chat = routeInput({ prompt: "hey, all good here, and you?" });
    expect(await route(chat, tuned)).toEqual({ role: "task", reason: "long prompt" });
    const short = routeInput({ prompt: "yo", maxTokens: 64 });
    expect(await route(short, tuned)).toEqual({ role: "task", reason: "large output budget" });
    expect(await route(routeInput({ prompt: "yo" }), tuned)).toEqual({ role: "ux", reason: "conversation" });
    await tuned.close();

    const broken = await load({ longPromptTokens: "many", largeOutputTokens: "-1", conversationMaxTokens: "none" });
    expect(await route(chat, broken)).toEqual({ role: "ux", reason: "conversation", maxTokens: 256 });
    expect(await route(routeInput({ prompt: "yo", maxTokens: 600 }), broken)).toEqual({ role: "task", reason: "large output budget" });
    await broken.close();
  });

  test("declares its manifest", async () => {
    const manifest = (await router.call("tale_manifest", ""))!.json();
    expect(manifest).toEqual({ name: "router", version: "1.0.0", hooks: ["task:route", "task:completed"], limits: { timeoutMs: 50 } });
  });

  test("accepts task:completed feedback and answers {}", async () => {
    const feedback = { version: 1, task: { id: "t-ü", kind: "prompt", role: "task", engine: "task", model: "m" }, outcome: "failed", errorCode: "TIMEOUT", usage: { promptTokens: 10, completionTokens: 0 }, latencyMs: null, ttftMs: null, attempts: 2 };
    expect((await router.call("task_completed", JSON.stringify(feedback)))!.json()).toEqual({});
    await expect(router.call("task_completed", JSON.stringify({ ...feedback, version: 2 }))).rejects.toThrow(/TaskCompletedInput/);
  });

  test("refuses malformed input with a plugin error and keeps working", async () => {
    const valid = routeInput({ prompt: "hello" });
    const bad = [
      ["not JSON", "route me"],
      ["an array", "[1,2]"],
      ["truncated", JSON.stringify(valid).slice(0, 80)],
      ["an unknown schema version", JSON.stringify({ ...valid, version: 2 })],
      ["no features", JSON.stringify({ version: 1 })],
      ["a string token count", JSON.stringify({ ...valid, features: { ...valid.features, promptTokens: "12" } })],
    ];
    for (const [name, text] of bad) {
      const error = await router.call("task_route", text!).then(() => undefined, (caught: Error) => caught);
      expect({ name, error: String(error) }).toEqual({ name, error: expect.stringContaining("Plugin-originated error: task:route") });
    }
    expect((await route(valid)).role).toBe("ux");
  });

  test("handles large inputs and keeps memory flat over many calls", async () => {
    const crowded = routeInput({ prompt: "write the report" }, { engines: { ux: Array.from({ length: 3000 }, (_, i) => `ux-engine-${i}`), task: ["task"] } });
    expect(JSON.stringify(crowded).length).toBeGreaterThan(40_000);
    expect((await route(crowded)).reason).toBe("work intent");

    const plugin = await load();
    const text = JSON.stringify(routeInput({ prompt: "how's the weather" }));
    for (let call = 0; call < 20_000; call++) {
      // Extism 1.0.3 never reuses host blocks; the host resets a plugin every few thousand calls (see platform notes).
      if (call % 5_000 === 4_999) await plugin.reset();
      await plugin.call("task_route", text);
    }
    const memory = (await plugin.getInstance()).exports.memory as WebAssembly.Memory;
    expect(memory.buffer.byteLength).toBe(65_536);
    // The declared maximum is what the host checks before loading: growing past 4 pages must fail.
    expect(() => memory.grow(4)).toThrow(RangeError);
    expect(memory.grow(3)).toBe(1);
    await plugin.close();
  });
});
