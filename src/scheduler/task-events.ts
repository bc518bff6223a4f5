import type { SerializedError } from "../errors";
import type { Task } from "../store";

/** What a watcher of one task hears while it runs. */
export type TaskEvent =
  | { type: "delta"; text: string }
  | { type: "retry"; attempt: number; error: SerializedError }
  | { type: "done"; task: Task };

export type TaskListener = (event: TaskEvent) => void;

/** Fan-out of per-task events to the clients waiting on them. */
export class TaskEventHub {
  private readonly listeners = new Map<string, Set<TaskListener>>();

  subscribe(id: string, listener: TaskListener): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(id);
    };
  }

  emit(id: string, event: TaskEvent): void {
    for (const listener of this.listeners.get(id) ?? []) listener(event);
    if (event.type === "done") this.listeners.delete(id);
  }
}
