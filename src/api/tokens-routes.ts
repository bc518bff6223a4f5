import { Hono } from "hono";
import { tokenReportOptions, type TokenReport, type TokenReportOptions } from "../ledger";

/** `GET /v1/tokens[?since=<epoch ms>]`: tokens per role, day and model, and what routing saved. */
export function tokensRoutes(report: (options: TokenReportOptions) => TokenReport): Hono {
  const app = new Hono();
  app.get("/", (c) => c.json(report(tokenReportOptions({ since: c.req.query("since") }))));
  return app;
}
