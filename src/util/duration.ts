import { TaleError } from "../errors";

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "500ms", "30s", "2m", "1h" or a bare number of seconds into milliseconds. */
export function parseDuration(text: string, what = "duration"): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) {
    throw new TaleError("BAD_REQUEST", `Invalid ${what} "${text}".`, { hint: 'Use a number with a unit, like "500ms", "30s", "2m" or "1h".' });
  }
  return Math.round(Number(match[1]) * units[match[2] ?? "s"]!);
}

/** Milliseconds as seconds with one decimal, for sentences: "1.5". */
export function formatSeconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m${Math.round((ms % 60_000) / 1000)}s`;
  return `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}
