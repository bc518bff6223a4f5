import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { defaultMix } from "../../src/cli/stress/mix";
import { formatReport } from "../../src/cli/stress/report";
import { runStress, type StressProgress } from "../../src/cli/stress/run";
import { createTaleHome, type TaleHome } from "../helpers/tale";

/** The stress runner against the real daemon and the default models: every acknowledged task must end. */
describe("stress run", () => {
  let tale: TaleHome;
  let connection: { baseUrl: string; token: string };

  beforeAll(async () => {
    tale = createTaleHome();
    expect((await tale.run(["up"])).exitCode).toBe(0);
    connection = tale.connection();
  }, 60_000);
  afterAll(() => tale.cleanup());

  test("250 tasks from 50 clients with an engine killed part-way: none lost, recovery reported", async () => {
    const progress: StressProgress[] = [];
    const report = await runStress({
      ...connection,
      tasks: 250,
      concurrency: 50,
      durationMs: 25_000,
      mix: defaultMix,
      chaos: true,
      maxKills: 1,
      progressIntervalMs: 200,
      taskWaitMs: 25_000,
      onProgress: (step) => progress.push(step),
    });
    console.log(formatReport(report));
    expect(report.tasks.submitted).toBe(250);
    expect(report.tasks.lost).toBe(0);
    expect(report.tasks.succeeded + report.tasks.failed + report.tasks.cancelled + report.tasks.timedOut).toBe(250);
    expect(report.tasks.succeeded).toBeGreaterThan(200);
    expect(report.latencyMs.ux!.count).toBeGreaterThan(0);
    expect(report.latencyMs.task!.p99).toBeGreaterThanOrEqual(report.latencyMs.task!.p50);
    expect(report.chaos.length).toBe(1);
    expect(report.chaos[0]!.recoveredMs).not.toBeNull();
    expect(progress.some((step) => step.running > 0 || step.queued > 0)).toBe(true);
    expect(progress.at(-1)!.done).toBe(250);
  }, 40_000);
});
