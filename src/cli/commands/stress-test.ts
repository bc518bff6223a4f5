import { defineCommand } from "citty";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TaleError } from "../../errors";
import { parseDuration } from "../../util/duration";
import { useDaemon } from "../context";
import { defaultMix, loadMix } from "../stress/mix";
import { formatReport } from "../stress/report";
import { runStress, type StressProgress } from "../stress/run";

function positive(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new TaleError("BAD_REQUEST", `--${what} must be a whole number of at least 1 (found "${text}").`, { hint: `e.g. --${what} 100` });
  return value;
}

function progressLine(p: StressProgress): string {
  return `${(p.elapsedMs / 1000).toFixed(1)}s  done ${p.done}/${p.submitted} · running ${p.running} · queued ${p.queued} · failed ${p.failed} · ${p.throughput.toFixed(1)} tasks/s`;
}

export default defineCommand({
  meta: { name: "stress-test", description: "Load the daemon with many concurrent clients and report throughput, latency and lost tasks" },
  args: {
    tasks: { type: "string", default: "500", description: "Tasks to submit" },
    concurrency: { type: "string", default: "100", description: "Clients submitting at once" },
    mix: { type: "string", description: "JSON file: [{prompt, role?, max_tokens?, weight?}]" },
    duration: { type: "string", default: "60s", description: "Stop submitting after this long" },
    chaos: { type: "boolean", description: "Kill an engine process part-way (twice at most) and report the recovery" },
    json: { type: "boolean", description: "Print the report as JSON" },
  },
  async run({ args }) {
    const tasks = positive(args.tasks, "tasks");
    const concurrency = positive(args.concurrency, "concurrency");
    const durationMs = parseDuration(args.duration, "--duration");
    const mix = args.mix ? loadMix(args.mix) : defaultMix;
    const { paths, connection } = await useDaemon();
    const tty = Boolean(process.stderr.isTTY) && !process.env.CI;
    let lastPlain = 0;
    const report = await runStress({
      baseUrl: connection.baseUrl,
      token: connection.token,
      tasks,
      concurrency,
      durationMs,
      mix,
      chaos: args.chaos,
      onProgress: (progress) => {
        if (tty) process.stderr.write(`\r\x1b[2K${progressLine(progress)}`);
        else if (progress.elapsedMs - lastPlain >= 2_000) {
          lastPlain = progress.elapsedMs;
          process.stderr.write(`${progressLine(progress)}\n`);
        }
      },
    });
    if (tty) process.stderr.write("\r\x1b[2K");
    const dir = join(paths.home, "stress");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `stress-${report.startedAt.replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    if (args.json) process.stdout.write(`${JSON.stringify({ ...report, file })}\n`);
    else process.stdout.write(`${formatReport(report)}  saved        ${file}\n`);
    if (report.tasks.lost > 0) process.exitCode = 1;
  },
});
