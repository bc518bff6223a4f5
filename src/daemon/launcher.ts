import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { TaleError, toTaleError } from "../errors";
import { selfCommand } from "../util/self-command";
import { findFatalLine } from "./fatal-line";
import type { HomePaths } from "./home";
import { isAlive, readDaemonState, type DaemonState } from "./state-file";
import { readToken } from "./token";

export interface DaemonConnection {
  state: DaemonState;
  baseUrl: string;
  token: string;
}

export interface LaunchOptions {
  paths: HomePaths;
  /** Extra arguments for `tale up --foreground` (config overrides such as --port). */
  args?: string[];
  timeoutMs?: number;
}

/** The running daemon of this TALE_HOME, if it answers. */
export async function findDaemon(paths: HomePaths): Promise<DaemonConnection | undefined> {
  const state = readDaemonState(paths.stateFile);
  if (!state || !isAlive(state.pid)) return undefined;
  const connection = { state, baseUrl: `http://${hostForUrl(state.host)}:${state.port}`, token: readToken(paths.tokenFile) };
  return (await answers(connection)) ? connection : undefined;
}

/**
 * Starts `tale up --foreground` detached and waits until its API answers.
 * The daemon writes its own rotating log; its stdout and stderr go to
 * daemon.out, where a failed start leaves its error for this function.
 */
export async function launchDaemon(options: LaunchOptions): Promise<DaemonConnection> {
  const { paths } = options;
  let log: number;
  try {
    mkdirSync(paths.logDir, { recursive: true, mode: 0o700 });
    log = openSync(paths.daemonOutput, "w", 0o600);
  } catch (error) {
    // A full or read-only TALE_HOME is the usual cause: say so (STORAGE) rather than crash as a bug.
    throw toTaleError(error, "STORAGE");
  }
  const [command, ...args] = selfCommand(["up", "--foreground", ...(options.args ?? [])]);
  const child = spawn(command!, args, {
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, TALE_HOME: paths.home },
  });
  closeSync(log);
  let exited = false;
  child.once("exit", () => (exited = true));
  child.unref();

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    const state = readDaemonState(paths.stateFile);
    if (state?.pid === child.pid) {
      const connection = await findDaemon(paths);
      if (connection) return connection;
    }
    if (exited) throw startupFailure(paths);
    await Bun.sleep(25);
  }
  child.kill("SIGKILL");
  throw new TaleError("DAEMON_UNAVAILABLE", "The tale daemon did not start within the time allowed.", {
    hint: `Look at ${paths.daemonLog} for the reason.`,
  });
}

export async function connectDaemon(paths: HomePaths, autoStart = true): Promise<DaemonConnection> {
  const running = await findDaemon(paths);
  if (running) return running;
  if (!autoStart) {
    throw new TaleError("DAEMON_UNAVAILABLE", "tale is not running.", { hint: "Start it with `tale up`." });
  }
  return launchDaemon({ paths });
}

async function answers(connection: Omit<DaemonConnection, "state"> & { state: DaemonState }): Promise<boolean> {
  try {
    const response = await fetch(`${connection.baseUrl}/v1/status`, {
      headers: { authorization: `Bearer ${connection.token}` },
      signal: AbortSignal.timeout(2000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

function startupFailure(paths: HomePaths): TaleError {
  const text = readOutput(paths.daemonOutput);
  return (
    findFatalLine(text) ??
    new TaleError("DAEMON_UNAVAILABLE", "The tale daemon exited while starting.", {
      hint: `Look at ${paths.daemonLog} for the reason.`,
      details: { log: text.slice(-2000) },
    })
  );
}

function readOutput(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
