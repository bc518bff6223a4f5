import { Gauge, type Registry } from "prom-client";

/** A gauge read at scrape; `read` answers undefined when the figure cannot be had now, and the series is then left out. */
export function scrapedGauge(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      const value = read();
      if (value !== undefined) this.set(value);
    },
  });
}

/**
 * An enum as Prometheus models it: one series per possible state, 1 for the
 * one each item is in and 0 for the others, so `== 1` selects and the set of
 * series never changes while the item lives.
 */
export function stateGauge<Item>(
  registry: Registry,
  options: { name: string; help: string; labelNames: readonly string[]; states: readonly string[]; items: () => Item[]; labels: (item: Item) => Record<string, string>; state: (item: Item) => string },
): void {
  new Gauge({
    name: options.name,
    help: options.help,
    labelNames: [...options.labelNames, "state"],
    registers: [registry],
    collect() {
      this.reset();
      for (const item of options.items()) {
        const current = options.state(item);
        for (const state of options.states) this.set({ ...options.labels(item), state }, current === state ? 1 : 0);
      }
    },
  });
}

/**
 * Reads shared by the collectors of one scrape: prom-client calls them one
 * after another, and a read can cost (plugin stats sort their last 1,024 call
 * times; /proc files are read by several gauges). `next()` starts a scrape.
 */
export class ScrapeCache {
  private generation = 0;

  next(): void {
    this.generation += 1;
  }

  once<Value>(read: () => Value): () => Value {
    let cached: { generation: number; value: Value } | undefined;
    return () => {
      if (cached?.generation !== this.generation) cached = { generation: this.generation, value: read() };
      return cached.value;
    };
  }
}
