import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TaleError } from "../../src/errors/index.ts";
import { openStore, schemaVersion, type Store } from "../../src/store/index.ts";

let dir: string;
const open: Store[] = [];

function store(options: { now?: () => number; path?: string } = {}): Store {
  const opened = openStore({ path: options.path ?? join(dir, "tale.db"), now: options.now });
  open.push(opened);
  return opened;
}

function storageError(run: () => unknown): TaleError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TaleError);
    expect((error as TaleError).code).toBe("STORAGE");
    return error as TaleError;
  }
  throw new Error("expected a STORAGE error");
}

/** A clock the test moves by hand, so timings are exact. */
function manualClock(start = 1_700_000_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => void (time += ms) };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tale-store-"));
});

afterEach(() => {
  for (const opened of open.splice(0)) opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("opening", () => {
  test("creates the file and its folder, applies migrations and turns WAL on", () => {
    const path = join(dir, "nested", "home", "tale.db");
    store({ path }).close();
    open.length = 0;
    // A clean close merges the WAL back and removes it: nothing is left holding the file.
    expect(readdirSync(join(dir, "nested", "home"))).toEqual(["tale.db"]);
    const db = new Database(path, { readonly: true });
    try {
      expect(db.query<{ user_version: number }, []>("PRAGMA user_version").get()!.user_version).toBe(schemaVersion);
      expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()!.journal_mode).toBe("wal");
      const indexes = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks'").all();
      expect(indexes.map((row) => row.name)).toContain("tasks_queue");
    } finally {
      db.close();
    }
  });

  test("reopening keeps the data", () => {
    const first = store();
    const task = first.insertTask({ kind: "prompt", prompt: "keep me", priority: 3, client: "test" });
    first.close();
    open.length = 0;
    const again = store();
    expect(again.getTask(task.id)).toEqual(task);
  });

  test("refuses a database from a newer tale and leaves it byte for byte", () => {
    const path = join(dir, "tale.db");
    const first = store({ path });
    first.insertTask({ kind: "prompt", prompt: "old" });
    first.close();
    open.length = 0;
    const db = new Database(path);
    db.run(`PRAGMA user_version = ${schemaVersion + 1}`);
    db.close();
    const before = readFileSync(path);

    const error = storageError(() => store({ path }));
    expect(error.message).toContain(path);
    expect(error.message).toContain("newer");
    expect(error.hint).toMatch(/upgrade/i);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test("refuses a file that is not a database and leaves it alone", () => {
    const path = join(dir, "tale.db");
    writeFileSync(path, "these are not the bytes of a database\n".repeat(200));
    const before = readFileSync(path);

    const error = storageError(() => store({ path }));
    expect(error.message).toContain(path);
    expect(error.hint).toContain("Move it aside");
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(["tale.db"]);
  });

  test("refuses a database with a damaged page", () => {
    const path = join(dir, "tale.db");
    const first = store({ path });
    for (let i = 0; i < 200; i++) first.insertTask({ kind: "prompt", prompt: `task ${i} `.repeat(20) });
    first.close();
    open.length = 0;
    const bytes = readFileSync(path);
    const pageSize = bytes.readUInt16BE(16);
    // Overwrite the second page (the first table page) with noise, keeping the header page intact.
    bytes.fill(0xa5, pageSize, pageSize * 2);
    writeFileSync(path, bytes);

    const error = storageError(() => store({ path }));
    expect(error.message).toContain("damaged");
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  test("reports a path it cannot create with the path", () => {
    const blocker = join(dir, "file");
    writeFileSync(blocker, "a file where a folder should be");
    const path = join(blocker, "tale.db");
    const error = storageError(() => store({ path }));
    expect(error.message).toContain(path);
  });

  test("two connections on one file see each other's writes", () => {
    const a = store();
    const b = store();
    const task = a.insertTask({ kind: "prompt", prompt: "shared" });
    expect(b.getTask(task.id)?.prompt).toBe("shared");
    b.markRunning(task.id, { role: "task", engine: "task-0", attempt: 1 });
    expect(a.getTask(task.id)?.status).toBe("running");
  });

  test("an inserted task survives the process being killed right after", async () => {
    const path = join(dir, "crash.db");
    const entry = resolve(import.meta.dir, "../../src/store/index.ts");
    const script = `import { openStore } from ${JSON.stringify(entry)};
      const task = openStore({ path: ${JSON.stringify(path)} }).insertTask({ kind: "prompt", prompt: "durable" });
      console.log(task.id);
      process.kill(process.pid, "SIGKILL");`;
    const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe" });
    const [signal, id] = await Promise.all([child.exited.then(() => child.signalCode), new Response(child.stdout).text()]);
    expect(signal).toBe("SIGKILL");
    expect(store({ path }).getTask(id.trim())?.prompt).toBe("durable");
  });

  test("two processes opening a fresh file at once both migrate it safely", async () => {
    const path = join(dir, "race.db");
    const entry = resolve(import.meta.dir, "../../src/store/index.ts");
    const script = `import { openStore } from ${JSON.stringify(entry)};
      const s = openStore({ path: ${JSON.stringify(path)} });
      s.insertTask({ kind: "prompt", prompt: String(process.pid) });
      s.close();`;
    const children = [0, 1].map(() => Bun.spawn([process.execPath, "-e", script], { stderr: "pipe" }));
    const codes = await Promise.all(children.map((child) => child.exited));
    const errors = await Promise.all(children.map((child) => new Response(child.stderr).text()));
    expect({ codes, errors }).toEqual({ codes: [0, 0], errors: ["", ""] });
    expect(store({ path }).listTasks()).toHaveLength(2);
  });
});

describe("tasks", () => {
  test("insertTask fills defaults and makes sortable, unique ids", () => {
    const s = store();
    const tasks = Array.from({ length: 50 }, (_, i) => s.insertTask({ kind: "prompt", prompt: `p${i}` }));
    const ids = tasks.map((task) => task.id);
    expect(new Set(ids).size).toBe(50);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^t_[0-9a-hjkmnp-tv-z]{16}$/);
    expect(tasks[0]).toMatchObject({
      status: "queued",
      roleRequested: "auto",
      role: null,
      priority: 0,
      attempts: 0,
      promptTokens: 0,
      messages: null,
      errorCode: null,
      queueWaitMs: null,
    });
  });

  test("chat messages round-trip as JSON", () => {
    const s = store();
    const messages = [
      { role: "system" as const, content: "Be brief." },
      { role: "user" as const, content: "Hi — \"quoted\" ✓" },
    ];
    const task = s.insertTask({ kind: "chat", messages, roleRequested: "ux", role: "ux" });
    expect(s.getTask(task.id)).toMatchObject({ kind: "chat", messages, roleRequested: "ux", role: "ux", prompt: "" });
  });

  test("queued tasks come out by priority, then first come first served", () => {
    const clock = manualClock();
    const s = store({ now: clock.now });
    const low = s.insertTask({ kind: "prompt", prompt: "low", priority: -1 });
    const a = s.insertTask({ kind: "prompt", prompt: "a" });
    const b = s.insertTask({ kind: "prompt", prompt: "b" }); // same millisecond as a
    clock.advance(5);
    const urgent = s.insertTask({ kind: "prompt", prompt: "urgent", priority: 10 });
    const c = s.insertTask({ kind: "prompt", prompt: "c" });
    s.markRunning(c.id, { role: "task", engine: "task-0", attempt: 1 });

    expect(s.queuedTasks().map((task) => task.prompt)).toEqual(["urgent", "a", "b", "low"]);
    expect(s.queuedTasks(2).map((task) => task.id)).toEqual([urgent.id, a.id]);
    expect(b.id > a.id && low.id < a.id).toBe(true);
  });

  test("a task runs, streams and finishes with exact timings", () => {
    const clock = manualClock();
    const s = store({ now: clock.now });
    const task = s.insertTask({ kind: "prompt", prompt: "time me", maxTokens: 16, timeoutMs: 9000 });
    clock.advance(40);
    const running = s.markRunning(task.id, { role: "task", engine: "task-0", model: "tiny", attempt: 1 });
    expect(running).toMatchObject({ status: "running", role: "task", engine: "task-0", model: "tiny", attempts: 1, queueWaitMs: 40 });
    clock.advance(15);
    expect(s.markFirstToken(task.id)?.ttftMs).toBe(55);
    clock.advance(100);
    expect(s.markFirstToken(task.id)).toBeUndefined();
    clock.advance(45);
    const done = s.finishTask(task.id, {
      status: "succeeded",
      output: "ok",
      usage: { promptTokens: 7, completionTokens: 3 },
      finishReason: "stop",
    });
    expect(done).toMatchObject({
      status: "succeeded",
      output: "ok",
      promptTokens: 7,
      completionTokens: 3,
      finishReason: "stop",
      maxTokens: 16,
      timeoutMs: 9000,
      queueWaitMs: 40,
      ttftMs: 55,
      totalMs: 200,
      finishedAt: task.createdAt + 200,
    });
    expect(s.getTask(task.id)).toEqual(done);
  });

  test("the first finish wins and errors are kept", () => {
    const s = store();
    const task = s.insertTask({ kind: "prompt", prompt: "x" });
    const failed = s.finishTask(task.id, {
      status: "failed",
      error: new TaleError("ENGINE_CRASHED", "The engine exited.", { hint: "Check the engine log." }),
    });
    expect(failed).toMatchObject({ status: "failed", errorCode: "ENGINE_CRASHED", errorMessage: "The engine exited.", errorHint: "Check the engine log." });
    expect(s.finishTask(task.id, { status: "cancelled" })).toEqual(failed);
    expect(s.markRunning(task.id, { role: "task", engine: "task-0", attempt: 2 })).toBeUndefined();
    expect(() => s.finishTask("t_missing", { status: "cancelled" })).toThrow(TaleError);
  });

  test("requeueTask sends a running task back and clears its attempt", () => {
    const s = store();
    const task = s.insertTask({ kind: "prompt", prompt: "retry me" });
    s.markRunning(task.id, { role: "task", engine: "task-0", attempt: 1 });
    s.markFirstToken(task.id);
    const again = s.requeueTask(task.id);
    expect(again).toMatchObject({ status: "queued", attempts: 1, startedAt: null, firstTokenAt: null });
    expect(s.requeueTask(task.id)).toBeUndefined();
    expect(s.markRunning(task.id, { role: "task", engine: "task-1", attempt: 2 })?.attempts).toBe(2);
  });

  test("recoverInterrupted returns tasks a stopped daemon left running", () => {
    const first = store();
    const [a, b, c] = ["a", "b", "c"].map((prompt) => first.insertTask({ kind: "prompt", prompt }));
    first.markRunning(a!.id, { role: "ux", engine: "ux-0", attempt: 1 });
    first.markRunning(b!.id, { role: "task", engine: "task-0", attempt: 1 });
    first.finishTask(b!.id, { status: "succeeded", output: "done" });
    first.close();
    open.length = 0;

    const second = store();
    const recovered = second.recoverInterrupted();
    expect(recovered.map((task) => task.id)).toEqual([a!.id]);
    expect(recovered[0]).toMatchObject({ status: "queued", attempts: 1, startedAt: null });
    expect(second.queuedTasks().map((task) => task.id)).toEqual([a!.id, c!.id]);
    expect(second.recoverInterrupted()).toEqual([]);
  });

  test("listTasks pages newest first and filters by status; countByStatus counts every status", () => {
    const s = store();
    const tasks = Array.from({ length: 5 }, (_, i) => s.insertTask({ kind: "prompt", prompt: `p${i}` }));
    s.finishTask(tasks[1]!.id, { status: "cancelled" });
    s.finishTask(tasks[3]!.id, { status: "cancelled" });

    expect(s.listTasks({ limit: 2 }).map((task) => task.prompt)).toEqual(["p4", "p3"]);
    expect(s.listTasks({ limit: 2, before: tasks[3]!.id }).map((task) => task.prompt)).toEqual(["p2", "p1"]);
    expect(s.listTasks({ status: "cancelled" }).map((task) => task.prompt)).toEqual(["p3", "p1"]);
    expect(s.countByStatus()).toEqual({ queued: 3, running: 0, succeeded: 0, failed: 0, cancelled: 2, timed_out: 0 });
  });
});
