import { Hono } from "hono";
import type { Role } from "../config/types";

/** What readiness checked: the store takes writes, and each role has a healthy engine. */
export interface Readiness {
  ready: boolean;
  store: { writable: boolean; error?: string };
  engines: Record<Role, { healthy: number; total: number }>;
}

/**
 * Probes for systemd, Docker and Kubernetes. Liveness is mounted before the
 * bearer check and says only `{"status":"ok"}`, as an engine's /health does:
 * a probe that cannot read the token file (a Docker HEALTHCHECK in another
 * user, a kubelet) can still tell a hung daemon from a live one, and the
 * answer reveals nothing a port scan would not. Readiness tells which parts
 * are down, so it stays behind the token like every other route.
 */
export function livenessRoute(): Hono {
  const app = new Hono();
  app.get("/", (c) => c.json({ status: "ok" }));
  return app;
}

/** 200 when ready, 503 with what is missing otherwise; the body is the same report either way. */
export function readinessRoute(check: () => Readiness): Hono {
  const app = new Hono();
  app.get("/", (c) => {
    const readiness = check();
    return c.json({ status: readiness.ready ? "ready" : "not_ready", ...readiness }, readiness.ready ? 200 : 503);
  });
  return app;
}
