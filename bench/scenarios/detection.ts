// Scenario 5: anomaly detection quality at fleet scale, at the real cadence:
// after each cycle the simulated clock jumps one minute (plus or minus a few
// seconds of jitter) and runs at wall-clock speed in between, so each cycle
// finds about one new minute of history and one new battery reading per
// device, as against the real upstream. Scored against the simulator's ground
// truth like test/integration/ingest-detection-quality.test.ts (both use
// bench/lib/detection-run.ts): recall per injected kind, precision per rule.
import { judgeDetection } from "../lib/detection-run.js";
import { type BenchInflux, createBucket } from "../lib/influx.js";
import { startSession } from "../lib/ingester-run.js";
import type { DetectionResults } from "../lib/results.js";

export interface DetectionOptions {
  devices: number;
  cycles: number;
  log: (msg: string) => void;
}

const ANOMALY_RATE = 0.02;
const STEP_MS = 60_000;
const JITTER_MS = 5_000;

export async function runDetection(influx: BenchInflux, o: DetectionOptions): Promise<DetectionResults> {
  const bucket = await createBucket(influx, "detection");
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - o.cycles * STEP_MS;
  const session = await startSession(influx, {
    devices: o.devices,
    startMs: t0,
    stepMs: STEP_MS,
    jitterMs: JITTER_MS,
    anomalyRate: ANOMALY_RATE,
    seed: 2026,
    bucket: bucket.name,
    env: { INGEST_CONCURRENCY: "32" },
  });
  try {
    let anomalies = 0;
    for (let i = 0; i < o.cycles; i++) {
      const c = await session.nextCycle(120_000 + o.devices * 30);
      anomalies += c.anomalies;
      if (i % 10 === 9 || i === o.cycles - 1)
        o.log(
          `detection: cycle ${i + 1}/${o.cycles}: ${c.ms} ms, ${c.samples} samples, ${anomalies} events so far`,
        );
    }
    const stopped = await session.ingester.stop();
    if (stopped !== 0) throw new Error(`ingester exited with ${String(stopped)}`);

    const judged = await judgeDetection(influx.client.getQueryApi(influx.org), bucket.name, session.sim.url);
    const { score } = judged;
    o.log(
      `detection: lowest recall of a kind ${score.minKindRecall.toFixed(3)}, precision ${score.precision.toFixed(3)} ` +
        `(${score.scored} episodes, ${score.events} events)`,
    );
    return {
      devices: o.devices,
      cycles: o.cycles,
      minutesServed: judged.minutesServed,
      warmupMinutes: judged.warmupMinutes,
      cadence: `one cycle per simulated minute (jitter ${JITTER_MS / 1000} s)`,
      anomalyRate: ANOMALY_RATE,
      score,
    };
  } finally {
    await session.close();
    await bucket.drop();
  }
}
