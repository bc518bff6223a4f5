import { summarize, type Summary } from "./stats";

export type Unit = "ms" | "MB" | "req/s" | "x";

/** One line of the summary: a measured quantity, how it spread, and how it compares. */
export interface Figure {
  section: string;
  name: string;
  unit: Unit;
  summary: Summary;
  /** Median divided by the median of the named baseline, measured in the same run. */
  ratio?: { value: number; against: string };
  note?: string;
  samples: number[];
}

export function figure(section: string, name: string, unit: Unit, samples: number[], extra: Pick<Figure, "ratio" | "note"> = {}): Figure {
  return { section, name, unit, summary: summarize(samples), samples, ...extra };
}

export function ratioOf(samples: number[], baseline: Figure): Figure["ratio"] {
  return { value: summarize(samples).median / baseline.summary.median, against: baseline.name };
}

const columns = ["FIGURE", "N", "MEDIAN", "P90", "MAX", "RATIO", "NOTE"] as const;

export function formatTable(figures: Figure[]): string {
  const lines: string[][] = [];
  let section = "";
  for (const item of figures) {
    if (item.section !== section) {
      section = item.section;
      lines.push([section]);
    }
    const single = item.summary.n === 1;
    lines.push([
      `  ${item.name}`,
      String(item.summary.n),
      formatValue(item.summary.median, item.unit),
      single ? "" : formatValue(item.summary.p90, item.unit),
      single ? "" : formatValue(item.summary.max, item.unit),
      item.ratio ? `${item.ratio.value.toFixed(2)}x` : "",
      [item.ratio ? `vs ${item.ratio.against}` : "", item.note ?? ""].filter(Boolean).join("; "),
    ]);
  }
  const rows = lines.filter((line) => line.length === columns.length);
  const widths = columns.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)));
  // Names and notes read left-aligned, numbers right-aligned.
  const pad = (cells: readonly string[]) =>
    cells.map((cell, index) => (index === 0 || index === columns.length - 1 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join("  ").trimEnd();
  return [pad(columns), ...lines.map((line) => (line.length === 1 ? line[0]! : pad(line)))].join("\n");
}

function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return "n/a";
  if (unit === "ms") return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 2 : 1)} ms`;
  if (unit === "MB") return `${value.toFixed(1)} MB`;
  if (unit === "req/s") return `${value.toFixed(1)} req/s`;
  return `${value.toFixed(2)}x`;
}
