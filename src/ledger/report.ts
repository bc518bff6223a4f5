import type { Role } from "../config/types.ts";
import { TaleError } from "../errors/index.ts";
import type { ModelCallRepository, TokenTotal } from "../store/index.ts";
import { computeSavings, type Savings } from "./savings.ts";
import type { CostWeights } from "./weights.ts";

/** Token counts of one group of calls. */
export interface TokenCounts {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** What `GET /v1/tokens` answers and `tale tokens --json` prints. */
export interface TokenReport {
  /** Epoch ms the report counts from; null for all time. */
  since: number | null;
  totals: {
    byRole: (TokenCounts & { role: Role })[];
    /** UTC days, oldest first. */
    byDay: (TokenCounts & { day: string })[];
    byModel: (TokenCounts & { model: string; role: Role })[];
  };
  savings: Savings;
}

export interface TokenReportOptions {
  /** Epoch ms: count only calls made at or after it. */
  since?: number;
}

function counts(total: TokenTotal): TokenCounts {
  return { calls: total.calls, promptTokens: total.promptTokens, completionTokens: total.completionTokens, totalTokens: total.totalTokens };
}

/** The handler logic of `GET /v1/tokens`: totals per role, day and model, and the savings against the baseline. */
export function buildTokenReport(store: Pick<ModelCallRepository, "tokenTotals">, weights: CostWeights, options: TokenReportOptions = {}): TokenReport {
  const { since } = options;
  const byModel = store.tokenTotals({ since, groupBy: "model" }).map((total) => ({ model: total.key, role: total.role!, ...counts(total) }));
  return {
    since: since ?? null,
    totals: {
      byRole: store.tokenTotals({ since, groupBy: "role" }).map((total) => ({ role: total.key as Role, ...counts(total) })),
      byDay: store.tokenTotals({ since, groupBy: "day" }).map((total) => ({ day: total.key, ...counts(total) })),
      byModel,
    },
    savings: computeSavings(byModel, weights),
  };
}

/** Reads the query of `GET /v1/tokens` (`since`: epoch ms); a bad value is a BAD_REQUEST. */
export function tokenReportOptions(query: { since?: string | undefined }): TokenReportOptions {
  if (query.since === undefined || query.since === "") return {};
  const since = Number(query.since);
  if (!Number.isInteger(since) || since < 0) {
    throw new TaleError("BAD_REQUEST", `Invalid request: since must be a time in epoch milliseconds (found "${query.since}").`, {
      hint: `Pass since=<epoch ms>, for example since=${Date.now() - 86_400_000} for the last day.`,
    });
  }
  return { since };
}
