import { join } from "node:path";
import type { TaleConfig } from "../config/types";
import type { RotationLimits } from "./rotating-file";

/** Where each part logs, under TALE_HOME/logs; `tale logs` reads the same names. */
export const daemonLogName = "daemon.log";
/** A background daemon's stdout and stderr: only what escaped the logger, such as a crash's trace. */
export const daemonOutputName = "daemon.out";
export const engineLogPattern = /^engine-(.+)\.log$/;

export function engineLogPath(logDir: string, engineId: string): string {
  return join(logDir, `engine-${engineId}.log`);
}

export function rotationLimits(log: Pick<TaleConfig["log"], "maxFileMb" | "keepFiles">): RotationLimits {
  return { maxBytes: Math.max(1024, Math.round(log.maxFileMb * 1_048_576)), keepFiles: log.keepFiles };
}
