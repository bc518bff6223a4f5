/**
 * The JSON each hook sends to a plugin and the JSON it may answer with.
 * This is the contract plugin authors build against (docs/plugins.md shows an
 * example of each). Bump `hookSchemaVersion` on any incompatible change; a
 * plugin may refuse an input version it does not know.
 *
 * Hook names contain ":", which a wasm export name written in AssemblyScript
 * cannot; a plugin handles hook `task:route` by exporting `task_route`.
 */
import type { Role } from "../config/types";

export const hookSchemaVersion = 1;

export type HookName = "task:route" | "task:completed" | "metrics:tick";
export const hookNames: readonly HookName[] = ["task:route", "task:completed", "metrics:tick"];

export function exportNameOf(hook: HookName): string {
  return hook.replace(":", "_");
}

/** Per-role history the router may weigh: how often a role succeeded and how fast. */
export interface RoleStats {
  calls: number;
  successRate: number;
  p50LatencyMs: number | null;
}

export interface RouteInput {
  version: typeof hookSchemaVersion;
  task: { id: string; kind: "prompt" | "chat" };
  features: {
    /** Estimated length in tokens of the request itself (the last user turn). */
    promptTokens: number;
    /** Estimated tokens of the whole conversation sent with it, history included. */
    contextTokens: number;
    /** Number of messages in the conversation (1 for a plain prompt). */
    messages: number;
    /** A short turn in a conversation rather than a piece of work. */
    conversational: boolean;
    hints: {
      code: boolean;
      multiStep: boolean;
      /** Words like write, build, implement, analyse. */
      workIntent: boolean;
      question: boolean;
    };
    /** The output budget the caller asked for, if any. */
    maxTokens: number | null;
  };
  stats: Record<Role, RoleStats>;
  /** Engine ids per role that can take work now. */
  engines: Record<Role, string[]>;
}

export interface RouteOutput {
  role: Role;
  /** A specific engine of that role; omitted means any. */
  engine?: string;
  /** A token budget for the answer; omitted keeps the caller's. */
  maxTokens?: number;
  /** A short reason, recorded with the task. */
  reason?: string;
}

export interface TaskCompletedInput {
  version: typeof hookSchemaVersion;
  task: { id: string; kind: "prompt" | "chat"; role: Role; engine: string | null; model: string | null };
  outcome: "succeeded" | "failed" | "cancelled" | "timed_out";
  errorCode: string | null;
  usage: { promptTokens: number; completionTokens: number };
  latencyMs: number | null;
  ttftMs: number | null;
  attempts: number;
}

/** task:completed is feedback; a plugin's answer is ignored beyond being valid JSON. */
export type TaskCompletedOutput = Record<string, unknown>;

export interface MetricsTickInput {
  version: typeof hookSchemaVersion;
  at: number;
  queue: Record<string, number>;
  engines: { id: string; role: Role; state: string; restarts: number; inFlight: number; slots: number }[];
  system: { loadAverage1m: number; freeMemoryBytes: number; totalMemoryBytes: number; daemonRssBytes: number };
}

export interface MetricsTickOutput {
  alerts?: { severity: "info" | "warning" | "critical"; message: string }[];
}

export interface HookIO {
  "task:route": { input: RouteInput; output: RouteOutput };
  "task:completed": { input: TaskCompletedInput; output: TaskCompletedOutput };
  "metrics:tick": { input: MetricsTickInput; output: MetricsTickOutput };
}
