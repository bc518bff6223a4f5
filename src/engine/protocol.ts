/**
 * The contract between the supervisor and a built-in engine process.
 *
 * The supervisor starts `tale engine --key-stdin --model <gguf> --port 0
 * [--threads N] [--slots N] [--context-size N] [--max-tokens N] [--name ID]`
 * with stdin as a pipe, and writes the engine's key as its first line. Every
 * request but a liveness probe of /health must carry `Authorization: Bearer
 * <key>`. Once the HTTP server listens, the engine writes exactly one line of
 * JSON (an EngineReadyLine) to stdout; logs go to stderr. The engine exits by
 * itself when stdin closes or its parent process goes away, so it can never
 * outlive the daemon.
 */
export interface EngineReadyLine {
  event: "listening";
  port: number;
  pid: number;
  /** Model id as reported by /v1/models. */
  model: string;
  /** Milliseconds from process start to listening with the model loaded. */
  startupMs: number;
  /** Parameters of the model (elements of all its tensors), for weighing its tokens' cost. */
  parameters: number;
}

/** /health without the key: alive, and nothing more. */
export interface EngineLiveness {
  status: "ok";
}

/** /health with the key. */
export interface EngineHealth {
  status: "ok";
  model: string;
  slots: { total: number; busy: number; queued: number };
  contextSize: number;
  parameters: number;
}

/** Error body of every non-2xx engine response, OpenAI style plus tale's code. */
export interface EngineErrorBody {
  error: { code: string; message: string; type: string; hint?: string };
}

export function isReadyLine(value: unknown): value is EngineReadyLine {
  return typeof value === "object" && value !== null && (value as EngineReadyLine).event === "listening";
}

/**
 * Written to stdout instead of the ready line when the engine cannot start
 * (missing model, port in use), so the supervisor gets the code and hint
 * without parsing stderr. The engine then exits non-zero.
 */
export interface EngineFailedLine {
  event: "failed";
  error: { code: string; message: string; hint?: string };
}

export function isFailedLine(value: unknown): value is EngineFailedLine {
  return typeof value === "object" && value !== null && (value as EngineFailedLine).event === "failed";
}
