import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkReadiness } from "../../src/daemon/observability";
import { openStore } from "../../src/store";
import type { EngineSnapshot } from "../../src/supervisor";

const dir = mkdtempSync(join(tmpdir(), "tale-ready-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const engine = (role: "ux" | "task", state: EngineSnapshot["state"]) => ({ role, state }) as EngineSnapshot;

test("ready needs a writable store and a healthy engine in every role; the answer says what is missing", () => {
  const store = openStore({ path: join(dir, "tale.db") });
  try {
    expect(checkReadiness(store, [engine("ux", "healthy"), engine("task", "healthy"), engine("task", "failed")])).toEqual({
      ready: true,
      store: { writable: true },
      engines: { ux: { healthy: 1, total: 1 }, task: { healthy: 1, total: 2 } },
    });
    const taskDown = checkReadiness(store, [engine("ux", "healthy"), engine("task", "backoff")]);
    expect(taskDown.ready).toBe(false);
    expect(taskDown.engines.task).toEqual({ healthy: 0, total: 1 });
    // The probe leaves no transaction open: the store still takes real writes.
    store.insertTask({ kind: "prompt", prompt: "after the probe", role: "ux", roleRequested: "ux" });
    expect(store.queuedCount()).toBe(1);
  } finally {
    store.close();
  }
});

// Tests run as root, which file modes do not stop; a closed connection refuses every write the same way.
test("a database that refuses writes is not ready, and the reason is given", () => {
  const closed = openStore({ path: join(dir, "tale.db") });
  closed.close();
  const verdict = checkReadiness(closed, [engine("ux", "healthy"), engine("task", "healthy")]);
  expect(verdict.ready).toBe(false);
  expect(verdict.store.writable).toBe(false);
  expect(verdict.store.error).toBeString();
});
