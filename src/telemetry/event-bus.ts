import type { TaskJson } from "../api/task-json";
import type { EngineSnapshot } from "../supervisor";

/** What `GET /v1/events` streams and `tale watch` shows. */
export type TaleEvent =
  | { type: "task"; at: number; task: Pick<TaskJson, "id" | "status" | "role" | "engine" | "attempts" | "error"> }
  | { type: "engine"; at: number; engine: EngineSnapshot; previous: string }
  | { type: "alert"; at: number; severity: "info" | "warning" | "critical"; source: string; message: string };

export type TaleEventListener = (event: TaleEvent) => void;

/**
 * Daemon-wide fan-out of state changes. Listeners are called synchronously
 * and must not throw; a slow consumer (an SSE client) buffers on its own side.
 */
export class EventBus {
  private readonly listeners = new Set<TaleEventListener>();

  subscribe(listener: TaleEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: TaleEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  get size(): number {
    return this.listeners.size;
  }
}
