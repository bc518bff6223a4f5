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
    close: () => {
      tasks.finalize();
      chat.finalize();
      modelCalls.finalize();
      db.close();
    },
  };
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
