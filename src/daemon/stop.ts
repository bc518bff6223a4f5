import { TaleError } from "../errors";
import type { HomePaths } from "./home";
import { readPid } from "./pid-file";
import { isAlive, readDaemonState } from "./state-file";

export interface StopResult {
  pid?: number;
  forced: boolean;
}

/** Asks the daemon to drain and exit; kills it if it has not gone within the grace period. */
export async function stopDaemon(paths: HomePaths, graceMs = 15_000): Promise<StopResult> {
  const pid = readDaemonState(paths.stateFile)?.pid ?? readPid(paths.pidFile);
  if (!pid || !isAlive(pid)) return { forced: false };
  signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return { pid, forced: false };
    await Bun.sleep(20);
  }
  // Engines die with the daemon (their stdin closes), so a hard kill still leaves nothing behind.
  signal(pid, "SIGKILL");
  while (isAlive(pid)) await Bun.sleep(10);
  return { pid, forced: true };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return;
    throw new TaleError("DAEMON_UNAVAILABLE", `Cannot signal the tale daemon (pid ${pid}).`, {
      hint: "It may belong to another user; stop it as that user.",
      cause: error,
    });
  }
}
