import { afterEach, expect, test } from "bun:test";
import { resolve } from "node:path";
import { createDefaultConfig } from "../../src/config";
import { startOtel, otelTargets } from "../../src/otel";
import type { AttemptEnd } from "../../src/scheduler";
import type { Task } from "../../src/store";
import { attributesOf, startOtlpReceiver, type OtlpReceiver } from "../helpers/otlp-receiver";
import { waitFor } from "../helpers/tale";

/** The sink in process, fed the scheduler's own event order, decoded by the test receiver. */
let receiver: OtlpReceiver | undefined;
afterEach(() => receiver?.stop());

const otelConfig = (overrides: Partial<ReturnType<typeof createDefaultConfig>["otel"]>) => ({ ...createDefaultConfig().otel, ...overrides });
const log = { warnings: [] as string[], warn(message: string) { this.warnings.push(message); } };

function task(overrides: Partial<Task>): Task {
  return {
    id: "t1", status: "queued", kind: "prompt", prompt: "hi", messages: null, roleRequested: "auto", role: "ux", engine: null, model: null,
    priority: 0, maxTokens: null, timeoutMs: null, output: null, errorCode: null, errorMessage: null, errorHint: null, promptTokens: 0,
    completionTokens: 0, attempts: 0, createdAt: 1_000_000, startedAt: null, firstTokenAt: null, finishedAt: null, finishReason: null,
    client: null, routedBy: "fallback", routeReason: null, fallbackFrom: null, degraded: false, queueWaitMs: null, ttftMs: null, totalMs: null,
    ...overrides,
  };
}

test("no endpoint: nothing is started and the OpenTelemetry SDK is never loaded", async () => {
  expect(otelTargets(otelConfig({}))).toBeUndefined();
  // In a fresh process: this one has loaded the SDK for the other tests. @opentelemetry/api does not count: prom-client loads it for its exemplars.
  const script = `
    const { startOtel } = await import(${JSON.stringify(resolve(import.meta.dir, "../../src/otel/index.ts"))});
    await import(${JSON.stringify(resolve(import.meta.dir, "../../src/daemon/core.ts"))});
    const { createDefaultConfig } = await import(${JSON.stringify(resolve(import.meta.dir, "../../src/config/index.ts"))});
    const sink = await startOtel(createDefaultConfig().otel, { log: console, serviceVersion: "0" });
    console.log(JSON.stringify({ sink: sink === undefined ? "none" : "started", loaded: Object.keys(require.cache).filter((path) => path.includes("@opentelemetry/") && !path.includes("@opentelemetry/api/")).length }));`;
  const child = Bun.spawnSync([process.execPath, "-e", script], { stderr: "inherit" });
  expect(JSON.parse(child.stdout.toString())).toEqual({ sink: "none", loaded: 0 });
  expect(otelTargets(otelConfig({ endpoint: "http://c:4318/" }))).toMatchObject({ metricsUrl: "http://c:4318/v1/metrics", tracesUrl: "http://c:4318/v1/traces" });
  expect(otelTargets(otelConfig({ tracesEndpoint: "http://t/x" }))).toMatchObject({ metricsUrl: undefined, tracesUrl: "http://t/x" });
});

test("a retried task: one trace with route, two queue waits and two attempt spans; GenAI metrics per attempt and per task", async () => {
  receiver = startOtlpReceiver();
  const sink = (await startOtel(otelConfig({ endpoint: receiver.endpoint, headers: { "x-api-key": "canary-key" } }), { log, serviceVersion: "1.2.3" }))!;
  const t0 = Date.now() - 10_000;
  const attempt = (over: Partial<AttemptEnd>): AttemptEnd => ({
    task: task({}), attempt: 1, role: "ux", engine: "ux-0", model: "tiny", outcome: "succeeded", errorCode: null,
    usage: { promptTokens: 5, completionTokens: 9 }, latencyMs: 500, ttftMs: 100, ...over,
  });
  sink.routed({ taskId: "t1", startedAt: t0, endedAt: t0 + 3, decision: { role: "ux", reason: "short", decidedBy: "fallback" } });
  sink.taskChanged(task({ createdAt: t0 + 4 }));
  sink.taskChanged(task({ createdAt: t0 + 4, status: "running", attempts: 1, startedAt: t0 + 50, engine: "ux-0" }));
  sink.taskChanged(task({ createdAt: t0 + 4, status: "queued", attempts: 1 }));
  sink.attemptEnded(attempt({ outcome: "retried", errorCode: "ENGINE_CRASHED", latencyMs: 200, ttftMs: null, usage: { promptTokens: 0, completionTokens: 0 } }));
  sink.taskChanged(task({ createdAt: t0 + 4, status: "running", attempts: 2, startedAt: t0 + 1000, engine: "ux-0" }));
  const done = task({ createdAt: t0 + 4, status: "succeeded", attempts: 2, startedAt: t0 + 1000, finishedAt: t0 + 1500, engine: "ux-0", model: "tiny", promptTokens: 5, completionTokens: 9, ttftMs: 1096, totalMs: 1496 });
  sink.taskChanged(done);
  sink.attemptEnded(attempt({ attempt: 2, task: done }));
  await sink.shutdown();

  expect(receiver.requests.every((request) => request.contentType === "application/x-protobuf" && request.headers["x-api-key"] === "canary-key")).toBe(true);
  const spans = receiver.spans();
  const root = spans.find((span) => span.name === "tale.task")!;
  expect(root.parentSpanId).toBe("");
  expect(attributesOf(root.attributes)).toMatchObject({ "tale.task.id": "t1", "tale.task.status": "succeeded", "tale.task.attempts": 2 });
  expect(root.startTimeUnixNano / 1e6).toBeCloseTo(t0, -1);
  expect(root.endTimeUnixNano / 1e6).toBeCloseTo(t0 + 1500, -1);
  const children = spans.filter((span) => span.parentSpanId === root.spanId);
  expect(children.every((span) => span.traceId === root.traceId)).toBe(true);
  expect(children.map((span) => span.name).sort()).toEqual(["chat tiny", "chat tiny", "tale.queue_wait", "tale.queue_wait", "tale.route"]);
  const attempts = children.filter((span) => span.name === "chat tiny").sort((a, b) => a.startTimeUnixNano - b.startTimeUnixNano);
  expect(attempts.map((span) => attributesOf(span.attributes)["tale.attempt.outcome"])).toEqual(["retried", "succeeded"]);
  expect(attributesOf(attempts[0]!.attributes)["error.type"]).toBe("ENGINE_CRASHED");
  expect(attempts[0]!.status.code).toBe("STATUS_CODE_ERROR");
  expect((attempts[1]!.endTimeUnixNano - attempts[1]!.startTimeUnixNano) / 1e6).toBeCloseTo(500, 0);
  expect(attempts[1]!.events.map((event) => event.name)).toEqual(["first token"]);

  const metrics = receiver.metrics();
  const byName = new Map(metrics.map((metric) => [metric.name, metric]));
  expect(byName.get("gen_ai.client.token.usage")).toMatchObject({ unit: "{token}" });
  for (const name of ["gen_ai.client.operation.duration", "gen_ai.server.request.duration", "gen_ai.server.time_to_first_token", "gen_ai.server.time_per_output_token"]) {
    expect(byName.get(name)?.unit).toBe("s");
  }
  const points = (name: string) => byName.get(name)!.histogram!.dataPoints.map((point) => ({ ...point, attributes: attributesOf(point.attributes) }));
  expect(points("gen_ai.client.token.usage").map((point) => [point.attributes["gen_ai.token.type"], point.sum]).sort()).toEqual([["input", 5], ["output", 9]]);
  expect(points("gen_ai.client.operation.duration").map((point) => point.attributes["error.type"] ?? "none").sort()).toEqual(["ENGINE_CRASHED", "none"]);
  const [request] = points("gen_ai.server.request.duration");
  expect(request!.attributes).toMatchObject({ "gen_ai.operation.name": "chat", "gen_ai.provider.name": "tale", "gen_ai.request.model": "auto", "gen_ai.response.model": "tiny", "tale.role": "ux", "tale.engine": "ux-0" });
  expect(request!.explicitBounds).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
  expect(points("gen_ai.server.time_per_output_token")[0]!.sum).toBeCloseTo(0.4 / 8, 5);
  expect(attributesOf(metrics[0]!.resource)).toMatchObject({ "service.name": "tale", "service.version": "1.2.3" });
  expect(log.warnings).toEqual([]);
});

test("traceSampleRatio 0 traces no task and still counts every one in the metrics", async () => {
  receiver = startOtlpReceiver();
  const sink = (await startOtel(otelConfig({ endpoint: receiver.endpoint, traceSampleRatio: 0 }), { log, serviceVersion: "0" }))!;
  const now = Date.now();
  sink.taskChanged(task({ createdAt: now }));
  sink.taskChanged(task({ createdAt: now, status: "cancelled", finishedAt: now + 1, totalMs: 1 }));
  await sink.shutdown();
  expect(receiver.spans()).toEqual([]);
  expect(receiver.metrics().map((metric) => metric.name)).toContain("gen_ai.server.request.duration");
});

test("an unreachable collector is logged once per signal, without its headers, and never throws", async () => {
  const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const endpoint = `http://127.0.0.1:${closed.port}`;
  closed.stop(true);
  const warnings: string[] = [];
  const config = otelConfig({ endpoint, headers: { authorization: "Bearer canary-secret-123" }, exportIntervalMs: 200 });
  const sink = (await startOtel(config, { log: { warn: (m) => warnings.push(m) }, serviceVersion: "0" }))!;
  sink.taskChanged(task({ createdAt: Date.now() }));
  sink.taskChanged(task({ createdAt: Date.now(), status: "cancelled", finishedAt: Date.now(), totalMs: 1 }));
  // The exporter retries for up to its 5 s timeout before it calls an export failed; metrics keep being exported every 200 ms meanwhile.
  await waitFor(() => warnings.length >= 2, 12_000, "the metrics and traces export failures");
  await Bun.sleep(1_000);
  const started = Date.now();
  await sink.shutdown();
  expect(Date.now() - started).toBeLessThan(3_500);
  // Dozens of failed metric exports, one warning per signal.
  expect(warnings.length).toBe(2);
  expect(warnings.join("\n")).toContain(endpoint);
  expect(warnings.join("\n")).not.toContain("canary-secret-123");
});
