import type { Registry } from "prom-client";

/**
 * Counters and histograms on the request path, kept as plain numbers per
 * label set and handed to prom-client only when it scrapes. prom-client's own
 * inc() and observe() hash and validate the label object on every call, which
 * costs more than everything else metrics do per task; here a call is a Map
 * lookup by a key the caller builds once per event.
 */

type Labels = Record<string, string>;
type MetricValue = { value: number; labels: Record<string, string | number>; metricName?: string };
type Registrable = Parameters<Registry["registerMetric"]>[0];

function register(registry: Registry, name: string, help: string, type: "counter" | "histogram", values: () => MetricValue[]): void {
  // A plain collector object: prom-client reads name, help, type and values from get() and formats them.
  registry.registerMetric({ name, help, get: async () => ({ name, help, type, aggregator: "sum", values: values() }) } as unknown as Registrable);
}

export class CounterFamily {
  private readonly series = new Map<string, { labels: Labels; value: number }>();

  constructor(registry: Registry, name: string, help: string) {
    register(registry, name, help, "counter", () => [...this.series.values()].map(({ labels, value }) => ({ labels, value })));
  }

  /** `key` identifies `labels` (the caller joins their values); the labels object is kept only for the first call. */
  add(key: string, labels: Labels, value = 1): void {
    const entry = this.series.get(key);
    if (entry) entry.value += value;
    else this.series.set(key, { labels, value });
  }
}

export class HistogramFamily {
  private readonly series = new Map<string, { labels: Labels; counts: Float64Array; sum: number; count: number }>();

  constructor(
    registry: Registry,
    private readonly name: string,
    help: string,
    private readonly buckets: readonly number[],
  ) {
    register(registry, name, help, "histogram", () => [...this.series.values()].flatMap((entry) => this.lines(entry)));
  }

  observe(key: string, labels: Labels, value: number): void {
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    // Counts per bucket, not cumulative: one increment per observation, summed up at scrape.
    const index = this.buckets.findIndex((bound) => value <= bound);
    if (index >= 0) entry.counts[index]! += 1;
    entry.sum += value;
    entry.count += 1;
  }

  private lines(entry: { labels: Labels; counts: Float64Array; sum: number; count: number }): MetricValue[] {
    let cumulative = 0;
    const lines: MetricValue[] = this.buckets.map((bound, index) => {
      cumulative += entry.counts[index]!;
      return { metricName: `${this.name}_bucket`, labels: { ...entry.labels, le: bound }, value: cumulative };
    });
    lines.push(
      { metricName: `${this.name}_bucket`, labels: { ...entry.labels, le: "+Inf" }, value: entry.count },
      { metricName: `${this.name}_sum`, labels: entry.labels, value: entry.sum },
      { metricName: `${this.name}_count`, labels: entry.labels, value: entry.count },
    );
    return lines;
  }
}
