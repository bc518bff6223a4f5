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
  | "ENGINE_UNAVAILABLE"
  | "CONTEXT_OVERFLOW"
  | "TIMEOUT"
  | "CANCELLED"
  | "OVERLOADED"
  | "RATE_LIMITED"
  | "DAEMON_UNAVAILABLE"
  | "UNKNOWN_COMMAND"
  | "PLUGIN_FAILED"
  | "INTERNAL";

export interface ErrorClass {
  /** HTTP status the API answers with. */
  status: number;
  /** Whether running the same work again may succeed. */
  retryable: boolean;
  /** What the code means, for `tale explain`. */
  meaning: string;
  /** What to do about it in general; each error's own hint is built from its facts. */
  action: string;
}

export const errorClasses: Record<ErrorCode, ErrorClass> = {
  BAD_REQUEST: {
    status: 400, retryable: false, meaning: "The request was malformed or had invalid values.",
    action: "Fix the field the message names; `tale <command> --help` shows the arguments.",
  },
  AUTH: {
    status: 401, retryable: false, meaning: "The API token was missing or wrong.",
    action: "Send `Authorization: Bearer <token>` with the token from TALE_HOME/token; for a remote engine, check its apiKey or apiKeyEnv.",
  },
  NOT_FOUND: {
    status: 404, retryable: false, meaning: "The task or resource does not exist.",
    action: "List tasks with `tale list`; OpenAI clients should use the model names ux, task or auto.",
  },
  CONFIG: {
    status: 400, retryable: false, meaning: "A configuration file or value is invalid.",
    action: "Edit the file and key the message names; config/README.md lists every key.",
  },
  STORAGE: {
    status: 500, retryable: false, meaning: "The database or TALE_HOME could not be read or written.",
    action: "Check free disk space and permissions of TALE_HOME; tale never wipes a database it cannot read.",
  },
  MODEL_NOT_FOUND: {
    status: 400, retryable: false, meaning: "A model file is missing, unreadable or not GGUF.",
    action: "Point models.<role>.model at a readable .gguf file, `tale models pull <uri>`, or use \"default\".",
  },
  PORT_IN_USE: {
    status: 500, retryable: false, meaning: "Another program already listens on the port.",
    action: "Stop that program or choose another port with `tale up --port <n>` or api.port in the config.",
  },
  ENGINE_CRASHED: {
    status: 502, retryable: true, meaning: "A model engine process exited while serving.",
    action: "tale restarts it and retries the task; if it keeps crashing, look at TALE_HOME/logs/engine-<id>.log (often: out of memory; use a smaller model or fewer slots).",
  },
  ENGINE_UNHEALTHY: {
    status: 503, retryable: true, meaning: "No healthy engine could serve the role.",
    action: "Run `tale status` to see the engines and their last errors.",
  },
  ENGINE_START_FAILED: {
    status: 503, retryable: true, meaning: "A model engine did not become healthy.",
    action: "Read the engine's log in TALE_HOME/logs; check the model path, the command and the port.",
  },
  ENGINE_UNAVAILABLE: {
    status: 503, retryable: true, meaning: "No engine of the role can take work: its circuit is open, its endpoint is unreachable, or it did not come up in time.",
    action: "Run `tale status` to see which engine and why; start or fix it, or set supervisor.fallback so another role serves meanwhile.",
  },
  CONTEXT_OVERFLOW: {
    status: 400, retryable: false, meaning: "The prompt does not fit in the model's context.",
    action: "Shorten the prompt, or raise builtin.contextSize (or the engine's contextSize) if the model allows it.",
  },
  TIMEOUT: {
    status: 504, retryable: false, meaning: "The task ran past its deadline.",
    action: "Give it more time with --timeout, or ask for fewer tokens with --max-tokens.",
  },
  CANCELLED: {
    status: 409, retryable: false, meaning: "The task was cancelled.",
    action: "Nothing to fix; submit it again if you still want it.",
  },
  OVERLOADED: {
    status: 503, retryable: true, meaning: "tale is at capacity and refused new work.",
    action: "Retry later, or raise the queue limit in the scheduler config.",
  },
  RATE_LIMITED: {
    status: 429, retryable: true, meaning: "An upstream endpoint asked tale to slow down.",
    action: "tale backs off and retries, honouring Retry-After; lower your request rate if it persists.",
  },
  DAEMON_UNAVAILABLE: {
    status: 503, retryable: true, meaning: "The tale daemon could not be reached, started, or is shutting down.",
    action: "Check `tale status` and TALE_HOME/logs/daemon.log; `tale down && tale up` restarts it.",
  },
  UNKNOWN_COMMAND: {
    status: 400, retryable: false, meaning: "The command does not exist.",
    action: "Run `tale --help` for the list of commands.",
  },
  PLUGIN_FAILED: {
    status: 500, retryable: false, meaning: "A plugin failed, timed out or was refused.",
    action: "Check `tale plugin list`; the built-in fallback policy answers while the plugin's breaker is open.",
  },
  INTERNAL: {
    status: 500, retryable: false, meaning: "A bug in tale.",
    action: "Run the command again with --debug and report the trace.",
  },
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
  const code = Object.hasOwn(errorClasses, value.code) ? value.code : "INTERNAL";
  return new TaleError(code, value.message, { hint: value.hint });
}

/** Wraps anything thrown into a TaleError, keeping TaleErrors as they are. */
export function toTaleError(error: unknown, fallback: ErrorCode = "INTERNAL"): TaleError {
  if (isTaleError(error)) return error;
  const storage = storageFailure(error);
  if (storage) return storage;
  const message = error instanceof Error ? error.message : String(error);
  return new TaleError(fallback, message, { cause: error });
}

/**
 * SQLite refusing a write because of the disk, not because of tale: a full
 * or read-only TALE_HOME. Recognised by name and code so this module needs
 * no bun:sqlite import.
 */
const storageCodes: Record<string, string> = {
  SQLITE_FULL: "the disk holding TALE_HOME is full",
  SQLITE_READONLY: "TALE_HOME is read-only",
  SQLITE_IOERR: "the disk holding TALE_HOME failed a read or write",
  SQLITE_CANTOPEN: "the database file cannot be opened",
};

/** The same two states as seen by plain file writes (logs, pid file, token). */
const fileSystemCodes: Record<string, string> = {
  ENOSPC: "the disk holding TALE_HOME is full",
  EDQUOT: "the disk quota of TALE_HOME is used up",
  EROFS: "TALE_HOME is on a read-only file system",
};

function storageFailure(error: unknown): TaleError | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = String((error as Error & { code?: unknown }).code ?? "");
  if (fileSystemCodes[code]) {
    return new TaleError("STORAGE", `Could not write to TALE_HOME: ${fileSystemCodes[code]} (${error.message}).`, {
      hint: "Free space on the disk holding TALE_HOME or make it writable, or set TALE_HOME to another folder.",
      details: { fsCode: code },
      cause: error,
    });
  }
  if (error.name !== "SQLiteError") return undefined;
  const family = Object.keys(storageCodes).find((known) => code === known || code.startsWith(`${known}_`));
  if (!family) return undefined;
  return new TaleError("STORAGE", `The task database refused a write: ${storageCodes[family]} (${error.message}).`, {
    hint: "Free space on (or make writable) the disk holding TALE_HOME; tale keeps serving what it already stored, and nothing was written half-way.",
    details: { sqliteCode: code },
    cause: error,
  });
}
