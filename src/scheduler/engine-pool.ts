import type { Role } from "../config/types";
import type { TaleError } from "../errors";
import type { ChatCallOptions, ChatRequest, ChatResult } from "../supervisor/chat-client";

/**
 * What the scheduler needs from the supervisor: a slot on a healthy engine of
 * a role, and a signal when more capacity may be free.
 */
export interface EnginePool {
  /** A slot on an engine of the role: on `prefer` when that one is healthy and free, never on `avoid`. */
  acquire(role: Role, choice?: EngineChoice): EngineLease | undefined;
  /** Healthy engines per role, for routing. */
  engineIds(): Record<Role, string[]>;
  availability(role: Role): RoleAvailability;
  onCapacity(listener: () => void): () => void;
}

export interface EngineChoice {
  /** An engine id a router asked for. */
  prefer?: string;
  /** An engine id that just failed this task: a retry elsewhere need not wait out its backoff. */
  avoid?: string;
}

/** "starting": waiting may help (engines starting or restarting); `cause` is the last thing that went wrong, if anything did. */
export type RoleAvailability = { state: "ready" } | { state: "starting"; cause?: TaleError } | { state: "failed"; error: TaleError };

/** One slot on one engine, held for the length of one attempt. */
export interface EngineLease {
  engineId: string;
  model: string;
  /** The role whose engine serves; differs from the task's when a fallback role serves it. */
  role?: Role;
  /** The role asked for, when a fallback role serves it. */
  fallbackFrom?: Role | null;
  /** The answer comes from a lesser model than asked for. */
  degraded?: boolean;
  chat(request: ChatRequest, options: ChatCallOptions): Promise<ChatResult>;
  /** Tells the supervisor the engine broke mid-request so it checks it now. */
  reportFailure(error: TaleError): void;
  release(): void;
}
