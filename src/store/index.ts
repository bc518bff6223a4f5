import { openDatabase } from "./database.ts";
import { schemaVersion } from "./migrations.ts";
import { createChatRepository, type ChatRepository } from "./chat.ts";
import { createModelCallRepository, type ModelCallRepository } from "./model-calls.ts";
import { createTaskRepository, type TaskRepository } from "./tasks.ts";

export interface StoreOptions {
  /** Database file; its folder is created when missing. */
  path: string;
  /** Clock for timestamps (epoch ms); tests pass a fake one. */
  now?: () => number;
  busyTimeoutMs?: number;
}

export interface Store extends TaskRepository, ChatRepository, ModelCallRepository {
  readonly path: string;
  readonly schemaVersion: number;
  /** Throws unless the database takes writes now (not read-only, write lock obtainable): the readiness probe. */
  checkWritable(): void;
  close(): void;
}

export function openStore(options: StoreOptions): Store {
  const db = openDatabase({ path: options.path, busyTimeoutMs: options.busyTimeoutMs });
  const tasks = createTaskRepository(db, options.now ?? Date.now);
  const chat = createChatRepository(db, options.now ?? Date.now);
  const modelCalls = createModelCallRepository(db, options.now ?? Date.now);
  return {
    ...tasks.repository,
    ...chat.repository,
    ...modelCalls.repository,
    path: options.path,
    schemaVersion,
    checkWritable: () => checkWritable(db),
    close: () => {
      tasks.finalize();
      chat.finalize();
      modelCalls.finalize();
      db.close();
    },
  };
}

/**
 * A write that changes nothing: the DELETE matches no row but still opens a
 * write transaction, which a read-only or locked database refuses. Rolled back
 * whatever happens, so the connection is never left inside a transaction.
 */
function checkWritable(db: ReturnType<typeof openDatabase>): void {
  try {
    db.exec("BEGIN IMMEDIATE; DELETE FROM tasks WHERE rowid = -1;");
  } finally {
    if (db.inTransaction) db.exec("ROLLBACK");
  }
}

export { schemaVersion } from "./migrations.ts";
export type { TaskRepository } from "./tasks.ts";
export type { ChatEntry, ChatRepository, ChatRole, ChatSessionSummary } from "./chat.ts";
export type {
  ModelCall,
  ModelCallOutcome,
  ModelCallRepository,
  NewModelCall,
  RoleCallStats,
  RoleStatsOptions,
  TokenGrouping,
  TokenTotal,
  TokenTotalsOptions,
} from "./model-calls.ts";
export * from "./types.ts";
