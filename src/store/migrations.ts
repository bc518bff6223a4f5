import type { Database } from "bun:sqlite";
import { chatMigrationSql } from "./chat.ts";
import { taskFallbackMigration } from "./task-fallback.ts";
import { modelCallsMigrationSql } from "./model-calls.ts";

/**
 * The schema as numbered steps. A released step is never edited: a change is
 * a new step, so every database can be brought forward from any version.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "tasks",
    sql: `
      CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')),
        kind TEXT NOT NULL CHECK (kind IN ('prompt', 'chat')),
        prompt TEXT NOT NULL DEFAULT '',
        messages TEXT,
        role_requested TEXT NOT NULL CHECK (role_requested IN ('ux', 'task', 'auto')),
        role TEXT,
        engine TEXT,
        model TEXT,
        priority INTEGER NOT NULL DEFAULT 0,
        max_tokens INTEGER,
        timeout_ms INTEGER,
        output TEXT,
        error_code TEXT,
        error_message TEXT,
        error_hint TEXT,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        first_token_at INTEGER,
        finished_at INTEGER,
        finish_reason TEXT,
        client TEXT
      ) STRICT;
      -- The scheduler's question ("what runs next?") reads only queued rows, in this order.
      CREATE INDEX tasks_queue ON tasks (priority DESC, created_at, id) WHERE status = 'queued';
      CREATE INDEX tasks_status ON tasks (status, id);
    `,
  },
  {
    version: 2,
    name: "chat sessions and routing provenance",
    sql: `
      ALTER TABLE tasks ADD COLUMN routed_by TEXT;
      ${chatMigrationSql}
    `,
  },
  {
    version: 3,
    name: "token ledger",
    sql: modelCallsMigrationSql,
  },
  {
    version: 4,
    name: "queue rank with aging",
    // queue_rank = created_at - priority * agingMs: a priority point is worth
    // agingMs of waiting, so the order of two queued tasks never changes with
    // time and one static index serves "what runs next" while still letting
    // old low-priority work overtake newer high-priority work. Existing rows
    // get the default weight of 1000 ms per point.
    sql: `
      ALTER TABLE tasks ADD COLUMN queue_rank INTEGER NOT NULL DEFAULT 0;
      UPDATE tasks SET queue_rank = created_at - priority * 1000;
      DROP INDEX tasks_queue;
      CREATE INDEX tasks_queue ON tasks (queue_rank, id) WHERE status = 'queued';
    `,
  },
  taskFallbackMigration,
  {
    version: 6,
    name: "route reason on tasks",
    // Why the router chose the role (docs/plugins.md promises it is kept); null when the caller chose.
    sql: "ALTER TABLE tasks ADD COLUMN route_reason TEXT;",
  },
];

export const schemaVersion = migrations.at(-1)!.version;

export function readUserVersion(db: Database): number {
  return db.query<{ user_version: number }, []>("PRAGMA user_version").get()!.user_version;
}

/** Brings the schema to `schemaVersion`; safe when several processes open a fresh file at once. */
export function migrate(db: Database): void {
  if (readUserVersion(db) >= schemaVersion) return;
  const apply = db.transaction(() => {
    // Read again under the write lock: another process may have migrated while we waited.
    const current = readUserVersion(db);
    if (current >= schemaVersion) return;
    for (const migration of migrations) {
      if (migration.version > current) db.run(migration.sql);
    }
    db.run(`PRAGMA user_version = ${schemaVersion}`);
  });
  apply.immediate();
}
