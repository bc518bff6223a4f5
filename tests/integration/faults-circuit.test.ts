import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSupervisor, supervisorPool, type Supervisor, type SupervisorOptions } from "../../src/supervisor";
import { engineState, freePort, miniServerEngine, miniServerScript, recordStates, supervisionConfig, waitUntil } from "../helpers/supervision";

let dir: string;
const supervisors: Supervisor[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tale-faults-circuit-"));
});

afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stop()));
  rmSync(dir, { recursive: true, force: true });
});

function supervise(options: Omit<SupervisorOptions, "logDir" | "log">, lines: string[] = []): Supervisor {
  const supervisor = createSupervisor({ logDir: dir, log: (line) => lines.push(line), stopGraceMs: 500, healthTimeoutMs: 1000, ...options });
  supervisors.push(supervisor);
  return supervisor;
}

/** A real process engine that dies at once until `okFile` exists, then serves like llama-server would. */
function flakyEngine(okFile: string, port: number) {
  const serve = `exec ${process.execPath} ${miniServerScript} --port ${port}`;
  return { engine: "process" as const, command: ["sh", "-c", `if [ -f ${okFile} ]; then ${serve}; else echo 'error: cannot load model' >&2; exit 3; fi`], port };
}

describe("engine circuit (real process engines)", () => {
  test("a crash loop opens the circuit; a failed trial re-opens it; a healthy trial closes it", async () => {
    const okFile = join(dir, "ok");
    const lines: string[] = [];
    const supervisor = supervise(
      { config: supervisionConfig({ task: flakyEngine(okFile, freePort()) }, { crashLoopCount: 2, crashLoopWindowMs: 10_000, circuitCooldownMs: 300 }) },
      lines,
    );
    const recorder = recordStates(supervisor);
    await supervisor.start();
    await waitUntil(() => engineState(supervisor, "task-0") === "failed", "the circuit opens");

    const opened = supervisor.snapshot()[0]!;
    expect(opened.circuit).toBe("open");
    expect(Date.parse(opened.circuitRetryAt!)).toBeGreaterThan(Date.now() - 50);
    expect(opened.lastError!.message).toContain("failed 2 times within 10 s");
    expect(opened.lastError!.message).toContain("opened its circuit");
    expect(opened.lastError!.message).toContain("one trial start follows in 0.3 s");
    expect(opened.lastError!.hint).toContain("cannot load model");

    // The trial after the cool-down fails too: open again at once, with no backoff restarts in between.
    await waitUntil(() => lines.some((line) => line.includes("failed its trial start")), "the first trial fails", 5000);
    await waitUntil(() => engineState(supervisor, "task-0") === "failed", "the circuit re-opens");
    expect(supervisor.snapshot()[0]!.circuit).toBe("open");

    writeFileSync(okFile, "");
    await waitUntil(() => engineState(supervisor, "task-0") === "healthy", "a trial start succeeds", 8000);
    const closed = supervisor.snapshot()[0]!;
    expect(closed.circuit).toBe("closed");
    expect(closed.circuitRetryAt).toBeNull();
    expect(lines.some((line) => line.includes("passed its trial start; circuit closed"))).toBe(true);

    const states = recorder.states("task-0");
    const firstFailed = states.indexOf("failed");
    // Every trial start comes straight from "failed": half-open, not a backoff restart.
    expect(states.slice(firstFailed, firstFailed + 4)).toEqual(["failed", "starting", "crashed", "failed"]);
    expect(states.at(-1)).toBe("healthy");
  }, 20_000);

  test("with no engine of the role able to run, the pool serves it from the fallback role and says so", async () => {
    const lines: string[] = [];
    const supervisor = supervise({
      config: supervisionConfig(
        { ux: miniServerEngine(freePort()), task: flakyEngine(join(dir, "never"), freePort()) },
        { crashLoopCount: 1, circuitCooldownMs: 60_000, fallback: { task: "ux" } },
      ),
    });
    const pool = supervisorPool(supervisor, { log: (line) => lines.push(line) });
    await supervisor.start();
    await waitUntil(() => engineState(supervisor, "task-0") === "failed", "the task circuit opens");

    expect(pool.availability("task")).toEqual({ state: "ready" });
    const lease = pool.acquire("task");
    expect(lease).toMatchObject({ engineId: "ux-0", role: "ux", fallbackFrom: "task", degraded: true });
    lease!.release();
    expect(lines).toEqual(["Every task engine has failed; ux engines serve task requests (results marked degraded)."]);

    const own = pool.acquire("ux");
    expect(own).toMatchObject({ engineId: "ux-0", role: "ux", fallbackFrom: null, degraded: false });
    own!.release();
  }, 15_000);

  test("without a fallback the role reports why it cannot run", async () => {
    const supervisor = supervise({
      config: supervisionConfig({ ux: miniServerEngine(freePort()), task: flakyEngine(join(dir, "never"), freePort()) }, { crashLoopCount: 1 }),
    });
    const pool = supervisorPool(supervisor);
    await supervisor.start();
    await waitUntil(() => engineState(supervisor, "task-0") === "failed", "the task circuit opens");
    const availability = pool.availability("task");
    expect(availability.state).toBe("failed");
    expect(availability.state === "failed" && availability.error.message).toContain("opened its circuit");
    expect(pool.acquire("task")).toBeUndefined();
  }, 15_000);
});
