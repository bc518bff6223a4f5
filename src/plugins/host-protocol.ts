/**
 * Messages between the daemon and a `tale plugin-host` child over Bun IPC
 * (structured clone). One child hosts one plugin. The child answers calls one
 * at a time in the order they arrive, which is what lets the parent know
 * which call is running when it has to kill the child.
 */

/** Parent → child, once, first: the module's bytes (the child never opens files) and its sandbox settings. */
export interface HostLoadMessage {
  type: "load";
  bytes: Uint8Array;
  /** Extism plugin config (values are strings, as Extism passes them). */
  config: Record<string, string>;
  /** Bytes a single call may take through Extism's kernel (alloc, config_get); past it the call fails. */
  kernelBytesPerCall: number;
}

/** Parent → child: run one export. `input` is the JSON text of the hook input. */
export interface HostCallMessage {
  type: "call";
  id: number;
  fn: string;
  input: string;
}

export type ParentMessage = HostLoadMessage | HostCallMessage;

export interface HostLoadedMessage {
  type: "loaded";
  /** The raw answer of tale_manifest; the parent parses it so errors name the file. */
  manifest: string;
  functions: string[];
  loadMs: number;
}

export interface HostLoadFailedMessage {
  type: "load-failed";
  error: string;
}

/**
 * How a call failed: the module trapped (the child then starts a fresh
 * instance), the plugin reported an error through Extism, or it went past a
 * kernel limit (also followed by a fresh instance).
 */
export type CallFailureKind = "trap" | "plugin-error" | "limit";

export type HostResultMessage =
  | { type: "result"; id: number; ok: true; output: string }
  | { type: "result"; id: number; ok: false; kind: CallFailureKind; error: string };

/** Plugin log lines (Extism's log_* kernel calls), forwarded for the daemon's log. */
export interface HostLogMessage {
  type: "log";
  level: "debug" | "info" | "warn" | "error";
  message: string;
}

export type ChildMessage = HostLoadedMessage | HostLoadFailedMessage | HostResultMessage | HostLogMessage;
