import type { Subprocess } from "bun";
import { TaleError } from "../errors";
import type { ChildMessage, HostCallMessage, HostLoadedMessage, HostLoadMessage, HostLogMessage, HostResultMessage } from "./host-protocol";

/**
 * One `tale plugin-host` process with its plugin loaded: spawn, the load
 * handshake, and the raw channel. What to do with calls, deadlines and
 * deaths is plugin-process.ts's job.
 */
export interface HostChildOptions {
  command: string[];
  load: Omit<HostLoadMessage, "type">;
  /** Names the plugin in messages. */
  source: string;
  startTimeoutMs: number;
  onResult(message: HostResultMessage): void;
  onLog(message: HostLogMessage): void;
}

export interface HostChild {
  readonly pid: number;
  readonly loaded: HostLoadedMessage;
  send(message: HostCallMessage): void;
  /** SIGKILL: a runaway plugin never returns to the event loop, so nothing gentler works. */
  kill(): void;
  /** Settles when the process is gone, whoever ended it, with how it ended ("was killed by SIGKILL"). */
  readonly exited: Promise<string>;
}

const stderrTailChars = 2000;

export async function startHostChild(options: HostChildOptions): Promise<HostChild> {
  let settleLoad: ((message: HostLoadedMessage | Error) => void) | undefined;
  const loadAnswer = new Promise<HostLoadedMessage | Error>((resolve) => (settleLoad = resolve));
  let stderrTail = "";
  let proc: Subprocess<"pipe", "ignore", "pipe">;
  try {
    proc = Bun.spawn(options.command, {
      // stdin is the lifeline: the child exits at EOF, i.e. when this process goes away.
      stdin: "pipe",
      stdout: "ignore",
      stderr: "pipe",
      serialization: "advanced",
      ipc(message: ChildMessage) {
        if (message.type === "result") options.onResult(message);
        else if (message.type === "log") options.onLog(message);
        else if (message.type === "loaded") settleLoad?.(message);
        else settleLoad?.(new Error(message.error));
      },
    });
  } catch (error) {
    throw new TaleError("PLUGIN_FAILED", `Could not start a plugin host for ${options.source}: ${(error as Error).message}.`, {
      hint: "tale runs each plugin in a copy of itself; check that the tale executable is still in place.",
      cause: error,
    });
  }
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) stderrTail = (stderrTail + decoder.decode(chunk, { stream: true })).slice(-stderrTailChars);
  })();
  const exited = proc.exited.then(() => {
    const description = proc.signalCode ? `was killed by ${proc.signalCode}` : `exited with code ${proc.exitCode}`;
    const said = stderrTail.trim().slice(-500);
    settleLoad?.(new Error(`the plugin host ${description}${said ? `: ${said}` : ""}`));
    return said ? `${description} (it said: ${said})` : description;
  });

  const kill = () => {
    try {
      proc.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  };
  try {
    proc.send({ type: "load", ...options.load } satisfies HostLoadMessage);
  } catch (error) {
    settleLoad?.(error as Error);
  }
  const timer = setTimeout(() => settleLoad?.(new Error(`it did not load within ${options.startTimeoutMs} ms (a start function that never returns, or an overloaded machine)`)), options.startTimeoutMs);
  const answer = await loadAnswer;
  clearTimeout(timer);
  settleLoad = undefined;
  if (answer instanceof Error) {
    kill();
    await exited;
    throw new TaleError("PLUGIN_FAILED", `${options.source} could not be loaded: ${answer.message.replace(/\.+$/, "")}.`, {
      hint: "Run it once with `tale plugin test <file.wasm> --hook <hook> --input <case.json>` to see the failure directly.",
    });
  }
  return {
    pid: proc.pid,
    loaded: answer,
    send(message) {
      proc.send(message);
    },
    kill,
    exited,
  };
}
