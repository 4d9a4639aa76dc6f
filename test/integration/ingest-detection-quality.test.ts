// Detection quality against ground truth: the simulator (realistic mode)
// injects anomalies and says where; the real ingester detects them. On
// injected spikes and stuck values, recall must reach 0.95 and precision
// 0.90. The figures are printed.
import { rm } from "node:fs/promises";
import { flux } from "@influxdata/influxdb-client";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ANOMALY_FIELD, MEASUREMENT, METRIC, TAG } from "../../shared/schema.js";
import { type RunningSimulator, startSimulator } from "../../simulator/server.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { type IngesterProcess, startIngester, tempSpoolDir } from "../support/ingester.js";

const DEVICES = 100;
const CYCLES = 24; // ten simulated minutes each: four hours of data per device
const bucket = useTestBucket(import.meta.url);
const t0 = Math.floor(Date.now() / 60_000) * 60_000 - CYCLES * 10 * 60_000;
let simNow = t0;
let sim: RunningSimulator;
let spoolDir: string;
let ingester: IngesterProcess | undefined;

interface TruthEntry {
  device: string;
  metric: string;
  kind: string;
  timestamp: string;
  minutes: number;
}
interface Detected {
  device: string;
  metric: string;
  rule: string;
  _time: string;
}

beforeAll(async () => {
  if (!influxServer) return;
  sim = await startSimulator({
    seed: 2026,
    signal: "realistic",
    anomalyRate: 0.02,
    devices: DEVICES,
    now: () => simNow,
  });
  spoolDir = await tempSpoolDir();
});

afterAll(async () => {
  await ingester?.stop("SIGKILL");
  await sim?.stop();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
});

describeWithInflux("anomaly detection quality against the simulator's ground truth", () => {
  it("reaches recall >= 0.95 and precision >= 0.90 on spikes and stuck values", async () => {
    ingester = await startIngester({ ...influxServer!, bucket: bucket.current.name }, sim.url, spoolDir, {
      INGEST_CONCURRENCY: "32",
    });
    await ingester.waitForCycles(1);
    for (let i = 1; i < CYCLES; i++) {
      simNow += 10 * 60_000; // the whole ten-minute history is new each cycle: no minute is skipped
      await ingester.waitForFreshCycle(60_000);
    }
    expect(await ingester.stop()).toBe(0);
    ingester = undefined;

    const firstMinute = t0 - 9 * 60_000;
    const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "000");
    const truthRes = await fetch(`${sim.url}/_sim/truth?from=${iso(firstMinute)}&to=${iso(simNow)}`);
    const truth = ((await truthRes.json()) as { anomalies: TruthEntry[] }).anomalies
      .map((t) => ({ ...t, startMs: Date.parse(`${t.timestamp.slice(0, 23)}Z`) }))
      .filter((t) => t.metric !== METRIC.batteryLevel);
    const within = (t: (typeof truth)[number], ms: number) =>
      ms >= t.startMs && ms < t.startMs + t.minutes * 60_000;
    // Scored episodes lie wholly inside the served data.
    const scored = truth.filter(
      (t) =>
        (t.kind === "spike" || t.kind === "stuck") &&
        t.startMs >= firstMinute &&
        t.startMs + (t.minutes - 1) * 60_000 <= simNow,
    );

    const detected = (
      await bucket.current.client.getQueryApi(influxServer!.org).collectRows<Detected>(flux`
        from(bucket: ${bucket.current.name})
          |> range(start: -30d, stop: 1d)
          |> filter(fn: (r) => r._measurement == ${MEASUREMENT.anomaly} and r._field == ${ANOMALY_FIELD.value})
          |> keep(columns: [${TAG.device}, ${TAG.metric}, ${TAG.rule}, "_time"])`)
    ).filter(
      (d) =>
        ["threshold_high", "threshold_low", "zscore", "stuck"].includes(d.rule) &&
        d.metric !== METRIC.batteryLevel,
    );

    const hits = scored.filter((t) =>
      detected.some((d) => d.device === t.device && d.metric === t.metric && within(t, Date.parse(d._time))),
    );
    const truePositives = detected.filter((d) =>
      truth.some((t) => t.device === d.device && t.metric === d.metric && within(t, Date.parse(d._time))),
    );
    const recall = hits.length / scored.length;
    const precision = truePositives.length / detected.length;
    const byKind = (k: string) =>
      `${hits.filter((t) => t.kind === k).length}/${scored.filter((t) => t.kind === k).length}`;
    console.log(
      `anomaly detection: recall ${recall.toFixed(3)} (spike ${byKind("spike")}, stuck ${byKind("stuck")}), ` +
        `precision ${precision.toFixed(3)} (${truePositives.length}/${detected.length} events)`,
    );
    expect(scored.length).toBeGreaterThan(50);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    expect(precision).toBeGreaterThanOrEqual(0.9);
  });
});
