import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseRecord } from "../../src/logs/record";
import { openRotatingFile } from "../../src/logs/rotating-file";
import { logLine, useLogDir } from "../helpers/log-lines";
import { addSecret } from "../../src/logs/secrets";
import { hintFromLog, openEngineLog } from "../../src/supervisor/engine-log";

/** Writing logs: rotation, masking secrets, records, the engine log. */
const logDir = useLogDir();

describe("rotating file", () => {
  test("rotates by size and keeps only keepFiles rotated files", () => {
    const path = join(logDir(), "daemon.log");
    const file = openRotatingFile(path, { maxBytes: 100, keepFiles: 2 });
    for (let index = 0; index < 20; index++) file.write(`${String(index).padStart(2, "0")} ${"x".repeat(40)}\n`);
    file.close();
    expect(readdirSync(logDir()).sort()).toEqual(["daemon.log", "daemon.log.1", "daemon.log.2"]);
    // Newest in the current file, the ones before it in .1, then .2; older ones are gone.
    expect(readFileSync(path, "utf8")).toStartWith("18 ");
    expect(readFileSync(`${path}.1`, "utf8")).toStartWith("16 ");
    expect(readFileSync(`${path}.2`, "utf8")).toStartWith("14 ");
  });

  test("a rotation that fails loses lines but never throws, and writing resumes once it can", () => {
    const path = join(logDir(), "daemon.log");
    const file = openRotatingFile(path, { maxBytes: 50, keepFiles: 1 });
    file.write(`${"a".repeat(40)}\n`);
    // A directory where the rotated file must go: the rotation fails.
    mkdirSync(`${path}.1/blocker`, { recursive: true });
    expect(() => file.write(`${"b".repeat(40)}\n`)).not.toThrow();
    rmSync(`${path}.1`, { recursive: true });
    file.write(`${"c".repeat(40)}\n`);
    file.close();
    expect(readFileSync(`${path}.1`, "utf8")).toStartWith("a");
    expect(readFileSync(path, "utf8")).toBe(`${"c".repeat(40)}\n`);
  });

  test("masks registered secrets in everything it writes", () => {
    addSecret("canary-secret-0123456789");
    const file = openRotatingFile(join(logDir(), "daemon.log"), { maxBytes: 10_000, keepFiles: 1 });
    file.write("the key is canary-secret-0123456789, twice canary-secret-0123456789\n");
    file.close();
    expect(readFileSync(join(logDir(), "daemon.log"), "utf8")).toBe("the key is [redacted], twice [redacted]\n");
  });
});

describe("records", () => {
  test("a line that is not a record keeps its text as the message", () => {
    expect(parseRecord("llama-server: listening", { time: "t", level: "info", component: "engine", engine: "ux-0" })).toEqual({
      time: "t",
      level: "info",
      component: "engine",
      engine: "ux-0",
      message: "llama-server: listening",
    });
    expect(parseRecord(logLine("2026-01-01T00:00:00.000Z", "hi", { task: "t1" }), { time: "x", level: "info", component: "daemon" })?.task).toBe("t1");
  });

  test("an engine log writes records with the engine named and quotes its last messages in a hint", () => {
    const log = openEngineLog(logDir(), "ux-0", { maxBytes: 10_000, keepFiles: 1 });
    log.line(logLine("2026-01-01T00:00:00.000Z", "loading", { component: "engine" }).trim());
    log.mark();
    log.line("error: cannot load model");
    log.close();
    const written = readFileSync(join(logDir(), "engine-ux-0.log"), "utf8").trim().split("\n").map((text) => JSON.parse(text));
    expect(written.map((entry) => [entry.component, entry.engine, entry.message])).toEqual([
      ["engine", "ux-0", "loading"],
      ["engine", "ux-0", "error: cannot load model"],
    ]);
    expect(hintFromLog(log)).toContain('The engine said: "error: cannot load model"');
  });
});
