import type { TaskJson } from "../../api/task-json";
import type { TurnEvent } from "../../agent/chat-agent";
import { fromSerialized, type SerializedError, TaleError } from "../../errors";
import type { DaemonConnection } from "../../daemon/launcher";
import { readServerSentEvents } from "../../util/sse";

export type TaskProgress = { type: "progress"; tokens: number } | { type: "done"; task: TaskJson };

/** The streaming half of the daemon API that `tale chat` needs. */
export class ChatClient {
  constructor(private readonly connection: DaemonConnection) {}

  /** Sends one turn; resolves when the ux reply is complete. */
  async turn(session: string, content: string, onEvent: (event: TurnEvent) => void): Promise<void> {
    const response = await this.open(`/v1/chat/sessions/${encodeURIComponent(session)}/turns`, { method: "POST", body: JSON.stringify({ content }) });
    for await (const { event, data } of readServerSentEvents(response.body!)) {
      if (event === "error") throw fromSerialized(JSON.parse(data) as SerializedError);
      if (event === "done") return;
      onEvent(JSON.parse(data) as TurnEvent);
    }
  }

  /** Follows a background task until it is final. */
  async follow(id: string, onProgress: (progress: TaskProgress) => void): Promise<TaskJson> {
    const response = await this.open(`/v1/tasks/${encodeURIComponent(id)}/events`);
    for await (const { event, data } of readServerSentEvents(response.body!)) {
      if (event === "progress") onProgress({ type: "progress", tokens: (JSON.parse(data) as { tokens: number }).tokens });
      if (event === "done") {
        const task = JSON.parse(data) as TaskJson;
        onProgress({ type: "done", task });
        return task;
      }
    }
    throw new TaleError("DAEMON_UNAVAILABLE", `The daemon closed the event stream of task ${id} early.`, { hint: `See the result with \`tale show ${id}\`.` });
  }

  private async open(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(`${this.connection.baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${this.connection.token}`, "content-type": "application/json" },
    });
    if (response.ok && response.body) return response;
    const body = (await response.json().catch(() => ({}))) as { error?: SerializedError };
    throw body.error ? fromSerialized(body.error) : new TaleError("DAEMON_UNAVAILABLE", `The daemon answered HTTP ${response.status}.`);
  }
}
