// Counts and times every request by its route pattern (never the raw path,
// so labels stay bounded whatever clients send).
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { ApiMetrics } from "../metrics.js";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export function recordMetrics(metrics: ApiMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const handler = matchedRoutes(c)
        .filter((r) => r.method !== "ALL")
        .at(-1);
      const route = handler?.path ?? "unmatched";
      const method = METHODS.has(c.req.method) ? c.req.method : "OTHER";
      metrics.requests.inc({ method, route, status: String(c.res.status) });
      metrics.duration.observe({ method, route }, (performance.now() - started) / 1000);
    }
  };
}
