// A real Prometheus scrapes a prom-client endpoint served by the product's
// metrics server, and the series come back through PromQL.
import { randomBytes } from "node:crypto";
import { Counter, Gauge, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type MetricsServer, startMetricsServer } from "../../shared/metrics/server.js";
import { type RunningPrometheus, startPrometheus } from "../support/prometheus.js";

const prometheusBin = inject("prometheusBin");
const run = randomBytes(4).toString("hex");

let metrics: MetricsServer;
let prometheus: RunningPrometheus;

beforeAll(async () => {
  if (!prometheusBin) return;
  const registry = new Registry();
  new Gauge({
    name: "foundation_probe_value",
    help: "test gauge",
    labelNames: ["run"],
    registers: [registry],
  })
    .labels(run)
    .set(12.5);
  const counter = new Counter({
    name: "foundation_probe_events_total",
    help: "test counter",
    labelNames: ["run"],
    registers: [registry],
  });
  counter.labels(run).inc(3);
  metrics = await startMetricsServer(registry);
  prometheus = await startPrometheus(prometheusBin, [{ job: "probe", target: `127.0.0.1:${metrics.port}` }]);
});

afterAll(async () => {
  await prometheus?.stop();
  await metrics?.close();
});

describe.skipIf(!prometheusBin)("Prometheus scrapes a prom-client endpoint", () => {
  it("reads the scraped series back through PromQL", async () => {
    const up = await prometheus.waitFor('up{job="probe"}', (s) => s.length === 1 && s[0]!.value[1] === "1");
    expect(up[0]!.metric.instance).toBe(`127.0.0.1:${metrics.port}`);

    const gauge = await prometheus.waitFor(`foundation_probe_value{run="${run}"}`, (s) => s.length === 1);
    expect(gauge[0]!.value[1]).toBe("12.5");
    const counter = await prometheus.query(`foundation_probe_events_total{run="${run}"}`);
    expect(counter.map((s) => s.value[1])).toEqual(["3"]);
  });

  it("answers 404 with JSON off the metrics path", async () => {
    const res = await fetch(`http://127.0.0.1:${metrics.port}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "not found" });
  });
});
