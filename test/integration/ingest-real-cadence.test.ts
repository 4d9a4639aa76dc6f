// Each sample once at the real cadence. Real processes: the simulator (100
// devices, request latency jitter), the ingester (node-cron, every second)
// and InfluxDB. The simulated clock runs `timeScale` times faster, so one
// ingester cycle per second is one cycle per simulated minute at 60, several
// per minute at 10 and one per five minutes at 300; with the jitter, each
// device's request lands at a different moment of its minute in every cycle.
// A recording proxy between ingester and simulator says what was served:
// InfluxDB must hold exactly the minutes served valid, each once, with the
// first value served for it, and the ingester must have accepted nothing
// twice (an overwrite of the same minute would hide a second acceptance).
import { rm } from "node:fs/promises";
import { flux } from "@influxdata/influxdb-client";
import { expect, it } from "vitest";
import { HISTORY_METRIC, MEASUREMENT, METRIC, TAG } from "../../shared/schema.js";
import { type SimulatorOptions, startSimulator } from "../../simulator/server.js";
import {
  type TestBucket,
  createTestBucket,
  deleteTestBucket,
  describeWithInflux,
  influxServer,
  testBucketName,
} from "../support/influx.js";
import { type IngesterProcess, startIngester, tempSpoolDir } from "../support/ingester.js";
import { type RecordingProxy, startRecordingProxy } from "../support/recording-proxy.js";

const DEVICES = 100;
const CYCLES = 20;
const HOUR_MS = 3_600_000;

interface Scenario {
  signal: "realistic" | "faithful";
  timeScale: number;
  jitterMs: number;
  missingFieldRate?: number;
  /** Upstream clock ahead of InfluxDB's (and the test's) by this much. */
  aheadMs?: number;
  /** Cycles per ingester run; more than one entry = restarts with the spool folder deleted in between. */
  runs: number[];
}

interface Outcome {
  proxy: RecordingProxy;
  bucket: TestBucket;
  /** "cycle done" lines of every run. */
  cycles: Record<string, unknown>[];
}

async function run(s: Scenario): Promise<Outcome> {
  const bucket = await createTestBucket(influxServer!, testBucketName(import.meta.url));
  const options: SimulatorOptions = {
    devices: DEVICES,
    clients: 10,
    seed: 29,
    signal: s.signal,
    timeScale: s.timeScale,
    faults: { jitterMs: s.jitterMs, missingFieldRate: s.missingFieldRate ?? 0 },
  };
  if (s.aheadMs) {
    const ahead = s.aheadMs;
    options.now = () => performance.timeOrigin + performance.now() + ahead;
  }
  const sim = await startSimulator(options);
  const proxy = await startRecordingProxy(sim.url);
  const cycles: Record<string, unknown>[] = [];
  try {
    for (const n of s.runs) {
      // A fresh spool folder each run: the local checkpoint is lost, InfluxDB alone remembers.
      const spoolDir = await tempSpoolDir();
      let ingester: IngesterProcess | undefined;
      try {
        ingester = await startIngester({ ...influxServer!, bucket: bucket.name }, proxy.url, spoolDir, {
          INGEST_CONCURRENCY: "64",
          // The product's request timeout: a loaded machine must not turn answers into retries.
          INGEST_REQUEST_TIMEOUT_MS: "10000",
        });
        await ingester.waitForCycles(n, 120_000);
        expect(await ingester.stop(), "graceful stop").toBe(0);
        cycles.push(...ingester.logs.filter((l) => l.msg === "cycle done"));
        ingester = undefined;
      } finally {
        await ingester?.stop("SIGKILL");
        await rm(spoolDir, { recursive: true, force: true });
      }
    }
  } finally {
    await proxy.close();
    await sim.stop();
  }
  return { proxy, bucket, cycles };
}

interface StoredPoint {
  device: string;
  _field: string;
  _time: string;
  _value: number;
}

async function stored(bucket: TestBucket): Promise<StoredPoint[]> {
  return bucket.client.getQueryApi(influxServer!.org).collectRows<StoredPoint>(flux`
    from(bucket: ${bucket.name})
      |> range(start: -30d, stop: 30d)
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading})
      |> keep(columns: [${TAG.device}, "_field", "_time", "_value"])`);
}

async function expectEachMinuteOnce({ proxy, bucket, cycles }: Outcome) {
  const points = await stored(bucket);
  const history = new Set<string>(Object.values(HISTORY_METRIC));
  const byDevice = new Map<string, Map<number, number>>();
  const battery = new Map<string, number>();
  for (const p of points) {
    if (p._field === METRIC.batteryLevel) battery.set(p.device, (battery.get(p.device) ?? 0) + 1);
    else if (history.has(p._field)) {
      let m = byDevice.get(p.device);
      if (!m) byDevice.set(p.device, (m = new Map<number, number>()));
      m.set(Date.parse(p._time), p._value);
    }
  }
  expect(proxy.served.size, "every device served").toBe(DEVICES);
  for (const [device, served] of proxy.served) {
    const want = [...served.minutes].sort(([a], [b]) => a - b);
    const got = [...(byDevice.get(device) ?? new Map<number, number>())].sort(([a], [b]) => a - b);
    // Exactly the minutes served valid, at the minute's start, each with the first value served.
    expect(got, `${device}: stored minutes and values`).toEqual(want);
    expect(battery.get(device) ?? 0, `${device}: battery readings`).toBe(served.readings);
  }
  // Nothing accepted twice: what the cycles accepted is what InfluxDB holds.
  const accepted = cycles.reduce((n, c) => n + (c.samples as number), 0);
  expect(accepted, "samples accepted = points stored").toBe(points.length);
  await deleteTestBucket(bucket);
}

describeWithInflux("ingester at the real cadence: one point per device-minute", () => {
  it("one cycle per simulated minute, realistic signal, latency jitter", async () => {
    await expectEachMinuteOnce(
      await run({ signal: "realistic", timeScale: 60, jitterMs: 100, runs: [CYCLES] }),
    );
  });

  it("one cycle per simulated minute, faithful signal (new values on every call)", async () => {
    await expectEachMinuteOnce(
      await run({ signal: "faithful", timeScale: 60, jitterMs: 100, runs: [CYCLES] }),
    );
  });

  it("several cycles per minute (fast cadence)", async () => {
    await expectEachMinuteOnce(
      await run({ signal: "faithful", timeScale: 10, jitterMs: 100, runs: [CYCLES + 10] }),
    );
  });

  it("one cycle per five minutes (slow cadence)", async () => {
    await expectEachMinuteOnce(
      await run({ signal: "realistic", timeScale: 300, jitterMs: 100, runs: [CYCLES] }),
    );
  });

  it("damaged history entries (missing fields at 0.3): no valid minute lost, none twice", async () => {
    await expectEachMinuteOnce(
      await run({ signal: "faithful", timeScale: 60, jitterMs: 100, missingFieldRate: 0.3, runs: [CYCLES] }),
    );
  });

  it("restarts with the spool folder deleted and the upstream clock 2 h ahead of InfluxDB's", async () => {
    await expectEachMinuteOnce(
      await run({ signal: "faithful", timeScale: 60, jitterMs: 100, aheadMs: 2 * HOUR_MS, runs: [8, 8, 6] }),
    );
  });
});
