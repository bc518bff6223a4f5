import { Gauge, type Registry } from "prom-client";
import type { TokenReport } from "../ledger";

/** The ledger's totals are sums over every recorded call: recomputed at most this often, so a scrape never pays for the whole table. */
const refreshMs = 30_000;

/**
 * The token ledger as Prometheus sees it: all-time totals from the store (they
 * survive daemon restarts, unlike the request counters) and what routing saved.
 */
export function ledgerMetrics(registry: Registry, report: () => TokenReport, now: () => number = Date.now): void {
  const registers = [registry];
  let cached: { at: number; report: TokenReport } | undefined;
  const current = () => {
    const at = now();
    if (!cached || at - cached.at >= refreshMs) cached = { at, report: report() };
    return cached.report;
  };
  new Gauge({
    name: "tale_ledger_tokens",
    help: `Tokens booked in the ledger per role and type (prompt, completion), all time; refreshed every ${refreshMs / 1000} s.`,
    labelNames: ["role", "type"],
    registers,
    collect() {
      this.reset();
      for (const total of current().totals.byRole) {
        this.set({ role: total.role, type: "prompt" }, total.promptTokens);
        this.set({ role: total.role, type: "completion" }, total.completionTokens);
      }
    },
  });
  new Gauge({
    name: "tale_ledger_tokens_saved",
    help: "Task-model tokens saved by routing: the cost of every call on the task model minus the cost as routed, in task-model tokens.",
    registers,
    collect() {
      const { savings } = current();
      this.set(savings.baseline - savings.actual);
    },
  });
  new Gauge({
    name: "tale_ledger_savings_ratio",
    help: "1 - cost as routed / cost with every call on the task model (0.6 = 60% saved); 0 before the first call.",
    registers,
    collect() {
      this.reset();
      const { percent } = current().savings;
      if (percent !== null) this.set(percent / 100);
    },
  });
}
