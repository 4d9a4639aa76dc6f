// The API's Prometheus metrics: requests by route and status, latency,
// default process metrics, and the edge host gauges the course asks for.
import { Counter, Histogram, Registry } from "prom-client";
import { registerProcessMetrics } from "../shared/metrics/process.js";

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<"method" | "route" | "status">;
  duration: Histogram<"method" | "route">;
}

export function createApiMetrics(diskPath = process.cwd()): ApiMetrics {
  const registry = new Registry();
  registerProcessMetrics(registry, diskPath);
  return {
    registry,
    requests: new Counter({
      name: "api_http_requests_total",
      help: "HTTP requests answered, by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: "api_http_request_duration_seconds",
      help: "Time to answer an HTTP request, by method and route pattern",
      labelNames: ["method", "route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
