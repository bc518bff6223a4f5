import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTaleConfig } from "../../src/config/index.ts";
import { TaleError } from "../../src/errors/index.ts";

let home: string;
beforeEach(() => (home = mkdtempSync(join(tmpdir(), "tale-otel-config-"))));
afterEach(() => rmSync(home, { recursive: true, force: true }));

const load = (env: Record<string, string> = {}) => loadTaleConfig({ home, cwd: home, env }).then((loaded) => loaded.config.otel);

test("export is off by default", async () => {
  expect(await load()).toEqual({ endpoint: "", metricsEndpoint: "", tracesEndpoint: "", headers: {}, exportIntervalMs: 10_000, serviceName: "tale", traceSampleRatio: 1 });
});

test("the standard OTEL_* variables set the otel section, above the config file", async () => {
  writeFileSync(join(home, "config.json"), JSON.stringify({ otel: { endpoint: "http://127.0.0.1:1", headers: { "x-from-file": "a" } } }));
  const otel = await load({
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example/v1/traces",
    OTEL_EXPORTER_OTLP_HEADERS: "api-key=s%3Dcret , x-team=ml",
    OTEL_METRIC_EXPORT_INTERVAL: "2500",
    OTEL_SERVICE_NAME: "tale-prod",
  });
  expect(otel).toEqual({
    endpoint: "http://collector:4318",
    metricsEndpoint: "",
    tracesEndpoint: "https://traces.example/v1/traces",
    headers: { "x-from-file": "a", "api-key": "s=cret", "x-team": "ml" },
    exportIntervalMs: 2500,
    serviceName: "tale-prod",
    traceSampleRatio: 1,
  });
});

test("an endpoint that is not an http(s) URL is refused, naming the variable", async () => {
  const error = await load({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }).catch((thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(TaleError);
  expect((error as TaleError).code).toBe("CONFIG");
  expect((error as TaleError).message).toContain("OTEL_EXPORTER_OTLP_ENDPOINT");
  expect((error as TaleError).message).toContain("otel.endpoint");
});
