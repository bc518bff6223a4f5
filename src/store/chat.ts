import type { Database, Statement } from "bun:sqlite";

/**
 * Chat sessions for `tale chat`. A message of role "task" stands for work
 * handed to the task model: its text is the task's output, read when the
 * history is read, so a result that lands after a daemon restart still shows.
 */
export type ChatRole = "user" | "assistant" | "task";

export interface ChatEntry {
  id: number;
  session: string;
  role: ChatRole;
  content: string;
  taskId: string | null;
  /** For "task" entries: the task's status and output, joined at read time. */
  taskStatus: string | null;
  createdAt: number;
}

export interface ChatSessionSummary {
  name: string;
  messages: number;
  updatedAt: number;
}

export interface ChatRepository {
  appendChatMessage(entry: { session: string; role: ChatRole; content: string; taskId?: string }): ChatEntry;
  /** The last `limit` entries of a session, oldest first. */
  chatHistory(session: string, limit?: number): ChatEntry[];
  listChatSessions(): ChatSessionSummary[];
}

interface ChatRow {
  id: number;
  session: string;
  role: ChatRole;
  content: string;
  task_id: string | null;
  task_status: string | null;
  task_output: string | null;
  created_at: number;
}

export function createChatRepository(db: Database, now: () => number): { repository: ChatRepository; finalize(): void } {
  const statements: Statement[] = [];
  const prepare = <Row>(sql: string) => {
    const statement = db.prepare<Row, [Record<string, string | number | null>]>(sql);
    statements.push(statement);
    return statement;
  };
  const insert = prepare<{ id: number }>(
    "INSERT INTO chat_messages (session, role, content, task_id, created_at) VALUES ($session, $role, $content, $taskId, $at) RETURNING id",
  );
  const history = prepare<ChatRow>(`
    SELECT * FROM (
      SELECT m.id, m.session, m.role, m.content, m.task_id, m.created_at, t.status AS task_status, t.output AS task_output
      FROM chat_messages m LEFT JOIN tasks t ON t.id = m.task_id
      WHERE m.session = $session ORDER BY m.id DESC LIMIT $limit
    ) ORDER BY id`);
  const sessions = prepare<{ name: string; messages: number; updated_at: number }>(
    "SELECT session AS name, COUNT(*) AS messages, MAX(created_at) AS updated_at FROM chat_messages GROUP BY session ORDER BY updated_at DESC",
  );

  const toEntry = (row: ChatRow): ChatEntry => ({
    id: row.id,
    session: row.session,
    role: row.role,
    content: row.role === "task" ? (row.task_output ?? row.content) : row.content,
    taskId: row.task_id,
    taskStatus: row.task_status,
    createdAt: row.created_at,
  });

  const repository: ChatRepository = {
    appendChatMessage(entry) {
      const at = now();
      const { id } = insert.get({ session: entry.session, role: entry.role, content: entry.content, taskId: entry.taskId ?? null, at })!;
      return { id, session: entry.session, role: entry.role, content: entry.content, taskId: entry.taskId ?? null, taskStatus: null, createdAt: at };
    },
    chatHistory(session, limit = 50) {
      return history.all({ session, limit }).map(toEntry);
    },
    listChatSessions() {
      return sessions.all({}).map((row) => ({ name: row.name, messages: row.messages, updatedAt: row.updated_at }));
    },
  };
  return { repository, finalize: () => statements.forEach((statement) => statement.finalize()) };
}

export const chatMigrationSql = `
  CREATE TABLE chat_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'task')),
    content TEXT NOT NULL,
    task_id TEXT REFERENCES tasks(id),
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX chat_messages_session ON chat_messages (session, id);
`;
