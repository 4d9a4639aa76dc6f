// The upstream misbehaves in every way the simulator can (5xx and HTML error
// pages, hangs past the timeout, malformed and truncated JSON, missing
// fields, duplicated and reordered history): the ingester stays up, writes
// the good samples once, counts and logs the bad ones. A real Prometheus
// scrapes its /metrics meanwhile.
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { flux } from "@influxdata/influxdb-client";
import { HISTORY_METRIC, MEASUREMENT } from "../../shared/schema.js";
import { type RunningSimulator, startSimulator } from "../../simulator/server.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import {
  type IngesterProcess,
  minuteGrid,
  startIngester,
  storedTimes,
  tempSpoolDir,
} from "../support/ingester.js";
import { type RunningPrometheus, startPrometheus } from "../support/prometheus.js";

const bucket = useTestBucket(import.meta.url);
const prometheusBin = inject("prometheusBin");
const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 60 * 60_000;
let simNow = t0;
let sim: RunningSimulator;
let spoolDir: string;
let ingester: IngesterProcess;
let prometheus: RunningPrometheus | undefined;

const FAULTS = {
  latencyMs: 2,
  jitterMs: 5,
  errorRate: 0.15,
  errorHtmlShare: 0.5,
  hangRate: 0.03,
  hangMs: 3000, // past INGEST_REQUEST_TIMEOUT_MS=2000
  malformedRate: 0.05,
  truncatedRate: 0.05,
  missingFieldRate: 0.05,
  outOfOrderRate: 0.3,
  duplicateRate: 0.3,
};

beforeAll(async () => {
  if (!influxServer) return;
  sim = await startSimulator({ seed: 23, now: () => simNow });
  spoolDir = await tempSpoolDir();
  ingester = await startIngester({ ...influxServer, bucket: bucket.current.name }, sim.url, spoolDir);
  if (prometheusBin) {
    prometheus = await startPrometheus(prometheusBin, [
      { job: "ingest", target: `127.0.0.1:${ingester.metricsPort}` },
    ]);
  }
});

afterAll(async () => {
  await prometheus?.stop();
  await ingester?.stop("SIGKILL");
  await sim?.stop();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
});

const counter = (samples: { value: [number, string] }[]) =>
  samples.reduce((n, s) => n + Number(s.value[1]), 0);

describeWithInflux("ingester under upstream faults", () => {
  // First, while the ingester runs: once it stops, Prometheus marks its series stale.
  it.skipIf(!prometheusBin)("is scraped by Prometheus: edge and ingest series", async () => {
    const names = [
      "edge_cpu_usage",
      "edge_memory_usage",
      "edge_disk_usage",
      "ingest_cycles_total",
      "ingest_samples_accepted_total",
    ];
    for (const name of names) {
      const samples = await prometheus!.waitFor(`${name}{job="ingest"}`, (s) => s.length > 0);
      expect(samples.every((s) => Number.isFinite(Number(s.value[1])))).toBe(true);
    }
    const memory = await prometheus!.query('edge_memory_usage{job="ingest"}');
    expect(Number(memory[0]!.value[1])).toBeGreaterThan(0);
    expect(Number(memory[0]!.value[1])).toBeLessThanOrEqual(100);
    expect(counter(await prometheus!.query('ingest_cycles_total{job="ingest"}'))).toBeGreaterThan(0);
  });

  it("stays up, stores good samples once and counts the bad ones", async () => {
    // A healthy catch-up first: a minute whose every answer failed is gone
    // from the upstream once the window moves past it; that is not the point here.
    await ingester.waitForCycles(1);
    sim.setFaults(FAULTS);
    for (let i = 0; i < 6; i++) {
      simNow += 60_000;
      await ingester.waitForFreshCycle();
      expect(ingester.child.exitCode).toBeNull();
    }
    const health = await fetch(`http://127.0.0.1:${ingester.metricsPort}/healthz`);
    expect(health.status).toBe(200);

    // Healed, one more cycle fetches the last ten minutes, so nothing is missing.
    sim.healFaults();
    await ingester.waitForFreshCycle();
    await ingester.waitForFreshCycle();

    const target = { ...influxServer!, bucket: bucket.current.name };
    const grid = minuteGrid(t0 - 9 * 60_000, simNow);
    const devices = (await (await fetch(`${sim.url}/iot_objects`)).json()) as {
      id: string;
      type: keyof typeof HISTORY_METRIC;
    }[];
    for (const d of devices) {
      const got = (await storedTimes(bucket.current.client, target, HISTORY_METRIC[d.type]))[d.id];
      expect(got, d.id).toEqual(grid);
    }

    // Faults really happened, were retried, dropped and logged by device.
    const logs = ingester.logs;
    const dropped = logs.filter((l) => l.msg === "dropped invalid entry");
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.every((l) => typeof l.device === "string" && typeof l.reason === "string")).toBe(true);
    expect(logs.some((l) => l.msg === "device fetch failed")).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${ingester.metricsPort}/metrics`)).text();
    expect(Number(/^ingest_upstream_retries_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(Number(/^ingest_invalid_dropped_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);

    // Every accepted sample was stored once: accepted counts equal stored points.
    expect(await ingester.stop()).toBe(0);
    const accepted = logs
      .filter((l) => l.msg === "cycle done")
      .reduce((n, l) => n + (l.samples as number), 0);
    const [{ count } = { count: 0 }] = await bucket.current.client.getQueryApi(target.org).collectRows<{
      count: number;
    }>(flux`
      from(bucket: ${target.bucket})
        |> range(start: -30d, stop: 1d)
        |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading})
        |> group()
        |> count()
        |> rename(columns: {_value: "count"})`);
    expect(count).toBe(accepted);
  });
});
