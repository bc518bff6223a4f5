/** Token accounting: what every model call cost, what routing saved, and the per-role stats routing reads. */
export { modelCallOf } from "./record.ts";
export { buildTokenReport, tokenReportOptions, type TokenCounts, type TokenReport, type TokenReportOptions } from "./report.ts";
export { createRoleStatsCache, roleStatsDefaults, type RoleStatsCacheOptions } from "./role-stats.ts";
export { computeSavings, formatWeight, savingsFormula, type AppliedWeight, type ModelUsage, type Savings } from "./savings.ts";
export { defineCostWeights, type CostWeights, type CostWeightsOptions, type ModelWeight, type WeighedModel, type WeightSource } from "./weights.ts";
