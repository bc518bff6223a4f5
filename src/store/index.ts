import { openDatabase } from "./database.ts";
import { schemaVersion } from "./migrations.ts";
import { createTaskRepository, type TaskRepository } from "./tasks.ts";

export interface StoreOptions {
  /** Database file; its folder is created when missing. */
  path: string;
  /** Clock for timestamps (epoch ms); tests pass a fake one. */
  now?: () => number;
  busyTimeoutMs?: number;
}

export interface Store extends TaskRepository {
  readonly path: string;
  readonly schemaVersion: number;
  close(): void;
}

export function openStore(options: StoreOptions): Store {
  const db = openDatabase({ path: options.path, busyTimeoutMs: options.busyTimeoutMs });
  const tasks = createTaskRepository(db, options.now ?? Date.now);
  return {
    ...tasks.repository,
    path: options.path,
    schemaVersion,
    close: () => {
      tasks.finalize();
      db.close();
    },
  };
}

export { schemaVersion } from "./migrations.ts";
export type { TaskRepository } from "./tasks.ts";
export * from "./types.ts";
