import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promtoolCheck } from "../helpers/promtool";
import { startPrometheus, type PrometheusServer } from "../helpers/prometheus";
import { createTaleHome, waitFor, type TaleHome } from "../helpers/tale";

/** /metrics and the health routes of a real daemon after real tasks, checked by promtool and scraped by a real Prometheus. */
describe("metrics export", () => {
  let tale: TaleHome;
  let prometheus: PrometheusServer | undefined;
  const get = (path: string, token?: string) => {
    const { baseUrl } = tale.connection();
    return fetch(`${baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  };

  beforeAll(async () => {
    tale = createTaleHome();
    writeFileSync(join(tale.home, "config.json"), JSON.stringify({ api: { rateLimitPerMinute: 60, rateLimitBurst: 10 } }));
    for (const [prompt, role] of [["hi", "ux"], ["hello there", "auto"], ["Write a Python function that parses a CSV file", "task"]] as const) {
      const task = await tale.json(["submit", prompt, "--role", role, "--max-tokens", "4"]);
      expect(task.status).toBe("succeeded");
    }
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
    await tale.cleanup();
  });

  test("GET /metrics needs the token and passes promtool with no warning", async () => {
    expect((await get("/metrics")).status).toBe(401);
    const response = await get("/metrics", tale.connection().token);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const text = await response.text();
    expect(promtoolCheck(text)).toEqual({ exitCode: 0, output: "" });
    expect(text).toMatch(/^tale_requests_total\{role="ux",engine="ux-0",model="[^"]+",outcome="succeeded"\} [1-9]/m);
    expect(text).toMatch(/^tale_engine_state\{role="task",engine="task-0",model="[^"]+",state="healthy"\} 1$/m);
    expect(text).toMatch(/^tale_engine_process_resident_memory_bytes\{role="ux",engine="ux-0",model="[^"]+",process="engine"\} [1-9]\d+$/m);
    expect(text).toMatch(/^tale_plugin_call_duration_seconds_count\{plugin="router"\} [1-9]/m);
    expect(text).toMatch(/^tale_routing_decisions_total\{role="\w+",routed_by="plugin:router"\} 1$/m);
    expect(text).toMatch(/^tale_ledger_tokens\{role="task",type="prompt"\} [1-9]/m);
    expect(text).toMatch(/^tale_database_size_bytes [1-9]/m);
  });

  test("refusals are counted by code where the API answers them", async () => {
    const { baseUrl, token } = tale.connection();
    const submit = () =>
      fetch(`${baseUrl}/v1/tasks`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-tale-client": "flood" },
        body: JSON.stringify({ prompt: "hi", role: "ux", max_tokens: 1 }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await submit()).status);
    const refused = statuses.filter((status) => status === 429).length;
    expect(refused).toBeGreaterThan(0);
    const text = await (await get("/metrics", token)).text();
    expect(text).toContain(`tale_scheduler_refusals_total{code="RATE_LIMITED"} ${refused}`);
    expect(text).toContain('tale_scheduler_refusals_total{code="OVERLOADED"} 0');
  });

  test("liveness answers without the token and says nothing more; readiness needs it and checks the store and engines", async () => {
    const live = await get("/health");
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });
    expect((await get("/health/ready")).status).toBe(401);
    const ready = await get("/health/ready", tale.connection().token);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", ready: true, store: { writable: true }, engines: { ux: { healthy: 1, total: 1 }, task: { healthy: 1, total: 1 } } });
  });

  test("a real Prometheus scrapes the daemon with the token file and has tale's series", async () => {
    const { baseUrl } = tale.connection();
    prometheus = await startPrometheus({ target: baseUrl.replace("http://", ""), tokenFile: join(tale.home, "token") });
    const server = prometheus;
    const up = await waitFor(async () => (await server.query('up{job="tale"} == 1')).length > 0, 20_000, "a successful scrape");
    expect(up).toBe(true);
    const requests = await server.query('sum by (role) (tale_requests_total{outcome="succeeded"})');
    expect(Object.fromEntries(requests.map((sample) => [sample.metric.role, Number(sample.value[1])]))).toMatchObject({ ux: expect.any(Number), task: expect.any(Number) });
    expect(await server.query("tale_time_to_first_token_seconds_count")).not.toHaveLength(0);
    expect(await server.query('tale_engine_slots{engine="ux-0"}')).toHaveLength(1);
    // Prometheus saw every sample it stored as valid: nothing was dropped for its format.
    expect(await server.query('scrape_samples_scraped{job="tale"} > 100')).toHaveLength(1);
  }, 30_000);
});

test("with metrics.enabled false /metrics answers 404 and says how to turn it on; the health routes still answer", async () => {
  const tale = createTaleHome();
  try {
    writeFileSync(join(tale.home, "config.json"), JSON.stringify({ metrics: { enabled: false } }));
    expect((await tale.run(["up"])).exitCode).toBe(0);
    const { baseUrl, token } = tale.connection();
    const response = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(404);
    const { error } = (await response.json()) as { error: { code: string; hint: string } };
    expect(error.code).toBe("NOT_FOUND");
    expect(error.hint).toContain("metrics.enabled");
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
  } finally {
    await tale.cleanup();
  }
}, 60_000);
