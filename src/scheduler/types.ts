import type { Role, TaleConfig } from "../config/types";
import type { LogFn } from "../logs/record";
import type { RoleStats, RouteInput } from "../plugins/hook-schema";
import type { Store, Task } from "../store";
import type { ChatMessage } from "../supervisor/chat-client";
import type { EnginePool } from "./engine-pool";

export interface SubmitInput {
  kind: "prompt" | "chat";
  /** The prompt text; for chat requests, the last user message. */
  prompt: string;
  messages?: ChatMessage[];
  role: Role | "auto";
  priority?: number;
  timeoutMs?: number;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  client?: string;
  /** With an explicit role: who chose it, when that was a router rather than the caller. */
  routedBy?: string;
  /** With routedBy: why that router chose the role. */
  routeReason?: string;
}

/** Where a routing decision came from: "plugin:<name>", "fallback" or "explicit". */
export interface RouteDecision {
  role: Role;
  engine?: string;
  maxTokens?: number;
  reason: string;
  decidedBy: string;
}

/** One attempt of a task on an engine, as it ended: what the ledger and the task:completed hook see. */
export interface AttemptEnd {
  task: Task;
  attempt: number;
  role: Role;
  engine: string;
  model: string;
  outcome: "succeeded" | "failed" | "cancelled" | "timed_out" | "retried" | "interrupted";
  errorCode: string | null;
  usage: { promptTokens: number; completionTokens: number };
  latencyMs: number;
  ttftMs: number | null;
}

export interface SchedulerOptions {
  store: Store;
  pool: EnginePool;
  config: TaleConfig["scheduler"];
  /** Tokens to generate when a task sets no limit. */
  defaultMaxTokens: number;
  /** Decides the role of "auto" requests; the built-in fallback policy when absent. */
  router?: (input: RouteInput) => Promise<RouteDecision>;
  /** Per-role history for routing; empty stats when absent. */
  roleStats?: () => Record<Role, RoleStats>;
  onAttemptEnd?: (attempt: AttemptEnd) => void;
  /** Every change of a task's status: queued, running, back to queued, final. */
  onTaskChange?: (task: Task) => void;
  /** Something went wrong that no single caller sees, e.g. the watchdog freed a stuck slot. */
  onAlert?: (alert: SchedulerAlert) => void;
  /** `fields` name the task and engine a line is about, so `tale logs --task` finds it. */
  log?: LogFn;
}

export interface SchedulerAlert {
  severity: "warning" | "critical";
  source: "watchdog";
  message: string;
}

/** Which active tasks `cancelMany` stops; every given filter must match. */
export interface CancelFilter {
  status?: "queued" | "running";
  role?: Role;
}

/** A request to route; `id` is the task's when it has one (a chat turn being weighed has none yet). */
export type RouteRequest = Pick<SubmitInput, "kind" | "prompt" | "messages" | "maxTokens"> & { id?: string };
