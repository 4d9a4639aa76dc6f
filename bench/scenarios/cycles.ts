// Scenario 3: full cycles at growing fleet sizes. For each size: a fresh
// bucket, the simulator (realistic mode) and a fresh ingester; the first
// cycle is the catch-up (ten minutes of history per device, nothing known),
// then steady cycles each find about one new simulated minute: the clock
// jumps one minute plus or minus a few seconds per cycle and runs in between,
// as the real upstream's does. Afterwards InfluxDB is asked how many points
// it holds per device-minute served (the contract: exactly 1).
import { flux } from "@influxdata/influxdb-client";
import { HISTORY_METRIC, MEASUREMENT, TAG } from "../../shared/schema.js";
import { type BenchInflux, createBucket } from "../lib/influx.js";
import { type CycleLog, startSession } from "../lib/ingester-run.js";
import type { CycleFigures, CycleResults, CycleRun, StoredPerServed } from "../lib/results.js";
import { growthExponents, ratePerSecond } from "../lib/stats.js";

export interface CyclesOptions {
  sizes: number[];
  steadyCycles: number;
  log: (msg: string) => void;
}

function figures(c: CycleLog): CycleFigures {
  return {
    ms: c.ms,
    samples: c.samples,
    lines: c.lines,
    samplesPerS: ratePerSecond(c.samples, c.ms),
    upstreamRequests: c.upstreamRequests,
    upstreamRequestsPerS: ratePerSecond(c.upstreamRequests, c.ms),
    failedDevices: c.failedDevices,
    peakRssMb: c.peakRssMb,
    rssMb: c.rssMb,
    heapUsedMb: c.heapUsedMb,
  };
}

/** Each cycle's clock jump is one minute plus up to this much either way. */
const CLOCK_JITTER_MS = 5_000;

/**
 * History points stored per device-minute: the served minutes of each device
 * are contiguous (no faults), so its span of minutes is what was served.
 */
async function storedPerServed(influx: BenchInflux, bucket: string): Promise<StoredPerServed> {
  const fields = [...new Set(Object.values(HISTORY_METRIC))];
  const rows = await influx.client.getQueryApi(influx.org).collectRows<{
    device: string;
    _time: string;
  }>(flux`
    from(bucket: ${bucket})
      |> range(start: -30d, stop: 30d)
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading} and contains(value: r._field, set: ${fields}))
      |> keep(columns: [${TAG.device}, "_time"])`);
  const minutes = new Map<string, { points: number; distinct: Set<number> }>();
  for (const r of rows) {
    let m = minutes.get(r.device);
    if (!m) minutes.set(r.device, (m = { points: 0, distinct: new Set() }));
    m.points++;
    m.distinct.add(Math.floor(Date.parse(r._time) / 60_000));
  }
  let points = 0;
  let served = 0;
  let missing = 0;
  for (const m of minutes.values()) {
    const span = Math.max(...m.distinct) - Math.min(...m.distinct) + 1;
    points += m.points;
    served += span;
    missing += span - m.distinct.size;
  }
  return { points, served, missing, ratio: served > 0 ? points / served : Number.NaN };
}

/** Generous bound per cycle: 20 ms per device plus a minute. */
const cycleTimeout = (devices: number) => 60_000 + devices * 20;

export async function runCycles(influx: BenchInflux, o: CyclesOptions): Promise<CycleResults> {
  const runs: CycleRun[] = [];
  for (const devices of o.sizes) {
    const bucket = await createBucket(influx, `cycle_${devices}`);
    const startMs = Math.floor(Date.now() / 60_000) * 60_000;
    let session: Awaited<ReturnType<typeof startSession>> | undefined;
    try {
      session = await startSession(influx, {
        devices,
        startMs,
        stepMs: 60_000,
        jitterMs: CLOCK_JITTER_MS,
        anomalyRate: 0.005,
        seed: 8,
        bucket: bucket.name,
      });
      const catchUp = figures(await session.nextCycle(cycleTimeout(devices) * 3));
      o.log(
        `cycles: ${devices} devices: catch-up ${catchUp.ms} ms, ${catchUp.samples} samples, peak RSS ${catchUp.peakRssMb.toFixed(0)} MB, heap used ${catchUp.heapUsedMb.toFixed(0)} MB`,
      );
      const steady: CycleFigures[] = [];
      // A cycle that started just before the clock moved finds nothing new: it does not count.
      for (let i = 0; steady.length < o.steadyCycles && i < o.steadyCycles + 3; i++) {
        const c = figures(await session.nextCycle(cycleTimeout(devices)));
        if (c.samples > 0) steady.push(c);
        o.log(
          `cycles: ${devices} devices: steady ${c.ms} ms, ${c.samples} samples, peak RSS ${c.peakRssMb.toFixed(0)} MB, heap used ${c.heapUsedMb.toFixed(0)} MB`,
        );
      }
      const last = steady[steady.length - 1];
      // Stopped gracefully, the ingester has flushed everything it accepted.
      await session.ingester.stop();
      const perServed = await storedPerServed(influx, bucket.name);
      o.log(
        `cycles: ${devices} devices: ${perServed.points} points for ${perServed.served} device-minutes served (${perServed.ratio.toFixed(3)} per minute), ${perServed.missing} missing`,
      );
      runs.push({
        devices,
        catchUp,
        steady,
        perServed,
        startupMs: session.startupMs,
        peakRssMb: Math.max(catchUp.peakRssMb, ...steady.map((s) => s.peakRssMb)),
        ...(last ? {} : { error: "no steady cycle with new samples" }),
      });
    } catch (err) {
      o.log(`cycles: ${devices} devices failed: ${(err as Error).message.split("\n")[0]}`);
      runs.push({
        devices,
        catchUp: figures({
          ms: NaN,
          samples: 0,
          lines: 0,
          devices,
          failedDevices: 0,
          anomalies: 0,
          upstreamRequests: 0,
          peakRssMb: NaN,
          rssMb: NaN,
          heapUsedMb: NaN,
        }),
        steady: [],
        startupMs: NaN,
        peakRssMb: NaN,
        error: (err as Error).message.split("\n")[0]!,
      });
    } finally {
      await session?.close();
      await bucket.drop();
    }
  }
  const ok = runs.filter((r) => !r.error && r.steady.length > 0);
  const catchUpK = growthExponents(ok.map((r) => ({ x: r.devices, y: r.catchUp.ms })));
  const steadyK = growthExponents(ok.map((r) => ({ x: r.devices, y: r.steady[r.steady.length - 1]!.ms })));
  const rssK = growthExponents(ok.map((r) => ({ x: r.devices, y: r.peakRssMb })));
  const growth = catchUpK.map((k, i) => ({
    from: ok[i]!.devices,
    to: ok[i + 1]!.devices,
    catchUpTime: k,
    steadyTime: steadyK[i]!,
    peakRss: rssK[i]!,
  }));
  return { runs, growth };
}
