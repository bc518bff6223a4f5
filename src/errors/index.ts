/**
 * Errors are values: a stable code, a plain message and a hint that tells the
 * user what to do next. The CLI prints these without a stack trace; anything
 * that is not a TaleError is a bug in tale and is shown with one.
 */
export type ErrorCode =
  | "BAD_REQUEST"
  | "AUTH"
  | "NOT_FOUND"
  | "CONFIG"
  | "STORAGE"
  | "MODEL_NOT_FOUND"
  | "PORT_IN_USE"
  | "ENGINE_CRASHED"
  | "ENGINE_UNHEALTHY"
  | "ENGINE_START_FAILED"
  | "CONTEXT_OVERFLOW"
  | "TIMEOUT"
  | "CANCELLED"
  | "OVERLOADED"
  | "RATE_LIMITED"
  | "DAEMON_UNAVAILABLE"
  | "UNKNOWN_COMMAND"
  | "INTERNAL";

export interface ErrorClass {
  /** HTTP status the API answers with. */
  status: number;
  /** Whether running the same work again may succeed. */
  retryable: boolean;
  /** What the code means, for `tale explain`-style help. */
  meaning: string;
}

export const errorClasses: Record<ErrorCode, ErrorClass> = {
  BAD_REQUEST: { status: 400, retryable: false, meaning: "The request was malformed or had invalid values." },
  AUTH: { status: 401, retryable: false, meaning: "The API token was missing or wrong." },
  NOT_FOUND: { status: 404, retryable: false, meaning: "The task or resource does not exist." },
  CONFIG: { status: 400, retryable: false, meaning: "A configuration file or value is invalid." },
  STORAGE: { status: 500, retryable: false, meaning: "The database or TALE_HOME could not be read or written." },
  MODEL_NOT_FOUND: { status: 400, retryable: false, meaning: "A model file is missing or unreadable." },
  PORT_IN_USE: { status: 500, retryable: false, meaning: "Another program already listens on the port." },
  ENGINE_CRASHED: { status: 502, retryable: true, meaning: "A model engine process exited while serving." },
  ENGINE_UNHEALTHY: { status: 503, retryable: true, meaning: "No healthy engine could serve the role." },
  ENGINE_START_FAILED: { status: 503, retryable: true, meaning: "A model engine did not become healthy." },
  CONTEXT_OVERFLOW: { status: 400, retryable: false, meaning: "The prompt does not fit in the model's context." },
  TIMEOUT: { status: 504, retryable: false, meaning: "The task ran past its deadline." },
  CANCELLED: { status: 409, retryable: false, meaning: "The task was cancelled." },
  OVERLOADED: { status: 503, retryable: true, meaning: "tale is at capacity and refused new work." },
  RATE_LIMITED: { status: 429, retryable: true, meaning: "An upstream endpoint asked tale to slow down." },
  DAEMON_UNAVAILABLE: { status: 503, retryable: true, meaning: "The tale daemon could not be reached or started." },
  UNKNOWN_COMMAND: { status: 400, retryable: false, meaning: "The command does not exist." },
  INTERNAL: { status: 500, retryable: false, meaning: "A bug in tale." },
};

export interface TaleErrorInit {
  hint?: string;
  /** Facts for logs and JSON output; never secrets. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class TaleError extends Error {
  override readonly name = "TaleError";
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, init: TaleErrorInit = {}) {
    super(message, { cause: init.cause });
    this.code = code;
    this.hint = init.hint;
    this.details = init.details;
  }

  get status(): number {
    return errorClasses[this.code].status;
  }

  get retryable(): boolean {
    return errorClasses[this.code].retryable;
  }

  toJSON(): SerializedError {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  hint?: string;
}

export function isTaleError(value: unknown): value is TaleError {
  return value instanceof TaleError;
}

/** Rebuilds an error that crossed a process or HTTP boundary. */
export function fromSerialized(value: SerializedError): TaleError {
  const code = value.code in errorClasses ? value.code : "INTERNAL";
  return new TaleError(code, value.message, { hint: value.hint });
}

/** Wraps anything thrown into a TaleError, keeping TaleErrors as they are. */
export function toTaleError(error: unknown, fallback: ErrorCode = "INTERNAL"): TaleError {
  if (isTaleError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TaleError(fallback, message, { cause: error });
}
