import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Role, TaleConfig } from "../../src/config/types";
import { createDefaultConfig } from "../../src/config/defaults";
import type { EngineLease, EnginePool, RoleAvailability } from "../../src/scheduler";
import { Scheduler, type SchedulerAlert } from "../../src/scheduler";
import { openStore, type Store } from "../../src/store";
import type { ChatCallOptions, ChatRequest, ChatResult } from "../../src/supervisor/chat-client";

export type EngineBehaviour = (request: ChatRequest, options: ChatCallOptions) => Promise<ChatResult>;

/** Answers at once, like an engine with nothing to generate. */
export const instant: EngineBehaviour = async (request) => ({
  content: String(request.messages.at(-1)?.content ?? ""),
  usage: { promptTokens: 1, completionTokens: 1 },
  finishReason: "stop",
});

/** Answers when aborted (as a real engine's HTTP call does), never otherwise. */
export const untilAborted: EngineBehaviour = (_request, options) =>
  new Promise((_resolve, reject) => options.signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));

/** An engine that ignores aborts: the call never ends. */
export const deaf: EngineBehaviour = () => new Promise(() => undefined);

/**
 * An in-process stand-in for the supervisor: one engine per role with a slot
 * count the test sets, so it can hold work in the queue and release it.
 */
export class TestPool implements EnginePool {
  readonly inFlight: Record<Role, number> = { ux: 0, task: 0 };
  readonly calls: string[] = [];
  healthy: Record<Role, boolean> = { ux: true, task: true };
  /** What availability() says per role; "ready" when unset. */
  availabilities: Partial<Record<Role, RoleAvailability>> = {};
  private listeners = new Set<() => void>();

  constructor(
    public slots: Record<Role, number>,
    public behaviour: EngineBehaviour = instant,
  ) {}

  setSlots(slots: Partial<Record<Role, number>>): void {
    Object.assign(this.slots, slots);
    for (const listener of this.listeners) listener();
  }

  acquire(role: Role): EngineLease | undefined {
    if (!this.healthy[role] || this.inFlight[role] >= this.slots[role]) return undefined;
    this.inFlight[role]++;
    let released = false;
    return {
      engineId: `${role}-0`,
      model: `${role}-model`,
      chat: (request, options) => {
        this.calls.push(String(request.messages.at(-1)?.content));
        return this.behaviour(request, options);
      },
      reportFailure: () => undefined,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight[role]--;
        for (const listener of this.listeners) listener();
      },
    };
  }

  engineIds(): Record<Role, string[]> {
    return { ux: this.healthy.ux ? ["ux-0"] : [], task: this.healthy.task ? ["task-0"] : [] };
  }

  availability(role: Role): RoleAvailability {
    return this.availabilities[role] ?? { state: "ready" };
  }

  onCapacity(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface SchedulerKit {
  store: Store;
  pool: TestPool;
  scheduler: Scheduler;
  alerts: SchedulerAlert[];
  close(): Promise<void>;
}

/** A scheduler on a real SQLite file in a temp dir, with a TestPool for engines. */
export function createSchedulerKit(options: { pool: TestPool; config?: Partial<TaleConfig["scheduler"]>; now?: () => number }): SchedulerKit {
  const dir = mkdtempSync(join(tmpdir(), "tale-scheduler-"));
  const store = openStore({ path: join(dir, "tale.db"), now: options.now });
  const alerts: SchedulerAlert[] = [];
  const scheduler = new Scheduler({
    store,
    pool: options.pool,
    config: { ...createDefaultConfig().scheduler, ...options.config },
    defaultMaxTokens: 8,
    onAlert: (alert) => alerts.push(alert),
  });
  scheduler.start();
  return {
    store,
    pool: options.pool,
    scheduler,
    alerts,
    async close() {
      await scheduler.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
