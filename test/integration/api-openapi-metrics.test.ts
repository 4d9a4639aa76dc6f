// /openapi.json is a valid OpenAPI 3 document listing exactly the routes the
// app serves; a real Prometheus scrapes /metrics and sees the request counter.
import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createApp } from "../../api/app.js";
import { KeyStore } from "../../api/auth/keys.js";
import { createQueryRunner } from "../../api/flux/run.js";
import { createApiMetrics } from "../../api/metrics.js";
import type { RunningApi } from "../../api/server.js";
import { createLogger } from "../../shared/log.js";
import { type RunningPrometheus, startPrometheus } from "../support/prometheus.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { get, makeKeys, startTestApi } from "./api-helpers.js";

const prometheusBin = inject("prometheusBin");
const bucket = useTestBucket(import.meta.url);
const keys = makeKeys("openapi");
let api: RunningApi;
let prometheus: RunningPrometheus | undefined;

beforeAll(async () => {
  if (!influxServer) return;
  api = await startTestApi(bucket.current, { API_KEYS: keys.env });
});

afterAll(async () => {
  await prometheus?.stop();
  await api?.close();
});

describeWithInflux("OpenAPI document", () => {
  it("is a valid OpenAPI 3 document", async () => {
    const doc = (await get(api, "/openapi.json")).body as Record<string, unknown>;
    expect(doc.openapi).toMatch(/^3\./);
    // validate() dereferences in place and throws on any schema violation.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it("lists every route the app serves, and only those", async () => {
    const doc = (await get(api, "/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
      )
      .sort();
    const app = createApp({
      flux: {
        runner: createQueryRunner(bucket.current.client, bucket.current.server.org, 1000),
        bucket: bucket.current.name,
      },
      keys: new KeyStore([]),
      limits: { maxPoints: 1000, maxRangeMs: 86_400_000, deviceLookbackMs: 86_400_000 },
      rateLimitPerMin: 10,
      metrics: createApiMetrics(),
      log: createLogger("api-test", "silent"),
    });
    const served = [
      ...new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`)),
    ].sort();
    expect(documented).toEqual(served);
    expect(served).toEqual(
      expect.arrayContaining([
        "GET /processed_data",
        "GET /client_statistics",
        "GET /v1/devices",
        "GET /v1/devices/:id",
        "GET /v1/devices/:id/stats",
        "GET /v1/devices/:id/series",
        "GET /v1/devices/:id/anomalies",
        "GET /v1/devices/:id/trend",
        "GET /v1/summary",
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "GET /openapi.json",
      ]),
    );
  });

  it("documents the parameters' constraints and the key", async () => {
    const doc = (await get(api, "/openapi.json")).body as {
      paths: Record<
        string,
        { get: { parameters: { name: string; schema: { enum?: string[] } }[]; security?: unknown } }
      >;
      components: { securitySchemes: Record<string, unknown> };
    };
    const series = doc.paths["/v1/devices/{id}/series"]!.get;
    expect(series.parameters.find((p) => p.name === "fn")!.schema.enum).toEqual([
      "mean",
      "min",
      "max",
      "last",
    ]);
    expect(series.security).toEqual([{ ApiKey: [] }, { Bearer: [] }]);
    expect(doc.components.securitySchemes.ApiKey).toEqual({
      type: "apiKey",
      in: "header",
      name: "x-api-key",
    });
  });

  it("serves a rendered docs page", async () => {
    const res = await fetch(`${api.url}/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("/openapi.json");
  });
});

(prometheusBin && influxServer ? describe : describe.skip)("Prometheus scrapes the API", () => {
  it("sees requests by route and status, latency, process and edge metrics", async () => {
    for (let i = 0; i < 3; i++)
      expect((await get(api, "/v1/devices", keys.byClient.client_1)).status).toBe(200);
    expect((await get(api, "/v1/devices")).status).toBe(401);
    const port = new URL(api.url).port;
    prometheus = await startPrometheus(prometheusBin!, [{ job: "api", target: `127.0.0.1:${port}` }]);
    const ok = await prometheus.waitFor(
      'api_http_requests_total{job="api",route="/v1/devices",status="200"}',
      (s) => s.length === 1 && Number(s[0]!.value[1]) >= 3,
    );
    expect(ok[0]!.metric.method).toBe("GET");
    await prometheus.waitFor(
      'api_http_requests_total{job="api",route="/v1/devices",status="401"}',
      (s) => s.length === 1,
    );
    await prometheus.waitFor(
      'api_http_request_duration_seconds_count{job="api",route="/v1/devices"}',
      (s) => s.length === 1,
    );
    for (const name of ["process_cpu_seconds_total", "edge_memory_usage", "edge_disk_usage"])
      await prometheus.waitFor(`${name}{job="api"}`, (s) => s.length >= 1);
  });
});
