import { Hono } from "hono";
import { TaleError } from "../errors";

export interface MetricsExposition {
  scrape(): Promise<string>;
  readonly contentType: string;
}

/** `GET /metrics`: the Prometheus text format; with metrics.enabled false the route says so rather than answering empty. */
export function metricsRoute(metrics: MetricsExposition | undefined): Hono {
  const app = new Hono();
  app.get("/", async (c) => {
    if (!metrics) {
      throw new TaleError("NOT_FOUND", "Metrics are switched off.", { hint: "Set metrics.enabled to true in the tale config and restart the daemon." });
    }
    return c.body(await metrics.scrape(), 200, { "content-type": metrics.contentType });
  });
  return app;
}
