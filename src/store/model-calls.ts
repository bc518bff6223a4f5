import type { Database, Statement } from "bun:sqlite";
import type { Role } from "../config/types.ts";

/**
 * The token ledger: one row per model call, i.e. per attempt of a task on an
 * engine, failed and cancelled attempts included, so every token a model
 * spent is accounted for exactly once.
 */

/**
 * How a call ended. `retried`: the call failed and the task was tried again;
 * `interrupted`: the daemon stopped during the call and re-queued the task.
 */
export type ModelCallOutcome = "succeeded" | "failed" | "cancelled" | "timed_out" | "retried" | "interrupted";

export interface NewModelCall {
  taskId: string;
  /** Number of the attempt, counting from 1. */
  attempt: number;
  role: Role;
  engine: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** Attempt start to its end, queue wait excluded. */
  latencyMs: number;
  /** Attempt start to the first token; null when none came. */
  ttftMs: number | null;
  outcome: ModelCallOutcome;
  errorCode: string | null;
  /** Who chose the role: "explicit", "fallback" or "plugin:<name>". */
  routedBy: string | null;
  /** Epoch ms; defaults to the store's clock. */
  createdAt?: number;
}

export interface ModelCall extends Required<NewModelCall> {
  id: number;
}

export type TokenGrouping = "role" | "day" | "model";

export interface TokenTotalsOptions {
  /** Epoch ms: only calls made at or after it. */
  since?: number;
  groupBy: TokenGrouping;
}

export interface TokenTotal {
  /** The role, the UTC day (YYYY-MM-DD) or the model name. */
  key: string;
  /** Grouped by model only: the role the model served (a model serving both roles gets a row for each). */
  role?: Role;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** Per-role history the router weighs; the same shape as `RoleStats` in the hook schema. */
export interface RoleCallStats {
  /** Calls in the window whose outcome says something about the model (cancelled and interrupted calls do not). */
  calls: number;
  /** Succeeded / calls; 1 when there were none, since no evidence is not evidence of failure. */
  successRate: number;
  /** Median latency of the succeeded calls; null when there were none. */
  p50LatencyMs: number | null;
}

export interface RoleStatsOptions {
  /** How far back to look. */
  windowMs: number;
  /** At most this many of the newest calls per role, so one read stays cheap however busy the window was. Default 1000. */
  maxCalls?: number;
}

export interface ModelCallRepository {
  recordModelCall(call: NewModelCall): ModelCall;
  /** Newest first; for tests and inspection. */
  listModelCalls(options?: { taskId?: string; limit?: number }): ModelCall[];
  tokenTotals(options: TokenTotalsOptions): TokenTotal[];
  roleStats(options: RoleStatsOptions): Record<Role, RoleCallStats>;
}

export const modelCallsMigrationSql = `
  CREATE TABLE model_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('ux', 'task')),
    engine TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL CHECK (prompt_tokens >= 0),
    completion_tokens INTEGER NOT NULL CHECK (completion_tokens >= 0),
    latency_ms INTEGER NOT NULL,
    ttft_ms INTEGER,
    outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'cancelled', 'timed_out', 'retried', 'interrupted')),
    error_code TEXT,
    routed_by TEXT,
    created_at INTEGER NOT NULL
  ) STRICT;
  -- Totals read a time range. Routing stats read one role's newest calls, from the index alone.
  CREATE INDEX model_calls_created ON model_calls (created_at);
  CREATE INDEX model_calls_role_created ON model_calls (role, created_at, id, outcome, latency_ms);
  CREATE INDEX model_calls_task ON model_calls (task_id, attempt);
`;

interface ModelCallRow {
  id: number;
  task_id: string;
  attempt: number;
  role: Role;
  engine: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: number;
  ttft_ms: number | null;
  outcome: ModelCallOutcome;
  error_code: string | null;
  routed_by: string | null;
  created_at: number;
}

function toModelCall(row: ModelCallRow): ModelCall {
  return {
    id: row.id,
    taskId: row.task_id,
    attempt: row.attempt,
    role: row.role,
    engine: row.engine,
    model: row.model,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    outcome: row.outcome,
    errorCode: row.error_code,
    routedBy: row.routed_by,
    createdAt: row.created_at,
  };
}

interface TotalRow {
  key: string;
  role: Role | null;
  calls: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/** SQL for each grouping's key; days are UTC so a report reads the same on every machine. */
const groupKeys: Record<TokenGrouping, { key: string; groupBy: string }> = {
  role: { key: "role", groupBy: "role" },
  day: { key: "strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')", groupBy: "1" },
  model: { key: "model", groupBy: "model, role" },
};

/**
 * The newest calls of one role within the window, read from model_calls_role_created alone.
 * Cancelled and interrupted calls are left out: the user or the daemon stopped
 * them, which says nothing about the model.
 */
export const recentRoleCallsSql = `
  SELECT outcome, latency_ms FROM model_calls
  WHERE role = $role AND created_at >= $since AND outcome NOT IN ('cancelled', 'interrupted')
  ORDER BY created_at DESC, id DESC LIMIT $limit`;

/** Median of an ascending list: the mean of the middle pair for an even count. */
function medianOfSorted(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const middle = values.length >> 1;
  return values.length % 2 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
}

export function createModelCallRepository(db: Database, now: () => number): { repository: ModelCallRepository; finalize(): void } {
  type Params = Record<string, string | number | null>;
  const statements: Statement[] = [];
  const prepare = <Row>(sql: string) => {
    const statement = db.prepare<Row, [Params]>(sql);
    statements.push(statement);
    return statement;
  };

  const insert = prepare<ModelCallRow>(`
    INSERT INTO model_calls (task_id, attempt, role, engine, model, prompt_tokens, completion_tokens, latency_ms, ttft_ms,
      outcome, error_code, routed_by, created_at)
    VALUES ($taskId, $attempt, $role, $engine, $model, $promptTokens, $completionTokens, $latencyMs, $ttftMs,
      $outcome, $errorCode, $routedBy, $createdAt)
    RETURNING *`);
  const list = prepare<ModelCallRow>(`
    SELECT * FROM model_calls WHERE ($taskId IS NULL OR task_id = $taskId) ORDER BY id DESC LIMIT $limit`);
  const totals = Object.fromEntries(
    Object.entries(groupKeys).map(([grouping, sql]) => [
      grouping,
      prepare<TotalRow>(`
        SELECT ${sql.key} AS key, ${grouping === "model" ? "role" : "NULL"} AS role, count(*) AS calls,
          sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens
        FROM model_calls WHERE created_at >= $since GROUP BY ${sql.groupBy} ORDER BY ${sql.groupBy}`),
    ]),
  ) as Record<TokenGrouping, Statement<TotalRow, [Params]>>;
  const recent = prepare<{ outcome: ModelCallOutcome; latency_ms: number }>(recentRoleCallsSql);

  const statsOf = (role: Role, since: number, limit: number): RoleCallStats => {
    const rows = recent.all({ role, since, limit });
    const latencies = rows.filter((row) => row.outcome === "succeeded").map((row) => row.latency_ms).sort((a, b) => a - b);
    return {
      calls: rows.length,
      successRate: rows.length === 0 ? 1 : latencies.length / rows.length,
      p50LatencyMs: medianOfSorted(latencies),
    };
  };

  const repository: ModelCallRepository = {
    recordModelCall: (call) =>
      toModelCall(
        insert.get({
          taskId: call.taskId,
          attempt: call.attempt,
          role: call.role,
          engine: call.engine,
          model: call.model,
          promptTokens: call.promptTokens,
          completionTokens: call.completionTokens,
          latencyMs: Math.round(call.latencyMs),
          ttftMs: call.ttftMs === null ? null : Math.round(call.ttftMs),
          outcome: call.outcome,
          errorCode: call.errorCode,
          routedBy: call.routedBy,
          createdAt: call.createdAt ?? now(),
        })!,
      ),
    listModelCalls: (options = {}) => list.all({ taskId: options.taskId ?? null, limit: options.limit ?? 100 }).map(toModelCall),
    tokenTotals: (options) =>
      totals[options.groupBy].all({ since: options.since ?? 0 }).map((row) => ({
        key: row.key,
        ...(row.role === null ? {} : { role: row.role }),
        calls: row.calls,
        promptTokens: row.prompt_tokens,
        completionTokens: row.completion_tokens,
        totalTokens: row.prompt_tokens + row.completion_tokens,
      })),
    roleStats: (options) => {
      const since = now() - options.windowMs;
      const limit = options.maxCalls ?? 1000;
      return { ux: statsOf("ux", since, limit), task: statsOf("task", since, limit) };
    },
  };
  return { repository, finalize: () => statements.forEach((statement) => statement.finalize()) };
}
