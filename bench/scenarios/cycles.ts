// Scenario 3: full cycles at growing fleet sizes. For each size: a fresh
// bucket, the simulator (realistic mode) and a fresh ingester; the first
// cycle is the catch-up (ten minutes of history per device, nothing known),
// then steady cycles each find one new simulated minute.
import { type BenchInflux, createBucket } from "../lib/influx.js";
import { type CycleLog, startSession } from "../lib/ingester-run.js";
import type { CycleFigures, CycleResults, CycleRun } from "../lib/results.js";
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
      runs.push({
        devices,
        catchUp,
        steady,
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
