import { afterEach, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFaultServer, type FaultServer } from "../helpers/fault-server";
import { attributesOf, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "../helpers/otlp-receiver";
import { createTaleHome, type TaleHome } from "../helpers/tale";

/**
 * OpenTelemetry export from a real daemon (the compiled binary) to the OTLP
 * test receiver in tests/helpers/otlp-receiver.ts, which decodes what arrives
 * with the official OTLP protobuf definitions. Engines are the fault injector
 * as a remote engine, so a retry can be asked for.
 */
let tale: TaleHome | undefined;
let faults: FaultServer | undefined;
let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await tale?.cleanup();
  faults?.stop();
  receiver?.stop();
  tale = faults = receiver = undefined;
});

const canaryHeader = "otel-canary-header-5f1c9e";

test("GenAI metrics and one trace per task reach an OTLP/HTTP receiver; a retried task has two attempt spans", async () => {
  receiver = startOtlpReceiver();
  faults = startFaultServer();
  tale = createTaleHome({ OTEL_SERVICE_NAME: "tale-under-test" });
  const remote = { engine: "remote", baseUrl: faults.baseUrl, model: "fault-injector", slots: 4 };
  writeFileSync(
    join(tale.home, "config.json"),
    JSON.stringify({
      models: { ux: remote, task: remote },
      supervisor: { healthIntervalMs: 200 },
      pluginRuntime: { builtinRouter: false },
      otel: { endpoint: receiver.endpoint, headers: { "x-api-key": canaryHeader }, exportIntervalMs: 500 },
    }),
  );
  expect((await tale.run(["up"])).exitCode).toBe(0);

  const routed = JSON.parse((await tale.run(["submit", "hello", "--role", "auto", "--json"])).stdout);
  expect(routed.status).toBe("succeeded");
  faults.plan({ kind: "status", status: 503 });
  const retried = JSON.parse((await tale.run(["submit", "hello again", "--role", "task", "--json"])).stdout);
  expect(retried).toMatchObject({ status: "succeeded", attempts: 2 });
  // tale down flushes what is pending.
  expect((await tale.run(["down"])).exitCode).toBe(0);

  expect(receiver.requests.length).toBeGreaterThan(0);
  for (const request of receiver.requests) {
    expect(request.contentType).toBe("application/x-protobuf");
    expect(request.headers["x-api-key"]).toBe(canaryHeader);
  }

  // Metrics: names, units, attributes.
  const metrics = receiver.metrics();
  expect(attributesOf(metrics[0]!.resource)).toMatchObject({ "service.name": "tale-under-test" });
  const latest = new Map(metrics.map((metric) => [metric.name, metric])); // cumulative: the last export has it all
  const units = Object.fromEntries([...latest].map(([name, metric]) => [name, metric.unit]));
  expect(units).toMatchObject({
    "gen_ai.client.token.usage": "{token}",
    "gen_ai.client.operation.duration": "s",
    "gen_ai.server.request.duration": "s",
    "gen_ai.server.time_to_first_token": "s",
  });
  const points = (name: string) => latest.get(name)!.histogram!.dataPoints.map((point) => ({ ...point, attributes: attributesOf(point.attributes) }));
  const tokens = points("gen_ai.client.token.usage");
  for (const point of tokens) {
    expect(point.attributes).toMatchObject({ "gen_ai.operation.name": "chat", "gen_ai.provider.name": "tale", "gen_ai.request.model": "fault-injector", "gen_ai.response.model": "fault-injector" });
  }
  // One series per role and token type; two successful attempts in all, and the 503 read and wrote nothing.
  const countOf = (type: string) => tokens.filter((point) => point.attributes["gen_ai.token.type"] === type).reduce((sum, point) => sum + point.count, 0);
  expect([countOf("input"), countOf("output")]).toEqual([2, 2]);
  const attempts = points("gen_ai.client.operation.duration");
  expect(attempts.reduce((sum, point) => sum + point.count, 0)).toBe(3);
  const failed = attempts.find((point) => point.attributes["error.type"] !== undefined)!;
  expect(failed.count).toBe(1);
  expect(failed.attributes["tale.role"]).toBe("task");
  const requests = points("gen_ai.server.request.duration");
  expect(requests.map((point) => point.attributes["gen_ai.request.model"]).sort()).toEqual(["auto", "task"]);
  expect(points("gen_ai.server.time_to_first_token").reduce((sum, point) => sum + point.count, 0)).toBe(2);

  // Traces: one per task, its children under it.
  const spans = receiver.spans();
  const tree = (taskId: string) => {
    const root = spans.find((span) => span.name === "tale.task" && attributesOf(span.attributes)["tale.task.id"] === taskId)!;
    expect(root.parentSpanId).toBe("");
    const children = spans.filter((span) => span.parentSpanId === root.spanId);
    for (const span of children) {
      expect(span.traceId).toBe(root.traceId);
      expect(span.startTimeUnixNano).toBeGreaterThanOrEqual(root.startTimeUnixNano);
      expect(span.endTimeUnixNano).toBeLessThanOrEqual(root.endTimeUnixNano);
    }
    const named = (name: string) => children.filter((span) => span.name === name).sort((a, b) => a.startTimeUnixNano - b.startTimeUnixNano);
    return { root, named };
  };
  const outcome = (span: ReceivedSpan) => attributesOf(span.attributes)["tale.attempt.outcome"];

  const first = tree(routed.id);
  expect(first.named("tale.route")).toHaveLength(1);
  expect(attributesOf(first.named("tale.route")[0]!.attributes)["tale.route.decided_by"]).toBe("fallback");
  expect(first.named("tale.queue_wait")).toHaveLength(1);
  expect(first.named("chat fault-injector").map(outcome)).toEqual(["succeeded"]);
  expect(attributesOf(first.root.attributes)).toMatchObject({ "tale.task.status": "succeeded", "gen_ai.request.model": "auto" });

  const second = tree(retried.id);
  expect(second.named("tale.route")).toHaveLength(0); // the caller chose the role
  expect(second.named("tale.queue_wait")).toHaveLength(2);
  const secondAttempts = second.named("chat fault-injector");
  expect(secondAttempts.map(outcome)).toEqual(["retried", "succeeded"]);
  expect(secondAttempts[0]!.status.code).toBe("STATUS_CODE_ERROR");
  expect(attributesOf(second.root.attributes)).toMatchObject({ "tale.task.attempts": 2 });

  // Headers may carry keys: none reaches a log.
  const logDir = join(tale.home, "logs");
  for (const file of readdirSync(logDir)) expect(readFileSync(join(logDir, file), "utf8")).not.toContain(canaryHeader);
});

test("an unreachable collector: tasks run, the failure is logged once per signal, and tale down is not held up", async () => {
  const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const endpoint = `http://127.0.0.1:${closed.port}`;
  closed.stop(true);
  faults = startFaultServer();
  tale = createTaleHome({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${canaryHeader}` });
  const remote = { engine: "remote", baseUrl: faults.baseUrl, model: "fault-injector", slots: 4 };
  writeFileSync(join(tale.home, "config.json"), JSON.stringify({ models: { ux: remote, task: remote }, pluginRuntime: { builtinRouter: false }, otel: { exportIntervalMs: 200 } }));
  expect((await tale.run(["up"])).exitCode).toBe(0);
  for (let index = 0; index < 3; index++) expect(JSON.parse((await tale.run(["submit", `hello ${index}`, "--json"])).stdout).status).toBe("succeeded");

  const daemonLog = join(tale.home, "logs", "daemon.log");
  const failures = () => readFileSync(daemonLog, "utf8").split("\n").filter((line) => line.includes("OpenTelemetry export of"));
  // The exporter retries for up to its 5 s timeout before it calls an export failed.
  const deadline = Date.now() + 15_000;
  while (failures().length < 2 && Date.now() < deadline) await Bun.sleep(200);
  await Bun.sleep(1_000);
  // Dozens of metric exports failed by now: one warning per signal.
  expect(failures()).toHaveLength(2);
  expect(failures().join("\n")).toContain(endpoint);

  const started = Date.now();
  expect((await tale.run(["down"])).exitCode).toBe(0);
  console.log(`tale down with an unreachable collector: ${Date.now() - started} ms`);
  expect(Date.now() - started).toBeLessThan(8_000);
  const logDir = join(tale.home, "logs");
  for (const file of readdirSync(logDir)) expect(readFileSync(join(logDir, file), "utf8")).not.toContain(canaryHeader);
});
