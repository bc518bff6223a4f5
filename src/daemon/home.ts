import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { daemonLogName, daemonOutputName } from "../logs/files";

/** Every file tale keeps, all under one TALE_HOME so a test or user can point it anywhere. */
export interface HomePaths {
  home: string;
  database: string;
  logDir: string;
  daemonLog: string;
  /** A background daemon's stdout and stderr: its fatal startup line, a crash's trace; emptied at each start. */
  daemonOutput: string;
  pidFile: string;
  /** Written once the API listens: pid, port and start time. */
  stateFile: string;
  tokenFile: string;
  modelsDir: string;
}

export function resolveHome(env: Record<string, string | undefined> = process.env): string {
  return resolve(env.TALE_HOME || join(homedir(), ".tale"));
}

export function homePaths(home: string = resolveHome()): HomePaths {
  const logDir = join(home, "logs");
  return {
    home,
    database: join(home, "tale.db"),
    logDir,
    daemonLog: join(logDir, daemonLogName),
    daemonOutput: join(logDir, daemonOutputName),
    pidFile: join(home, "tale.pid"),
    stateFile: join(home, "daemon.json"),
    tokenFile: join(home, "token"),
    modelsDir: join(home, "models"),
  };
}
