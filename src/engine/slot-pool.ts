import { TaleError } from "../errors";

export interface SlotPoolStats {
  total: number;
  busy: number;
  queued: number;
}

export interface SlotLease<T> {
  readonly slot: T;
  /** Returns the slot to the pool; calling it again does nothing. */
  release(): void;
}

export interface SlotPool<T> {
  /** Waits in FIFO order for a free slot; rejects with CANCELLED if the signal aborts first. */
  acquire(signal?: AbortSignal): Promise<SlotLease<T>>;
  stats(): SlotPoolStats;
}

interface Waiter<T> {
  resolve(lease: SlotLease<T>): void;
}

/**
 * A fixed set of slots with a FIFO wait queue. node-llama-cpp throws
 * "No sequences left" when asked for more sequences than the context has, so
 * requests beyond the slot count wait here instead.
 */
export function createSlotPool<T>(slots: readonly T[]): SlotPool<T> {
  const free = [...slots];
  const waiters: Waiter<T>[] = [];

  function lease(slot: T): SlotLease<T> {
    let released = false;
    return {
      slot,
      release() {
        if (released) return;
        released = true;
        const next = waiters.shift();
        if (next) next.resolve(lease(slot));
        else free.push(slot);
      },
    };
  }

  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(cancelled());
      const slot = free.shift();
      if (slot !== undefined) return Promise.resolve(lease(slot));
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          const index = waiters.indexOf(waiter);
          if (index !== -1) waiters.splice(index, 1);
          reject(cancelled());
        };
        const waiter: Waiter<T> = {
          resolve(granted) {
            signal?.removeEventListener("abort", onAbort);
            resolve(granted);
          },
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        waiters.push(waiter);
      });
    },
    stats() {
      return { total: slots.length, busy: slots.length - free.length, queued: waiters.length };
    },
  };
}

function cancelled(): TaleError {
  return new TaleError("CANCELLED", "The request was cancelled while waiting for a free slot.");
}
