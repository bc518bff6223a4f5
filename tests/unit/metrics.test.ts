import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TokenReport } from "../../src/ledger";
import { createMetrics } from "../../src/metrics";
import type { PluginSnapshot } from "../../src/plugins";
import type { AttemptEnd } from "../../src/scheduler";
import type { Task } from "../../src/store";
import type { EngineSnapshot } from "../../src/supervisor";
import { promtoolCheck } from "../helpers/promtool";

const home = mkdtempSync(join(tmpdir(), "tale-metrics-"));
writeFileSync(join(home, "tale.db"), Buffer.alloc(4096));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const engine = (id: string, role: "ux" | "task", overrides: Partial<EngineSnapshot> = {}): EngineSnapshot => ({
  id,
  role,
  kind: "builtin",
  state: "healthy",
  model: `${role}-model`,
  parameters: 1000,
  // This test process stands in for the engine, so its /proc files are real.
  pid: process.pid,
  sparePid: null,
  port: 1,
  baseUrl: null,
  uptimeMs: 1,
  restarts: 2,
  circuit: "closed",
  circuitRetryAt: null,
  slots: { total: 2, inFlight: 1 },
  healthCheckMs: 1.5,
  lastError: null,
  ...overrides,
});

const plugin = { name: "router", calls: 10, failures: 1, timeouts: 1, shortCircuited: 3, totalMs: 20, p50Ms: 1, p99Ms: 5, breaker: "closed", state: "ready", pid: process.pid, restarts: 1 } as PluginSnapshot;

const tokens: TokenReport = {
  since: null,
  totals: {
    byRole: [
      { role: "ux", calls: 3, promptTokens: 30, completionTokens: 12, totalTokens: 42 },
      { role: "task", calls: 1, promptTokens: 10, completionTokens: 8, totalTokens: 18 },
    ],
    byDay: [],
    byModel: [],
  },
  savings: { actual: 22.2, baseline: 60, percent: 63, baselineModel: "task-model", weights: {}, formula: "", notes: [] },
};

const task = (overrides: Partial<Task>): Task =>
  ({ id: "t_1", status: "queued", role: "ux", engine: null, model: null, priority: 0, attempts: 0, routedBy: "plugin:router", queueWaitMs: null, ttftMs: null, totalMs: null, ...overrides }) as Task;

const attempt = (overrides: Partial<AttemptEnd>): AttemptEnd => ({
  task: task({}),
  attempt: 1,
  role: "ux",
  engine: "ux-0",
  model: "ux-model",
  outcome: "succeeded",
  errorCode: null,
  usage: { promptTokens: 7, completionTokens: 11 },
  latencyMs: 120,
  ttftMs: 20,
  ...overrides,
});

describe("the metrics registry", () => {
  const metrics = createMetrics({
    engines: () => [engine("ux-0", "ux", { sparePid: process.pid }), engine("task-0", "task", { state: "failed", circuit: "open", pid: null })],
    plugins: () => [plugin],
    tokens: () => tokens,
    queued: () => [task({ id: "t_old", priority: 100 })],
    home,
    databasePath: join(home, "tale.db"),
  });
  afterAll(() => metrics.close());

  // A task's life as the scheduler reports it: admitted, running, one retried attempt, then done.
  metrics.taskChanged(task({}));
  metrics.taskChanged(task({ status: "running", engine: "ux-0", model: "ux-model", attempts: 1, queueWaitMs: 50 }));
  metrics.attemptEnded(attempt({ outcome: "retried", usage: { promptTokens: 7, completionTokens: 0 }, ttftMs: null }));
  metrics.taskChanged(task({ status: "queued", engine: "ux-0", model: "ux-model", attempts: 1 }));
  metrics.taskChanged(task({ status: "running", engine: "ux-0", model: "ux-model", attempts: 2, queueWaitMs: 400 }));
  metrics.attemptEnded(attempt({ attempt: 2 }));
  metrics.taskChanged(task({ status: "succeeded", engine: "ux-0", model: "ux-model", attempts: 2, ttftMs: 430, totalMs: 530 }));
  metrics.taskChanged(task({ id: "t_2", priority: -10, role: "task", routedBy: "explicit" }));
  metrics.refused("OVERLOADED");
  metrics.refused("NOT_FOUND");

  test("promtool accepts the exposition with no warning", async () => {
    const text = await metrics.scrape();
    expect(promtoolCheck(text)).toEqual({ exitCode: 0, output: "" });
  });

  test("requests, tokens and their histograms carry role, engine and model, and count what happened", async () => {
    const text = await metrics.scrape();
    const labels = 'role="ux",engine="ux-0",model="ux-model"';
    expect(text).toContain(`tale_requests_total{${labels},outcome="retried"} 1`);
    expect(text).toContain(`tale_requests_total{${labels},outcome="succeeded"} 1`);
    expect(text).toContain(`tale_prompt_tokens_total{${labels}} 14`);
    expect(text).toContain(`tale_generation_tokens_total{${labels}} 11`);
    // (120 - 20) ms over the 10 tokens after the first: 0.01 s each.
    expect(text).toContain(`tale_time_per_output_token_seconds_sum{${labels}} 0.01`);
    expect(text).toContain(`tale_time_to_first_token_seconds_sum{${labels}} 0.43`);
    expect(text).toContain(`tale_e2e_request_latency_seconds_count{${labels},status="succeeded"} 1`);
    // Only the first attempt's start is queue time; the retry's wait is not counted twice.
    expect(text).toContain('tale_request_queue_time_seconds_sum{role="ux"} 0.05');
    expect(text).toContain('tale_scheduler_retries_total{role="ux",engine="ux-0"} 1');
    expect(text).toContain('tale_tasks_finished_total{role="ux",status="succeeded"} 1');
  });

  test("admissions, routing, refusals and the queue by priority", async () => {
    const text = await metrics.scrape();
    expect(text).toContain('tale_scheduler_admissions_total{role="ux"} 1');
    expect(text).toContain('tale_routing_decisions_total{role="ux",routed_by="plugin:router"} 1');
    expect(text).toContain('tale_routing_decisions_total{role="task",routed_by="explicit"} 1');
    expect(text).toContain('tale_scheduler_refusals_total{code="OVERLOADED"} 1');
    expect(text).toContain('tale_scheduler_refusals_total{code="RATE_LIMITED"} 0');
    expect(text).not.toContain("NOT_FOUND");
    // t_old was queued before the daemon started; t_2 is new.
    expect(text).toContain('tale_num_requests_waiting{priority="critical"} 1');
    expect(text).toContain('tale_num_requests_waiting{priority="low"} 1');
    expect(text).toContain('tale_num_requests_waiting{priority="normal"} 0');
  });

  test("engines: state, circuit, restarts, slots, health checks and their processes", async () => {
    await metrics.scrape();
    await Bun.sleep(20);
    const text = await metrics.scrape();
    expect(text).toContain('tale_engine_state{role="ux",engine="ux-0",model="ux-model",state="healthy"} 1');
    expect(text).toContain('tale_engine_state{role="task",engine="task-0",model="task-model",state="failed"} 1');
    expect(text).toContain('tale_engine_circuit_state{role="task",engine="task-0",model="task-model",state="open"} 1');
    expect(text).toContain('tale_engine_restarts_total{role="ux",engine="ux-0",model="ux-model"} 2');
    expect(text).toContain('tale_engine_slots_in_use{role="ux",engine="ux-0",model="ux-model"} 1');
    expect(text).toContain('tale_engine_health_check_seconds{role="ux",engine="ux-0",model="ux-model"} 0.0015');
    expect(text).toMatch(/tale_engine_process_resident_memory_bytes\{role="ux",engine="ux-0",model="ux-model",process="spare"\} [1-9]\d+/);
    expect(text).toMatch(/tale_engine_process_cpu_percent\{role="ux",engine="ux-0",model="ux-model",process="engine"\} \d/);
    // A stopped engine has no process, so no process series.
    expect(text).not.toContain('tale_engine_process_resident_memory_bytes{role="task"');
  });

  test("plugins, ledger and system", async () => {
    const text = await metrics.scrape();
    expect(text).toContain('tale_plugin_call_duration_seconds{plugin="router",quantile="0.99"} 0.005');
    expect(text).toContain('tale_plugin_call_duration_seconds_count{plugin="router"} 10');
    expect(text).toContain('tale_plugin_call_timeouts_total{plugin="router"} 1');
    expect(text).toContain('tale_plugin_breaker_state{plugin="router",state="closed"} 1');
    expect(text).toContain('tale_ledger_tokens{role="ux",type="completion"} 12');
    expect(text).toContain("tale_ledger_tokens_saved 37.8");
    expect(text).toContain("tale_ledger_savings_ratio 0.63");
    expect(text).toContain("tale_database_size_bytes 4096");
    expect(text).toContain("tale_database_wal_size_bytes 0");
    for (const name of ["tale_host_cpu_percent", "tale_host_memory_available_bytes", "tale_host_swap_bytes", "tale_home_filesystem_free_bytes", "tale_process_resident_memory_bytes", "tale_process_cpu_seconds_total", 'tale_host_load_average{window="1m"}', 'tale_host_network_receive_bytes_total{device="lo"}']) {
      expect(text).toMatch(new RegExp(`^${name.replace(/[{}]/g, "\\$&")} \\d`, "m"));
    }
    expect(text).toContain("tale_event_loop_lag_seconds_count");
  });

  test("docs/metrics.md lists exactly the metrics the registry exposes", async () => {
    const exposed = [...(await metrics.scrape()).matchAll(/^# HELP (\S+) /gm)].map((match) => match[1]).sort();
    const documented = [...readFileSync(join(import.meta.dir, "../../docs/metrics.md"), "utf8").matchAll(/^\| `(tale_\w+)` \|/gm)].map((match) => match[1]).sort();
    expect(documented).toEqual(exposed);
  });

  test("no label is ever a task id or a prompt", async () => {
    expect(await metrics.scrape()).not.toMatch(/t_1|t_2|t_old/);
  });
});
