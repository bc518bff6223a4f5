import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { TaleError } from "../errors";
import { isAlive } from "./state-file";

/** One daemon per TALE_HOME: the pid file is claimed atomically and checked for staleness. */
export function claimPidFile(file: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
      return () => releasePidFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readPid(file);
    if (owner && owner !== process.pid && isAlive(owner)) {
      throw new TaleError("DAEMON_UNAVAILABLE", `Another tale daemon (pid ${owner}) already runs in this TALE_HOME.`, {
        hint: "Use it, or stop it first with `tale down`.",
      });
    }
    // Left by a daemon that died without cleaning up.
    rmSync(file, { force: true });
  }
  throw new TaleError("STORAGE", `Cannot claim the pid file ${file}.`, { hint: "Remove it if no tale daemon is running." });
}

function releasePidFile(file: string): void {
  if (readPid(file) === process.pid) rmSync(file, { force: true });
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
