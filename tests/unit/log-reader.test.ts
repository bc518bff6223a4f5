import { describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { followLogs } from "../../src/logs/follow";
import { readLogs } from "../../src/logs/reader";
import { openRotatingFile } from "../../src/logs/rotating-file";
import { logLine, useLogDir } from "../helpers/log-lines";

/** Reading logs: merging by time, filters, following through rotations. */
const logDir = useLogDir();

describe("reading and following", () => {
  test("merges the daemon's and engines' logs, rotated files included, by time and filters on fields", () => {
    writeFileSync(join(logDir(), "daemon.log.1"), logLine("2026-01-01T00:00:01.000Z", "d1", { task: "a" }));
    writeFileSync(join(logDir(), "daemon.log"), logLine("2026-01-01T00:00:03.000Z", "d3", { level: "warn" }));
    writeFileSync(join(logDir(), "engine-ux-0.log"), logLine("2026-01-01T00:00:02.000Z", "e2", { component: "engine", engine: "ux-0" }) + "raw engine text\n");
    writeFileSync(join(logDir(), "unrelated.txt"), "not a log\n");
    const all = readLogs(logDir(), {}).records;
    expect(all.map((entry) => entry.message)).toEqual(["d1", "e2", "raw engine text", "d3"]);
    // A raw line takes the time of the record before it and the engine of its file.
    expect(all[2]).toMatchObject({ time: "2026-01-01T00:00:02.000Z", component: "engine", engine: "ux-0" });
    expect(readLogs(logDir(), { task: "a" }).records.map((entry) => entry.message)).toEqual(["d1"]);
    expect(readLogs(logDir(), { engine: "ux-0" }).records).toHaveLength(2);
    expect(readLogs(logDir(), { level: "warn" }).records.map((entry) => entry.message)).toEqual(["d3"]);
    expect(readLogs(logDir(), { since: Date.parse("2026-01-01T00:00:02.500Z") }).records.map((entry) => entry.message)).toEqual(["d3"]);
  });

  test("what escaped the logger (a crash's trace in daemon.out) is shown as the daemon's errors", () => {
    writeFileSync(join(logDir(), "daemon.log"), logLine("2000-01-01T00:00:00.000Z", "started"));
    writeFileSync(join(logDir(), "daemon.out"), "panic: boom\n  at somewhere\n");
    const records = readLogs(logDir(), { level: "error" }).records;
    expect(records.map((entry) => [entry.component, entry.message])).toEqual([
      ["daemon", "panic: boom"],
      ["daemon", "at somewhere"],
    ]);
    // Timed by the file's last write, which is when the daemon died.
    expect(records[0]!.time > "2000-01-01").toBe(true);
  });

  test("following goes on from where reading stopped, through a rotation and a new engine's log", async () => {
    const path = join(logDir(), "daemon.log");
    writeFileSync(path, logLine("2026-01-01T00:00:00.000Z", "old"));
    const { positions } = readLogs(logDir(), {});
    const seen: string[] = [];
    const follower = followLogs(logDir(), {}, positions, (records) => seen.push(...records.map((entry) => entry.message)), 20);
    try {
      appendFileSync(path, logLine("2026-01-01T00:00:01.000Z", "before rotation"));
      await Bun.sleep(60);
      appendFileSync(path, logLine("2026-01-01T00:00:02.000Z", "last of the old file"));
      renameSync(path, `${path}.1`);
      writeFileSync(path, logLine("2026-01-01T00:00:03.000Z", "first of the new file"));
      writeFileSync(join(logDir(), "engine-task-0.log"), logLine("2026-01-01T00:00:04.000Z", "new engine", { component: "engine" }));
      await waitUntil(() => seen.length >= 4);
      expect(seen).toEqual(["before rotation", "last of the old file", "first of the new file", "new engine"]);
      expect(existsSync(`${path}.1`)).toBe(true);
    } finally {
      follower.stop();
    }
  });

  test("following misses no line when the log rotated between reading and following", async () => {
    const path = join(logDir(), "daemon.log");
    writeFileSync(path, logLine("2026-01-01T00:00:00.000Z", "read"));
    const { positions } = readLogs(logDir(), {});
    appendFileSync(path, logLine("2026-01-01T00:00:01.000Z", "after the read"));
    renameSync(path, `${path}.1`);
    writeFileSync(path, logLine("2026-01-01T00:00:02.000Z", "in the new file"));
    const seen: string[] = [];
    const follower = followLogs(logDir(), {}, positions, (records) => seen.push(...records.map((entry) => entry.message)), 20);
    try {
      await waitUntil(() => seen.length >= 2);
      expect(seen).toEqual(["after the read", "in the new file"]);
    } finally {
      follower.stop();
    }
  });

  test("following misses no line when a busy log rotates twice between two polls", async () => {
    const path = join(logDir(), "daemon.log");
    writeFileSync(path, "");
    const { positions } = readLogs(logDir(), {});
    const seen: string[] = [];
    const follower = followLogs(logDir(), {}, positions, (records) => seen.push(...records.map((entry) => entry.message)), 100);
    try {
      await Bun.sleep(20);
      const file = openRotatingFile(path, { maxBytes: 200, keepFiles: 10 });
      for (let index = 0; index < 12; index++) file.write(logLine(`2026-01-01T00:00:${String(index).padStart(2, "0")}.000Z`, `line ${index}`));
      file.close();
      expect(existsSync(`${path}.3`)).toBe(true);
      await waitUntil(() => seen.length >= 12);
      expect(seen).toEqual(Array.from({ length: 12 }, (_, index) => `line ${index}`));
    } finally {
      follower.stop();
    }
  });
});

async function waitUntil(done: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await Bun.sleep(10);
}
