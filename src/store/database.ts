import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { TaleError } from "../errors/index.ts";
import { migrate, readUserVersion, schemaVersion } from "./migrations.ts";

export interface OpenDatabaseOptions {
  path: string;
  /** How long a write waits for another connection's lock before failing. */
  busyTimeoutMs?: number;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isCorrupt(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT";
}

function damaged(path: string, problem: string, cause?: unknown): TaleError {
  return new TaleError("STORAGE", `The task database ${path} is damaged or is not a tale database (${problem}).`, {
    hint: `Move it aside (for example: mv "${path}" "${path}.broken") and start tale again to create a fresh one; tale never rewrites it for you.`,
    details: { path },
    cause,
  });
}

function storageError(path: string, action: string, error: unknown): TaleError {
  return new TaleError("STORAGE", `Could not ${action} the task database ${path}: ${reason(error)}.`, {
    hint: "Check that the folder exists, is writable by this user and is not on a full disk (set TALE_HOME to use another folder).",
    details: { path },
    cause: error,
  });
}

function connect(path: string): Database {
  try {
    mkdirSync(dirname(path), { recursive: true });
    return new Database(path, { create: true, readwrite: true, strict: true });
  } catch (error) {
    throw storageError(path, "open", error);
  }
}

/**
 * Everything that could refuse the file is checked with reads only, before
 * the first write (WAL switch, migrations), so a refused file is left exactly
 * as it was found.
 */
function checkReadable(db: Database, path: string): void {
  let version: number;
  try {
    version = readUserVersion(db);
  } catch (error) {
    if (isCorrupt(error)) throw damaged(path, reason(error), error);
    throw storageError(path, "read", error);
  }
  if (version > schemaVersion) {
    throw new TaleError(
      "STORAGE",
      `The task database ${path} was written by a newer version of tale (schema ${version}; this tale knows up to ${schemaVersion}).`,
      { hint: "Upgrade tale to the version that wrote it, or set TALE_HOME to another folder.", details: { path, version } },
    );
  }
  let problems: string[];
  try {
    problems = db.query<{ quick_check: string }, []>("PRAGMA quick_check").all().map((row) => row.quick_check);
  } catch (error) {
    throw damaged(path, reason(error), error);
  }
  if (problems.join() !== "ok") throw damaged(path, problems.slice(0, 3).join("; "));
}

/** Opens (creating if needed) a database file, refusing files it cannot safely use. */
export function openDatabase(options: OpenDatabaseOptions): Database {
  const db = connect(options.path);
  try {
    db.run(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    checkReadable(db, options.path);
    enableWal(db, options.busyTimeoutMs ?? 5000);
    // In WAL mode NORMAL loses at most the last commits on power loss, never consistency.
    db.run("PRAGMA synchronous = NORMAL");
    db.run("PRAGMA foreign_keys = ON");
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error instanceof TaleError ? error : storageError(options.path, "prepare", error);
  }
}

/**
 * Switching a fresh file to WAL needs an exclusive lock, and SQLite does not
 * run the busy handler for it: two processes opening a new database at once
 * would see SQLITE_BUSY at once, so wait for the other one here.
 */
function enableWal(db: Database, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      db.run("PRAGMA journal_mode = WAL");
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY" || Date.now() >= deadline) throw error;
      Bun.sleepSync(5);
    }
  }
}
