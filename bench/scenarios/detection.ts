// Scenario 5: anomaly detection quality at fleet scale, scored against the
// simulator's ground truth like test/integration/ingest-detection-quality.test.ts:
// each cycle the simulated clock moves ten minutes, so the whole ten-minute
// history is new each cycle and no minute is skipped.
import { flux } from "@influxdata/influxdb-client";
import { ANOMALY_FIELD, MEASUREMENT, TAG } from "../../shared/schema.js";
import { type DetectedEvent, type TruthEpisode, scoreDetection, truthStartMs } from "../lib/detection.js";
import { type BenchInflux, createBucket } from "../lib/influx.js";
import { startSession } from "../lib/ingester-run.js";
import type { DetectionResults } from "../lib/results.js";

export interface DetectionOptions {
  devices: number;
  cycles: number;
  log: (msg: string) => void;
}

const ANOMALY_RATE = 0.02;
const STEP_MS = 10 * 60_000;

export async function runDetection(influx: BenchInflux, o: DetectionOptions): Promise<DetectionResults> {
  const bucket = await createBucket(influx, "detection");
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - o.cycles * STEP_MS;
  const session = await startSession(influx, {
    devices: o.devices,
    startMs: t0,
    stepMs: STEP_MS,
    jitterMs: 0,
    anomalyRate: ANOMALY_RATE,
    seed: 2026,
    bucket: bucket.name,
    env: { INGEST_CONCURRENCY: "32" },
  });
  try {
    for (let i = 0; i < o.cycles; i++) {
      const c = await session.nextCycle(120_000 + o.devices * 30);
      if (c.samples === 0) i--; // a cycle that began before the clock moved: wait for the real one
      o.log(`detection: cycle ${i + 1}/${o.cycles}: ${c.ms} ms, ${c.samples} samples, ${c.anomalies} events`);
    }
    // Everything served up to the last cycle's clock; the clock has moved one step past it.
    const lastMs = session.simNow - STEP_MS;
    const stopped = await session.ingester.stop();
    if (stopped !== 0) throw new Error(`ingester exited with ${String(stopped)}`);

    const firstMs = t0 - 9 * 60_000;
    const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "000");
    const res = await fetch(`${session.sim.url}/_sim/truth?from=${iso(firstMs)}&to=${iso(session.simNow)}`);
    const raw = (
      (await res.json()) as { anomalies: (Omit<TruthEpisode, "startMs"> & { timestamp: string })[] }
    ).anomalies;
    const truth: TruthEpisode[] = raw.map((t) => ({
      device: t.device,
      metric: t.metric,
      kind: t.kind,
      minutes: t.minutes,
      startMs: truthStartMs(t.timestamp),
    }));
    const rows = await influx.client.getQueryApi(influx.org).collectRows<{
      device: string;
      metric: string;
      rule: string;
      _time: string;
    }>(flux`
      from(bucket: ${bucket.name})
        |> range(start: -30d, stop: 1d)
        |> filter(fn: (r) => r._measurement == ${MEASUREMENT.anomaly} and r._field == ${ANOMALY_FIELD.value})
        |> keep(columns: [${TAG.device}, ${TAG.metric}, ${TAG.rule}, "_time"])`);
    const events: DetectedEvent[] = rows.map((r) => ({
      device: r.device,
      metric: r.metric,
      rule: r.rule,
      timeMs: Date.parse(r._time),
    }));
    const score = scoreDetection(truth, events, firstMs, lastMs);
    o.log(
      `detection: recall ${score.recall.toFixed(3)}, precision ${score.precision.toFixed(3)} (${score.scored} episodes, ${score.detected} events)`,
    );
    return {
      devices: o.devices,
      cycles: o.cycles,
      minutesServed: Math.round((lastMs - firstMs) / 60_000) + 1,
      anomalyRate: ANOMALY_RATE,
      score,
    };
  } finally {
    await session.close();
    await bucket.drop();
  }
}
