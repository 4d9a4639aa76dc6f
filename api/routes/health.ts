// Unauthenticated operational routes: /healthz (the process answers),
// /readyz (InfluxDB answers a query on the bucket in time), /metrics.
import { createRoute, z } from "@hono/zod-openapi";
import { flux } from "@influxdata/influxdb-client";
import type { ApiMetrics } from "../metrics.js";
import { errorBody } from "../schemas.js";
import { type RouteDeps, newRouter } from "./common.js";

const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["operations"],
  summary: "Liveness: the process is up (whatever InfluxDB's state)",
  responses: {
    200: {
      description: "Up",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
    },
  },
});

const readyRoute = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["operations"],
  summary: "Readiness: InfluxDB answers a query on the bucket within API_QUERY_TIMEOUT_MS",
  responses: {
    200: {
      description: "Ready",
      content: { "application/json": { schema: z.object({ status: z.literal("ready") }) } },
    },
    503: { description: "InfluxDB unavailable", content: { "application/json": { schema: errorBody } } },
  },
});

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["operations"],
  summary: "Prometheus metrics: requests by route and status, latency, process and edge host gauges",
  responses: {
    200: { description: "Prometheus text format", content: { "text/plain": { schema: z.string() } } },
  },
});

export function healthRouter(deps: RouteDeps, metrics: ApiMetrics) {
  return newRouter()
    .openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200))
    .openapi(readyRoute, async (c) => {
      const ok = await deps.flux.runner.ping(
        flux`from(bucket: ${deps.flux.bucket}) |> range(start: -1m) |> limit(n: 1)`,
      );
      if (ok) return c.json({ status: "ready" as const }, 200);
      return c.json({ error: "unavailable", message: "InfluxDB does not answer" }, 503);
    })
    .openapi(metricsRoute, async (c) => {
      const body = await metrics.registry.metrics();
      return c.text(body, 200, { "Content-Type": metrics.registry.contentType });
    });
}
