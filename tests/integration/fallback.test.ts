import { afterEach, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTaleHome, waitFor, type TaleHome } from "../helpers/tale";

let tale: TaleHome | undefined;
afterEach(async () => {
  await tale?.cleanup();
  tale = undefined;
});

test("when every task engine has failed, ux answers task work, and the task and the user are told it is degraded", async () => {
  tale = createTaleHome();
  // A task engine whose command dies at once: its circuit opens after the first crash.
  writeFileSync(
    join(tale.home, "config.json"),
    JSON.stringify({
      models: { task: { engine: "process", command: ["sh", "-c", "exit 7"], port: 1 } },
      supervisor: { crashLoopCount: 1, circuitCooldownMs: 60_000, fallback: { task: "ux" } },
    }),
  );
  await tale.run(["up"]);
  await waitFor(async () => (await tale!.json(["status"])).engines.find((engine: { role: string }) => engine.role === "task")?.state === "failed", 15_000, "the task engine to fail");

  const task = await tale.json(["submit", "write a report", "--role", "task", "--max-tokens", "4"]);
  expect(task).toMatchObject({ status: "succeeded", role: "task", engine: "ux-0", fallback_from: "task", degraded: true });

  const human = await tale.run(["submit", "write a report", "--role", "task", "--max-tokens", "4"]);
  expect(human.exitCode).toBe(0);
  expect(human.stderr).toContain("degraded: answered by ux-0 because no task engine could run");
  const shown = await tale.run(["show", task.id]);
  expect(shown.stdout).toContain("degraded: answered by ux-0");

  const status = await tale.run(["status"]);
  expect(status.stdout).toContain("CIRCUIT");
  expect(status.stdout).toMatch(/task-0\s+task\s+failed\s+open, retry/);

  const ux = await tale.json(["submit", "hello", "--role", "ux", "--max-tokens", "2"]);
  expect(ux).toMatchObject({ fallback_from: null, degraded: false });
});
