import type { Database, Statement } from "bun:sqlite";
import type { Role } from "../config/types.ts";
import { type ErrorCode, TaleError } from "../errors/index.ts";
import { createIdGenerator } from "./ids.ts";
import { taskFallbackFields } from "./task-fallback.ts";
import type { ChatMessage, ListTasksOptions, NewTask, RoleRequest, RunStart, Task, TaskKind, TaskResult, TaskStatus } from "./types.ts";
import { taskStatuses } from "./types.ts";

interface TaskRow {
  id: string;
  status: TaskStatus;
  kind: TaskKind;
  prompt: string;
  messages: string | null;
  role_requested: RoleRequest;
  role: Role | null;
  engine: string | null;
  model: string | null;
  priority: number;
  max_tokens: number | null;
  timeout_ms: number | null;
  output: string | null;
  error_code: string | null;
  error_message: string | null;
  error_hint: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  attempts: number;
  created_at: number;
  started_at: number | null;
  first_token_at: number | null;
  finished_at: number | null;
  finish_reason: string | null;
  client: string | null;
  routed_by: string | null;
  route_reason: string | null;
  fallback_from: string | null;
  degraded: number;
}

function since(from: number, to: number | null): number | null {
  return to === null ? null : to - from;
}

function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    status: row.status,
    kind: row.kind,
    prompt: row.prompt,
    messages: row.messages === null ? null : (JSON.parse(row.messages) as ChatMessage[]),
    roleRequested: row.role_requested,
    role: row.role,
    engine: row.engine,
    model: row.model,
    priority: row.priority,
    maxTokens: row.max_tokens,
    timeoutMs: row.timeout_ms,
    output: row.output,
    errorCode: row.error_code as ErrorCode | null,
    errorMessage: row.error_message,
    errorHint: row.error_hint,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    attempts: row.attempts,
    createdAt: row.created_at,
    startedAt: row.started_at,
    firstTokenAt: row.first_token_at,
    finishedAt: row.finished_at,
    finishReason: row.finish_reason,
    client: row.client,
    routedBy: row.routed_by,
    routeReason: row.route_reason,
    ...taskFallbackFields(row),
    queueWaitMs: since(row.created_at, row.started_at),
    ttftMs: since(row.created_at, row.first_token_at),
    totalMs: since(row.created_at, row.finished_at),
  };
}

/** queue_rank folds priority and aging into one static key (see migration 4). */
const queueOrder = "ORDER BY queue_rank, id";
const defaultAgingMs = 1000;
/** What a run leaves behind that the next attempt must not inherit. */
const clearRun = "status = 'queued', started_at = NULL, first_token_at = NULL, output = NULL, fallback_from = NULL, degraded = 0";

export interface TaskRepository {
  /** Returns once the row is committed. */
  insertTask(input: NewTask): Task;
  /** A fresh id, for a caller that must name a task before inserting it (routing sees the id). */
  newTaskId(): string;
  getTask(id: string): Task | undefined;
  /** Newest first. */
  listTasks(options?: ListTasksOptions): Task[];
  /** queued -> running; undefined when the task is not queued (e.g. cancelled meanwhile). */
  markRunning(id: string, run: RunStart): Task | undefined;
  /** Records the first token once per attempt; later calls are ignored. */
  markFirstToken(id: string, at?: number): Task | undefined;
  /**
   * queued/running -> a finished status. The first finish wins: a task that
   * already finished is returned unchanged. Throws NOT_FOUND for an unknown id.
   */
  finishTask(id: string, result: TaskResult): Task;
  /** running -> queued, for a retry. */
  requeueTask(id: string): Task | undefined;
  countByStatus(): Record<TaskStatus, number>;
  /**
   * Queued tasks in run order: by priority, where each priority point is
   * worth `agingMs` of waiting, then first come first served.
   */
  queuedTasks(limit?: number): Task[];
  queuedCount(): number;
  /** Queued and running tasks, optionally of one status and role, oldest first. */
  activeTasks(filter?: { status?: "queued" | "running"; role?: Role }): Task[];
  /** On daemon start: tasks left running by a previous daemon go back to the queue. */
  recoverInterrupted(): Task[];
}

/**
 * Statements are prepared once here. `finalize` must run before the database
 * closes: SQLite keeps a connection with live statements open (and its WAL
 * unmerged) even after close is called.
 */
export function createTaskRepository(db: Database, now: () => number): { repository: TaskRepository; finalize(): void } {
  const newId = createIdGenerator({ prefix: "t_", now });
  type Params = Record<string, string | number | null>;
  const statements: Statement[] = [];
  const prepare = <Row = TaskRow>(sql: string) => {
    const statement = db.prepare<Row, [Params]>(sql);
    statements.push(statement);
    return statement;
  };

  const insert = prepare(`
    INSERT INTO tasks (id, status, kind, prompt, messages, role_requested, role, priority, max_tokens, timeout_ms, client, routed_by, route_reason, created_at, queue_rank)
    VALUES ($id, 'queued', $kind, $prompt, $messages, $roleRequested, $role, $priority, $maxTokens, $timeoutMs, $client, $routedBy, $routeReason, $createdAt,
      $createdAt - $priority * $agingMs)
    RETURNING *`);
  const byId = prepare("SELECT * FROM tasks WHERE id = $id");
  const list = prepare(`
    SELECT * FROM tasks
    WHERE ($status IS NULL OR status = $status) AND ($before IS NULL OR id < $before)
    ORDER BY id DESC LIMIT $limit`);
  const running = prepare(`
    UPDATE tasks SET status = 'running', role = $role, engine = $engine, model = $model, attempts = $attempt,
      started_at = $at, first_token_at = NULL, fallback_from = $fallbackFrom, degraded = $degraded
    WHERE id = $id AND status = 'queued' RETURNING *`);
  const firstToken = prepare(`
    UPDATE tasks SET first_token_at = $at
    WHERE id = $id AND status = 'running' AND first_token_at IS NULL RETURNING *`);
  const finish = prepare(`
    UPDATE tasks SET status = $status, output = coalesce($output, output),
      error_code = $errorCode, error_message = $errorMessage, error_hint = $errorHint,
      prompt_tokens = coalesce($promptTokens, prompt_tokens), completion_tokens = coalesce($completionTokens, completion_tokens),
      finish_reason = $finishReason, finished_at = $at
    WHERE id = $id AND status IN ('queued', 'running') RETURNING *`);
  const requeue = prepare(`UPDATE tasks SET ${clearRun} WHERE id = $id AND status = 'running' RETURNING *`);
  const recover = prepare(`UPDATE tasks SET ${clearRun} WHERE status = 'running' RETURNING *`);
  // The planner prefers tasks_status for "status = 'queued'" and then sorts every queued row; the partial queue index reads only the first few.
  const queued = prepare(`SELECT * FROM tasks INDEXED BY tasks_queue WHERE status = 'queued' ${queueOrder} LIMIT $limit`);
  const queuedCount = prepare<{ count: number }>("SELECT count(*) AS count FROM tasks WHERE status = 'queued'");
  const active = prepare(`
    SELECT * FROM tasks
    WHERE status IN ('queued', 'running') AND ($status IS NULL OR status = $status) AND ($role IS NULL OR role = $role)
    ORDER BY id`);
  const counts = prepare<{ status: TaskStatus; count: number }>("SELECT status, count(*) AS count FROM tasks GROUP BY status");

  const one = (row: TaskRow | null) => (row === null ? undefined : toTask(row));

  const repository: TaskRepository = {
    newTaskId: newId,
    insertTask: (input) =>
      toTask(
        insert.get({
          id: input.id ?? newId(),
          kind: input.kind,
          prompt: input.prompt ?? "",
          messages: input.messages === undefined ? null : JSON.stringify(input.messages),
          roleRequested: input.roleRequested ?? "auto",
          role: input.role ?? null,
          priority: input.priority ?? 0,
          agingMs: input.agingMs ?? defaultAgingMs,
          maxTokens: input.maxTokens ?? null,
          timeoutMs: input.timeoutMs ?? null,
          client: input.client ?? null,
          routedBy: input.routedBy ?? null,
          routeReason: input.routeReason ?? null,
          createdAt: now(),
        })!,
      ),
    getTask: (id) => one(byId.get({ id })),
    listTasks: (options = {}) =>
      list.all({ status: options.status ?? null, before: options.before ?? null, limit: options.limit ?? 50 }).map(toTask),
    markRunning: (id, run) =>
      one(
        running.get({
          id,
          role: run.role,
          engine: run.engine,
          model: run.model ?? null,
          attempt: run.attempt,
          fallbackFrom: run.fallbackFrom ?? null,
          degraded: run.degraded ? 1 : 0,
          at: now(),
        }),
      ),
    markFirstToken: (id, at = now()) => one(firstToken.get({ id, at })),
    finishTask: (id, result) => {
      const row =
        finish.get({
          id,
          status: result.status,
          output: result.output ?? null,
          errorCode: result.error?.code ?? null,
          errorMessage: result.error?.message ?? null,
          errorHint: result.error?.hint ?? null,
          promptTokens: result.usage?.promptTokens ?? null,
          completionTokens: result.usage?.completionTokens ?? null,
          finishReason: result.finishReason ?? null,
          at: now(),
        }) ?? byId.get({ id });
      if (row === null) throw new TaleError("NOT_FOUND", `No task with id "${id}".`, { hint: "List tasks with `tale list`." });
      return toTask(row);
    },
    requeueTask: (id) => one(requeue.get({ id })),
    countByStatus: () => {
      const result = Object.fromEntries(taskStatuses.map((status) => [status, 0])) as Record<TaskStatus, number>;
      for (const row of counts.all({})) result[row.status] = row.count;
      return result;
    },
    // SQLite reads a negative LIMIT as "no limit".
    queuedTasks: (limit = -1) => queued.all({ limit }).map(toTask),
    recoverInterrupted: () => recover.all({}).map(toTask),
    queuedCount: () => queuedCount.get({})!.count,
    activeTasks: (filter = {}) => active.all({ status: filter.status ?? null, role: filter.role ?? null }).map(toTask),
  };
  return { repository, finalize: () => statements.forEach((statement) => statement.finalize()) };
}
