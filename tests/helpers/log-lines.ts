import { afterEach, beforeEach } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatRecord, type LogRecord } from "../../src/logs/record";

/** A fresh log folder for each test of the file that calls this; `dir()` is the current one. */
export function useLogDir(): () => string {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tale-logs-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/** One log line as tale writes it: a daemon info record unless `extra` says otherwise. */
export function logLine(time: string, message: string, extra: Partial<LogRecord> = {}): string {
  return formatRecord({ time, level: "info", component: "daemon", message, ...extra });
}
