import type { Role } from "../config/types.ts";
import type { ErrorCode, SerializedError } from "../errors/index.ts";

export type TaskStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "timed_out";
export const taskStatuses: readonly TaskStatus[] = ["queued", "running", "succeeded", "failed", "cancelled", "timed_out"];

export type FinishedStatus = Exclude<TaskStatus, "queued" | "running">;

/** `prompt` is a plain completion; `chat` carries OpenAI-style messages. */
export type TaskKind = "prompt" | "chat";

export type RoleRequest = Role | "auto";

/** A chat message as the API accepts it and engines receive it. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface Task {
  id: string;
  status: TaskStatus;
  kind: TaskKind;
  prompt: string;
  messages: ChatMessage[] | null;
  roleRequested: RoleRequest;
  /** The role that served the task's latest attempt. */
  role: Role | null;
  engine: string | null;
  model: string | null;
  /** Higher runs first. */
  priority: number;
  maxTokens: number | null;
  timeoutMs: number | null;
  output: string | null;
  errorCode: ErrorCode | null;
  errorMessage: string | null;
  errorHint: string | null;
  promptTokens: number;
  completionTokens: number;
  /** Attempts started so far, the current one included. */
  attempts: number;
  /** Epoch milliseconds. started/firstToken describe the latest attempt. */
  createdAt: number;
  startedAt: number | null;
  firstTokenAt: number | null;
  finishedAt: number | null;
  finishReason: string | null;
  /** Who submitted the task (e.g. "cli", a user agent), for logs. */
  client: string | null;
  /** Who chose the role: "explicit", "fallback" or "plugin:<name>". */
  routedBy: string | null;
  /** Why the router chose the role; null when the caller chose it. */
  routeReason: string | null;
  /** The role this run was asked for, when another role's engine served it (supervisor.fallback); null otherwise. */
  fallbackFrom: Role | null;
  /** True when the answer came from a lesser model than asked for (task served by ux). */
  degraded: boolean;
  /** Creation to the latest attempt's start. */
  queueWaitMs: number | null;
  /** Creation to the first token: what the caller waited. */
  ttftMs: number | null;
  /** Creation to finish: the task's whole latency. */
  totalMs: number | null;
}

export interface NewTask {
  /** From newTaskId(); a new one when absent. */
  id?: string;
  kind: TaskKind;
  prompt?: string;
  messages?: ChatMessage[];
  roleRequested?: RoleRequest;
  /** Set when the role is decided at submission (e.g. routing `auto` by heuristics). */
  role?: Role;
  priority?: number;
  /** Queue wait one priority point is worth (aging); 1000 ms when absent. */
  agingMs?: number;
  maxTokens?: number;
  timeoutMs?: number;
  client?: string;
  routedBy?: string;
  routeReason?: string;
}

export interface RunStart {
  role: Role;
  engine: string;
  model?: string;
  /** Number of this attempt, counting from 1. */
  attempt: number;
  fallbackFrom?: Role | null;
  degraded?: boolean;
}

export interface TaskResult {
  status: FinishedStatus;
  output?: string;
  error?: SerializedError;
  usage?: { promptTokens: number; completionTokens: number };
  finishReason?: string;
}

export interface ListTasksOptions {
  status?: TaskStatus;
  /** Default 50. */
  limit?: number;
  /** A task id: list only tasks created before it (for paging, newest first). */
  before?: string;
}
