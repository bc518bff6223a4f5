import { defineCommand } from "citty";
import { homePaths } from "../../daemon/home";
import { TaleError } from "../../errors";
import { parseComponent, parseLevel, type LogFilter } from "../../logs/filter";
import { followLogs } from "../../logs/follow";
import { formatForTerminal } from "../../logs/format";
import { readLogs } from "../../logs/reader";
import type { LogRecord } from "../../logs/record";
import { sinceOf } from "./tokens";

const defaultLines = 100;

/** Reads TALE_HOME/logs directly, so it works while the daemon is down, which is when logs matter most. */
export default defineCommand({
  meta: { name: "logs", description: "Show the daemon's, engines' and plugin hosts' logs, merged by time" },
  args: {
    follow: { type: "boolean", alias: "f", description: "Keep printing lines as they are written (survives rotation and engine restarts)" },
    engine: { type: "string", description: "Only lines about this engine, e.g. ux-0" },
    component: { type: "string", description: "Only daemon, engine or plugin lines" },
    level: { type: "string", description: "The lowest level shown: debug, info, warn or error" },
    task: { type: "string", description: "One task's whole story: queued, routed, each attempt and retry, its end" },
    since: { type: "string", description: 'Only lines since then: "10m", "24h", "7d" or a date like 2026-11-01' },
    lines: { type: "string", description: `Show the last N lines (default ${defaultLines}; every line with --task or --since)` },
    json: { type: "boolean", description: "One JSON record per line" },
  },
  async run({ args }) {
    const filter: LogFilter = {
      ...(args.engine ? { engine: String(args.engine) } : {}),
      ...(args.component ? { component: parseComponent(String(args.component)) } : {}),
      ...(args.level ? { level: parseLevel(String(args.level)) } : {}),
      ...(args.task ? { task: String(args.task) } : {}),
      ...(args.since ? { since: sinceOf(String(args.since), Date.now()) } : {}),
    };
    const limit = args.lines !== undefined ? parseLines(String(args.lines)) : filter.task || filter.since ? Infinity : defaultLines;
    const print = (records: LogRecord[]) => {
      if (records.length) process.stdout.write(records.map((record) => (args.json ? `${JSON.stringify(record)}\n` : formatForTerminal(record))).join(""));
    };
    const { logDir } = homePaths();
    const { records, positions } = readLogs(logDir, filter);
    print(records.slice(Math.max(0, records.length - limit)));
    if (!args.follow) {
      if (records.length === 0 && !args.json) process.stderr.write(`No${Object.keys(filter).length ? " matching" : ""} log lines in ${logDir}.\n`);
      return;
    }
    const follower = followLogs(logDir, filter, positions, print);
    await new Promise<void>((resolve) => {
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
    });
    follower.stop();
  },
});

function parseLines(text: string): number {
  const count = Number(text);
  if (Number.isInteger(count) && count >= 0) return count;
  throw new TaleError("BAD_REQUEST", `Invalid --lines "${text}".`, { hint: "Give a whole number of lines, like --lines 50." });
}
