import type { Attributes, Meter } from "@opentelemetry/api";
import type { AttemptEnd } from "../scheduler";
import type { Task } from "../store";

/*
 * The OpenTelemetry GenAI semantic conventions' metrics, with their units and
 * advised bucket boundaries. tale is both sides of the conversation: a client
 * of its engines (each attempt) and a model server to its own callers (each
 * task, queue wait included). Attribute values are bounded: roles, engine
 * ids, model names and error codes, never a task id or prompt.
 */
const durationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const tokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const firstTokenBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
const perTokenBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];

/** Every request to an engine is an OpenAI chat completion. */
const operation = "chat";
const provider = "tale";

export interface GenAiMetrics {
  attemptEnded(attempt: AttemptEnd): void;
  /** Records the server-side view once a task is final. */
  taskFinished(task: Task): void;
}

export function createGenAiMetrics(meter: Meter): GenAiMetrics {
  const histogram = (name: string, unit: string, buckets: number[], description: string) =>
    meter.createHistogram(name, { unit, description, advice: { explicitBucketBoundaries: buckets } });
  const tokenUsage = histogram("gen_ai.client.token.usage", "{token}", tokenBuckets, "Number of input and output tokens used per engine request.");
  const operationDuration = histogram("gen_ai.client.operation.duration", "s", durationBuckets, "Duration of each request tale made to an engine (one attempt of a task).");
  const requestDuration = histogram("gen_ai.server.request.duration", "s", durationBuckets, "Time from a task's submission to its final state, queue wait and retries included.");
  const timeToFirstToken = histogram("gen_ai.server.time_to_first_token", "s", firstTokenBuckets, "Time from a task's submission to its first output token, for successful tasks.");
  const timePerOutputToken = histogram("gen_ai.server.time_per_output_token", "s", perTokenBuckets, "Time per output token after the first, for successful engine requests.");

  return {
    attemptEnded(attempt) {
      const attributes: Attributes = {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": attempt.model,
        "gen_ai.response.model": attempt.model,
        "tale.role": attempt.role,
        "tale.engine": attempt.engine,
      };
      if (attempt.outcome !== "succeeded") attributes["error.type"] = attempt.errorCode ?? attempt.outcome;
      operationDuration.record(attempt.latencyMs / 1000, attributes);
      const { promptTokens, completionTokens } = attempt.usage;
      // A request that generated nothing and read nothing says nothing about token use.
      if (promptTokens + completionTokens > 0) {
        tokenUsage.record(promptTokens, { ...attributes, "gen_ai.token.type": "input" });
        tokenUsage.record(completionTokens, { ...attributes, "gen_ai.token.type": "output" });
      }
      if (attempt.outcome === "succeeded" && attempt.ttftMs !== null && completionTokens > 1) {
        timePerOutputToken.record((attempt.latencyMs - attempt.ttftMs) / 1000 / (completionTokens - 1), attributes);
      }
    },
    taskFinished(task) {
      // The caller asks tale for a model by role ("ux", "task", "auto"); the engine's model answers.
      const attributes: Attributes = { "gen_ai.operation.name": operation, "gen_ai.provider.name": provider, "gen_ai.request.model": task.roleRequested };
      if (task.model) attributes["gen_ai.response.model"] = task.model;
      if (task.role) attributes["tale.role"] = task.role;
      if (task.engine) attributes["tale.engine"] = task.engine;
      if (task.status !== "succeeded") attributes["error.type"] = task.errorCode ?? task.status;
      if (task.totalMs !== null) requestDuration.record(task.totalMs / 1000, attributes);
      if (task.status === "succeeded" && task.ttftMs !== null) timeToFirstToken.record(task.ttftMs / 1000, attributes);
    },
  };
}
