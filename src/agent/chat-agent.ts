import type { Role } from "../config/types";
import { TaleError } from "../errors";
import type { Scheduler } from "../scheduler";
import type { ChatEntry, ChatRepository, ChatSessionSummary, Task } from "../store";
import type { ChatMessage } from "../supervisor/chat-client";
import {
  acknowledgementMaxTokens,
  acknowledgementSystemPrompt,
  conversationSystemPrompt,
  handoffMaxTokens,
  historyBudgetChars,
  taskResultContextChars,
} from "./prompts";

/**
 * The ux agent behind `tale chat`. Every turn is answered by the ux model at
 * once; a turn that is really a piece of work is acknowledged by the ux model
 * and handed to the task model in the background, so the conversation never
 * waits on the large model.
 */
export interface ChatAgentOptions {
  scheduler: Scheduler;
  store: ChatRepository;
  /** Earlier entries the ux model sees. */
  historyTurns?: number;
  /** Tokens a reply gets when nothing asks for fewer (builtin.maxTokens). */
  defaultMaxTokens: number;
}

export type TurnEvent =
  | { type: "route"; role: Role; reason: string; decidedBy: string }
  | { type: "delta"; text: string }
  | { type: "restart"; reason: string }
  | { type: "task"; id: string }
  | { type: "reply"; content: string; taskId: string; usage: { promptTokens: number; completionTokens: number }; latencyMs: number | null };

export interface TurnOptions {
  session: string;
  content: string;
  signal?: AbortSignal;
  onEvent: (event: TurnEvent) => void;
}

export class ChatAgent {
  private readonly historyTurns: number;
  private readonly defaultMaxTokens: number;

  constructor(private readonly options: ChatAgentOptions) {
    this.historyTurns = options.historyTurns ?? 20;
    this.defaultMaxTokens = options.defaultMaxTokens;
  }

  history(session: string, limit?: number): ChatEntry[] {
    return this.options.store.chatHistory(session, limit);
  }

  sessions(): ChatSessionSummary[] {
    return this.options.store.listChatSessions();
  }

  async turn(turn: TurnOptions): Promise<void> {
    const content = turn.content.trim();
    if (!content) throw new TaleError("BAD_REQUEST", "Invalid request: content must not be empty.");
    const { scheduler, store } = this.options;
    const context = this.context(turn.session);
    store.appendChatMessage({ session: turn.session, role: "user", content });

    const decision = await scheduler.route({ kind: "chat", prompt: content, messages: [...context, { role: "user", content }] });
    turn.onEvent({ type: "route", role: decision.role, reason: decision.reason, decidedBy: decision.decidedBy });

    if (decision.role === "task") {
      const work = await scheduler.submit({
        kind: "chat",
        prompt: content,
        messages: [{ role: "user", content }],
        role: "task",
        routedBy: decision.decidedBy,
        routeReason: decision.reason,
        maxTokens: decision.maxTokens ?? handoffMaxTokens,
        client: `chat:${turn.session}`,
      });
      store.appendChatMessage({ session: turn.session, role: "task", content: `(task ${work.id})`, taskId: work.id });
      turn.onEvent({ type: "task", id: work.id });
      await this.reply(turn, [{ role: "system", content: acknowledgementSystemPrompt }, { role: "user", content }], { maxTokens: acknowledgementMaxTokens, routedBy: decision.decidedBy });
      return;
    }
    // The router's budget is a cap on the default, so it is applied only when it is lower.
    await this.reply(turn, [{ role: "system", content: conversationSystemPrompt }, ...context, { role: "user", content }], {
      maxTokens: decision.maxTokens !== undefined && decision.maxTokens < this.defaultMaxTokens ? decision.maxTokens : undefined,
      routedBy: decision.decidedBy,
    });
  }

  /** Runs one ux completion, streaming it to the caller, and keeps it in the history. */
  private async reply(turn: TurnOptions, messages: ChatMessage[], options: { maxTokens?: number; routedBy: string }): Promise<void> {
    const { scheduler, store } = this.options;
    const prompt = messages.at(-1)!.content;
    const task = await scheduler.submit({ kind: "chat", prompt, messages, role: "ux", ...options, client: `chat:${turn.session}` });
    const done = await this.follow(task, turn);
    if (done.status !== "succeeded") {
      throw new TaleError((done.errorCode as TaleError["code"]) ?? "INTERNAL", done.errorMessage ?? `The reply ended as ${done.status}.`, { hint: done.errorHint ?? undefined });
    }
    store.appendChatMessage({ session: turn.session, role: "assistant", content: done.output ?? "", taskId: done.id });
    turn.onEvent({
      type: "reply",
      content: done.output ?? "",
      taskId: done.id,
      usage: { promptTokens: done.promptTokens, completionTokens: done.completionTokens },
      latencyMs: done.totalMs,
    });
  }

  private follow(task: Task, turn: TurnOptions): Promise<Task> {
    const { scheduler } = this.options;
    return new Promise((resolve) => {
      const unsubscribe = scheduler.watch(task.id, (event) => {
        if (event.type === "delta") turn.onEvent({ type: "delta", text: event.text });
        // The engine broke mid-reply and the reply starts over: say so rather than splice two answers.
        if (event.type === "retry") turn.onEvent({ type: "restart", reason: event.error.message });
        if (event.type === "done") {
          unsubscribe();
          turn.signal?.removeEventListener("abort", cancel);
          resolve(event.task);
        }
      });
      const cancel = () => void scheduler.cancel(task.id);
      turn.signal?.addEventListener("abort", cancel, { once: true });
      // It may have finished before the subscription was made.
      const current = scheduler.get(task.id);
      if (current.status !== "queued" && current.status !== "running") {
        unsubscribe();
        resolve(current);
      }
    });
  }

  /** The recent conversation as model messages, newest kept first within the budget; task results are shortened. */
  private context(session: string): ChatMessage[] {
    const messages = this.options.store.chatHistory(session, this.historyTurns).flatMap((entry): ChatMessage[] => {
      if (entry.role === "user") return [{ role: "user", content: entry.content }];
      if (entry.role === "assistant") return [{ role: "assistant", content: entry.content }];
      if (entry.taskStatus !== "succeeded") return [];
      const text = entry.content.length > taskResultContextChars ? `${entry.content.slice(0, taskResultContextChars)}…` : entry.content;
      return [{ role: "assistant", content: `Result of the background task: ${text}` }];
    });
    let budget = historyBudgetChars;
    let keep = messages.length;
    while (keep > 0 && budget - messages[keep - 1]!.content.length >= 0) budget -= messages[--keep]!.content.length;
    return messages.slice(keep);
  }
}
