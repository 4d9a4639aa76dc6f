// Detection quality against ground truth at the real cadence: the simulator
// (realistic signal with its daily cycle, 60 times faster than real time,
// request latency jitter) injects every kind of anomaly and says where; the
// real ingester (one cycle a second: one per simulated minute) detects them
// with the default rules. Every kind must reach recall 0.95 and all events
// together precision 0.95 (scoring in bench/lib/detection.ts). The figures
// are printed.
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { judgeDetection, storedAround } from "../../bench/lib/detection-run.js";
import { type RunningSimulator, startSimulator } from "../../simulator/server.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { type IngesterProcess, startIngester, tempSpoolDir } from "../support/ingester.js";

const DEVICES = 100;
/** Simulated minutes (about one wall second each); with the warm-up, about 70 episodes of each kind. */
const MINUTES = 180;
const bucket = useTestBucket(import.meta.url);
let sim: RunningSimulator;
let spoolDir: string;
let ingester: IngesterProcess | undefined;

beforeAll(async () => {
  if (!influxServer) return;
  sim = await startSimulator({
    seed: 2026,
    signal: "realistic",
    anomalyRate: 0.02,
    devices: DEVICES,
    clients: 10,
    timeScale: 60,
    faults: { jitterMs: 20 },
  });
  spoolDir = await tempSpoolDir();
});

afterAll(async () => {
  await ingester?.stop("SIGKILL");
  await sim?.stop();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
});

describeWithInflux("anomaly detection quality against the simulator's ground truth", () => {
  it(
    "finds every injected kind (recall >= 0.95 each) with precision >= 0.95, at one cycle per minute",
    async () => {
      ingester = await startIngester({ ...influxServer!, bucket: bucket.current.name }, sim.url, spoolDir, {
        INGEST_CONCURRENCY: "32",
        INGEST_REQUEST_TIMEOUT_MS: "10000",
      });
      await ingester.waitForLog((l) => l.msg === "ingester started", 60_000);
      // At timeScale 60 a simulated minute is a wall second; every cycle line re-checks.
      const startedMs = performance.now();
      await ingester.waitForLog(
        () => performance.now() - startedMs >= MINUTES * 1000,
        (MINUTES + 120) * 1000,
      );
      expect(await ingester.stop()).toBe(0);
      ingester = undefined;

      const queryApi = bucket.current.client.getQueryApi(influxServer!.org);
      const { score, minutesServed, warmupMinutes } = await judgeDetection(
        queryApi,
        bucket.current.name,
        sim.url,
      );
      const kinds = Object.entries(score.byKind)
        .map(([k, s]) => `${k} ${s.recall.toFixed(3)} (${s.found}/${s.scored})`)
        .join(", ");
      const rules = Object.entries(score.byRule)
        .map(([r, s]) => `${r} ${s.precision.toFixed(3)} (${s.truePositives}/${s.events})`)
        .join(", ");
      console.log(
        `anomaly detection over ${minutesServed} minutes (first ${warmupMinutes} not judged): recall ${kinds}; ` +
          `precision ${score.precision.toFixed(3)} (${score.truePositives}/${score.events}): ${rules}`,
      );
      for (const t of score.missed)
        console.log(
          `missed: ${t.kind} ${t.device} ${t.metric} at ${new Date(t.startMs).toISOString()} for ${t.minutes} min; ` +
            `stored around it: ${await storedAround(queryApi, bucket.current.name, t)}`,
        );
      for (const [kind, s] of Object.entries(score.byKind)) {
        expect(s.scored, `${kind}: episodes scored`).toBeGreaterThan(30);
        expect(s.recall, `${kind}: recall`).toBeGreaterThanOrEqual(0.95);
      }
      expect(score.precision).toBeGreaterThanOrEqual(0.95);
    },
    (MINUTES + 240) * 1000,
  );
});
