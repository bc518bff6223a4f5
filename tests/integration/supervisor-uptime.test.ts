import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createSupervisor, supervisorPool, type Supervisor, type SupervisorOptions } from "../../src/supervisor";
import { engineState, freePort, miniServerScript, recordStates, supervisionConfig, waitUntil } from "../helpers/supervision";
import { hasSharedModel, repoRoot, sharedModel } from "../helpers/tale";

/**
 * Issue 8 item 11: a crash counts toward the crash loop only when the engine
 * died before it had been healthy for supervisor.minUptimeMs (pm2's
 * min_uptime). The crash-loop settings are the defaults: 5 crashes in 60 s.
 */
let dir: string;
const supervisors: Supervisor[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tale-uptime-"));
});

afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stop()));
  rmSync(dir, { recursive: true, force: true });
});

function supervise(options: Omit<SupervisorOptions, "logDir" | "log">, lines: string[]): Supervisor {
  const supervisor = createSupervisor({ logDir: dir, log: (line) => lines.push(line), stopGraceMs: 500, healthTimeoutMs: 1000, ...options });
  supervisors.push(supervisor);
  return supervisor;
}

const kills = 6;

describe("crash loops count only engines that never proved themselves", () => {
  test.skipIf(!hasSharedModel)(
    `kill -9 of a healthy, serving builtin engine ${kills} times within a minute never opens its circuit, and each restart is immediate`,
    async () => {
      const lines: string[] = [];
      const supervisor = supervise(
        {
          config: supervisionConfig({ ux: { engine: "builtin", model: sharedModel, slots: 1 } }, { backoffInitialMs: 250, backoffMaxMs: 30_000 }),
          engineCommand: (args) => [process.execPath, resolve(repoRoot, "src/main.ts"), ...args],
        },
        lines,
      );
      const recorder = recordStates(supervisor);
      const pool = supervisorPool(supervisor);
      await supervisor.start();
      const healthyCount = () => recorder.states("ux-0").filter((state) => state === "healthy").length;
      for (let kill = 1; kill <= kills; kill++) {
        const lease = pool.acquire("ux")!;
        expect((await lease.chat({ messages: [{ role: "user", content: "hi" }], maxTokens: 2 }, {})).usage.completionTokens).toBeGreaterThan(0);
        lease.release();
        // Healthy longer than the default minimum uptime (1 s), as in the repro.
        await Bun.sleep(1200);
        const { pid } = supervisor.snapshot()[0]!;
        process.kill(pid!, "SIGKILL");
        await waitUntil(() => healthyCount() === kill + 1 || engineState(supervisor, "ux-0") === "failed", `restart ${kill} is healthy`, 15_000);
        expect(supervisor.snapshot()[0]).toMatchObject({ state: "healthy", circuit: "closed", restarts: kill });
      }
      expect(recorder.states("ux-0")).not.toContain("failed");
      const restarts = lines.filter((line) => line.includes("Restarting engine ux-0"));
      expect(restarts).toHaveLength(kills);
      for (const line of restarts) expect(line).toContain("at once");
    },
    60_000,
  );

  test("an engine that dies at start still opens its circuit after the default 5 crashes", async () => {
    const lines: string[] = [];
    const supervisor = supervise(
      { config: supervisionConfig({ task: { engine: "process", command: ["sh", "-c", "echo 'cannot load model' >&2; exit 3"], port: freePort() } }) },
      lines,
    );
    await supervisor.start();
    await waitUntil(() => engineState(supervisor, "task-0") === "failed", "the circuit opens", 10_000);
    expect(supervisor.snapshot()[0]).toMatchObject({ circuit: "open", restarts: 4 });
    expect(supervisor.snapshot()[0]!.lastError!.message).toContain("failed 5 times within 60 s");
  }, 15_000);

  test("an engine that becomes healthy but dies before the minimum uptime counts toward the loop too", async () => {
    const lines: string[] = [];
    const port = freePort();
    // Serves, then its server is killed 300 ms in and the engine exits: healthy, but never for a whole second.
    const shortLived = `${process.execPath} ${miniServerScript} --port ${port} & server=$!; sleep 0.3; kill -9 $server; exit 1`;
    const supervisor = supervise({ config: supervisionConfig({ task: { engine: "process", command: ["sh", "-c", shortLived], port } }) }, lines);
    const recorder = recordStates(supervisor);
    await supervisor.start();
    await waitUntil(() => engineState(supervisor, "task-0") === "failed", "the circuit opens", 15_000);
    expect(supervisor.snapshot()[0]!.circuit).toBe("open");
    expect(recorder.states("task-0")).toContain("healthy");
    expect(lines.some((line) => line.includes("at once"))).toBe(false);
  }, 20_000);
});
