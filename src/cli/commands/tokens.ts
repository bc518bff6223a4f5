import { defineCommand } from "citty";
import { colors } from "consola/utils";
import { TaleError } from "../../errors";
import { formatWeight, type TokenCounts, type TokenReport } from "../../ledger";
import { parseDuration } from "../../util/duration";
import { useDaemon } from "../context";
import { table } from "../output/task-view";

const dayMs = 86_400_000;

export default defineCommand({
  meta: { name: "tokens", description: "Show tokens spent per role and day, and what routing saved" },
  args: {
    since: { type: "string", description: 'Only calls since then: "24h", "7d" or a date like 2026-11-01' },
    json: { type: "boolean", description: "Print JSON" },
  },
  async run({ args }) {
    const query = args.since ? { since: String(sinceOf(args.since, Date.now())) } : {};
    const { api } = await useDaemon();
    const report = await api<TokenReport>("/v1/tokens", { query });
    process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : renderTokenReport(report));
  },
});

/** "7d" and "24h" count back from now; a date (or date and time) is taken as is. */
export function sinceOf(text: string, now: number): number {
  const days = /^\s*(\d+(?:\.\d+)?)\s*d\s*$/.exec(text);
  if (days) return now - Math.round(Number(days[1]) * dayMs);
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const at = Date.parse(text.trim());
    if (!Number.isNaN(at)) return at;
  }
  try {
    return now - parseDuration(text, "--since");
  } catch {
    throw new TaleError("BAD_REQUEST", `Invalid --since "${text}".`, {
      hint: 'Use a span back from now like "90m", "24h" or "7d", or a date like 2026-11-01.',
    });
  }
}

const number = (value: number) => value.toLocaleString("en-US");
const countCells = (counts: TokenCounts) => [number(counts.calls), number(counts.promptTokens), number(counts.completionTokens), number(counts.totalTokens)];
const countHeader = ["CALLS", "PROMPT", "COMPLETION", "TOTAL"];

export function renderTokenReport(report: TokenReport): string {
  const { totals, savings } = report;
  const scope = report.since === null ? "all time" : `since ${new Date(report.since).toISOString().replace("T", " ").slice(0, 16)} UTC`;
  if (totals.byRole.length === 0) return `No model calls recorded (${scope}).\n`;
  const lines = [
    colors.bold(`Tokens, ${scope}`),
    "",
    table(["ROLE", ...countHeader], totals.byRole.map((row) => [row.role, ...countCells(row)])),
    "",
    table(["DAY (UTC)", ...countHeader], totals.byDay.map((row) => [row.day, ...countCells(row)])),
    "",
    table(
      ["MODEL", "ROLE", "WEIGHT", ...countHeader],
      totals.byModel.map((row) => {
        const weight = savings.weights[row.model];
        return [row.model, row.role, weight ? `${formatWeight(weight.weight)} (${weight.source})` : "-", ...countCells(row)];
      }),
    ),
    "",
    savingsLine(report),
    colors.dim(savings.formula),
    ...savings.notes.map((note) => colors.yellow(note)),
    "",
  ];
  return lines.join("\n");
}

function savingsLine({ savings }: TokenReport): string {
  if (savings.percent === null) return "savings: no tokens yet";
  const baseline = savings.baselineModel ?? "the task model";
  const percent = `${savings.percent.toFixed(1)}%`;
  return `savings ${colors.bold(savings.percent >= 0 ? colors.green(percent) : colors.red(percent))} against sending every call to ${baseline} (weighted cost ${number(Math.round(savings.actual))} vs ${number(Math.round(savings.baseline))})`;
}
