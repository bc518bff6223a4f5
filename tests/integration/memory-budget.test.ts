import { afterEach, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTaleHome, waitFor, type TaleHome } from "../helpers/tale";

let tale: TaleHome | undefined;
afterEach(async () => {
  await tale?.cleanup();
  tale = undefined;
});

test("an engine that would push memory past the budget is not started, and says why", async () => {
  tale = createTaleHome();
  // ux (~123 MB estimated) fits; task (~210 MB) does not fit in what is left.
  writeFileSync(join(tale.home, "config.json"), JSON.stringify({ supervisor: { memoryBudgetMb: 200 } }));
  await tale.run(["up"]);
  const task = await waitFor(async () => {
    const engine = (await tale!.json(["status"])).engines.find((candidate: { role: string }) => candidate.role === "task");
    return engine.state === "failed" ? engine : undefined;
  }, 15_000, "the task engine to be refused");
  expect(task.pid).toBeNull();
  expect(task.lastError.message).toContain("memory budget");
  const ux = await tale.json(["submit", "hello", "--role", "ux", "--max-tokens", "2"]);
  expect(ux.status).toBe("succeeded");
  const refused = await tale.run(["submit", "write a report", "--role", "task", "--max-tokens", "2"]);
  expect(refused.exitCode).toBe(1);
  expect(refused.stderr).toContain("memory budget");
});
