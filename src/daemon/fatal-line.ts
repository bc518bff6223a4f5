import { fromSerialized, type SerializedError, type TaleError } from "../errors";

/**
 * A daemon that fails to start writes its error as one marked line to its
 * log, so the CLI that launched it can show the same error, code and hint.
 */
const marker = "TALE_FATAL ";

export function formatFatalLine(error: TaleError): string {
  return `${marker}${JSON.stringify(error.toJSON())}\n`;
}

export function findFatalLine(logText: string): TaleError | undefined {
  const line = logText.split("\n").reverse().find((candidate) => candidate.startsWith(marker));
  if (!line) return undefined;
  try {
    return fromSerialized(JSON.parse(line.slice(marker.length)) as SerializedError);
  } catch {
    return undefined;
  }
}
