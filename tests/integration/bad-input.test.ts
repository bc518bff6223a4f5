import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTaleHome, type TaleHome } from "../helpers/tale";

/** Each mistake gets a clear message, a non-zero exit code, and loses nothing. */
let tale: TaleHome | undefined;
afterEach(async () => {
  await tale?.cleanup();
  tale = undefined;
});

function home(): TaleHome {
  tale = createTaleHome();
  return tale;
}

describe("bad input", () => {
  test("an unknown command suggests the closest one", async () => {
    const result = await home().run(["sumbit", "hi"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Unknown command "sumbit"');
    expect(result.stderr).toContain('Did you mean "tale submit"');
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
    const nested = await tale!.run(["plugin", "nwe"]);
    expect(nested.exitCode).toBe(2);
    expect(nested.stderr).toContain('Did you mean "tale plugin new"');
    const missing = await tale!.run(["plugin", "new"]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("tale plugin new --help");
  });

  test("tale explain tells what a code means and what to do", async () => {
    const t = home();
    const known = await t.run(["explain", "engine_crashed"]);
    expect(known.exitCode).toBe(0);
    expect(known.stdout).toContain("ENGINE_CRASHED");
    expect(known.stdout).toContain("tale restarts it");
    const typo = await t.run(["explain", "ENGINE_CRASH"]);
    expect(typo.exitCode).toBe(1);
    expect(typo.stderr).toContain("Did you mean ENGINE_CRASHED");
    const all = await t.json(["explain"]);
    expect(Object.keys(all)).toContain("CONTEXT_OVERFLOW");
    expect(t.daemonPid()).toBeUndefined();
  });

  test("an empty prompt is refused before anything starts", async () => {
    const t = home();
    const result = await t.run(["submit", "   "]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("The prompt is empty");
    expect(t.daemonPid()).toBeUndefined();
  });

  test("a missing model file names the path and the fix", async () => {
    const t = home();
    writeFileSync(join(t.home, "config.json"), JSON.stringify({ models: { task: { engine: "builtin", model: "/nowhere/large.gguf" } } }));
    const result = await t.run(["submit", "hello"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("/nowhere/large.gguf");
    expect(result.stderr).toContain("models.task.model");
    expect(result.stderr).toContain("MODEL_NOT_FOUND");
    expect(result.stderr).toContain("tale models pull");
  });

  test("an invalid config file names the file, the key, and what was found", async () => {
    const t = home();
    const file = join(t.home, "tale.config.json");
    writeFileSync(file, JSON.stringify({ models: { ux: { engine: "bultin", model: "default" } } }));
    const result = await t.run(["submit", "hello"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toContain("models.ux.engine");
    expect(result.stderr).toContain('"bultin"');
    expect(result.stderr).toContain("CONFIG");
  });

  test("a port already in use is reported with the port", async () => {
    const blocker = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("busy") });
    try {
      const result = await home().run(["up", "--port", String(blocker.port)]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`Port ${blocker.port}`);
      expect(result.stderr).toContain("PORT_IN_USE");
    } finally {
      blocker.stop(true);
    }
  });

  test("a corrupt database is refused and left untouched", async () => {
    const t = home();
    const file = join(t.home, "tale.db");
    const garbage = Buffer.from("this is not a sqlite database, but it holds someone's data".repeat(100));
    writeFileSync(file, garbage);
    const result = await t.run(["submit", "hello"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("STORAGE");
    expect(result.stderr).toContain(file);
    expect(readFileSync(file).equals(garbage)).toBe(true);
  });

  test("a database from a newer tale is refused and left untouched", async () => {
    const t = home();
    const file = join(t.home, "tale.db");
    const db = new Database(file);
    db.run("CREATE TABLE future (x)");
    db.run("PRAGMA user_version = 999");
    db.close();
    const before = readFileSync(file);
    const result = await t.run(["submit", "hello"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("newer");
    expect(result.stderr).toContain("STORAGE");
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  test("a prompt longer than the context fails with CONTEXT_OVERFLOW and a hint", async () => {
    const t = home();
    writeFileSync(join(t.home, "config.json"), JSON.stringify({ builtin: { contextSize: 256 } }));
    const result = await t.run(["submit", "tell me about ".repeat(400), "--role", "ux", "--json"]);
    expect(result.exitCode).toBe(1);
    const task = JSON.parse(result.stdout);
    expect(task.status).toBe("failed");
    expect(task.error.code).toBe("CONTEXT_OVERFLOW");
    expect(task.error.hint.length).toBeGreaterThan(0);
    expect(task.attempts).toBe(1);
    const human = await t.run(["submit", "tell me about ".repeat(400), "--role", "ux"]);
    expect(human.exitCode).toBe(1);
    expect(human.stderr).toContain("CONTEXT_OVERFLOW");
  });
});
