// Real data for API tests: the simulator (realistic signal, anomalies, a
// test-controlled clock) in-process and the REAL ingester as a child process
// writing into the calling file's bucket. The clock moves 10 minutes after
// each cycle that took new samples, so a few cycles give a few hours of
// contiguous history, ending about a minute before the wall clock.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flux } from "@influxdata/influxdb-client";
import { afterAll, beforeAll } from "vitest";
import { freePort } from "../../shared/net/free-port.js";
import { MEASUREMENT } from "../../shared/schema.js";
import { type RunningSimulator, startSimulator } from "../../simulator/server.js";
import { type TestBucket, influxServer } from "./influx.js";
import { type ServiceProcess, startService } from "./processes.js";

export interface FleetDevice {
  id: string;
  client: string;
  type: string;
}

export interface IngestedData {
  bucket: string;
  fleet: FleetDevice[];
  /** Simulated clock of the first and the last cycle (ms). */
  firstCycleMs: number;
  lastCycleMs: number;
  /** reading points in the bucket once ingestion settled. */
  readingPoints: number;
}

export interface IngestOptions {
  seed?: number;
  cycles?: number;
  stepMinutes?: number;
  anomalyRate?: number;
}

const MINUTE = 60_000;

async function countReadings(bucket: TestBucket): Promise<number> {
  const rows = await bucket.client.getQueryApi(bucket.server.org).collectRows<{ _value: number }>(flux`
    from(bucket: ${bucket.name})
      |> range(start: 0)
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading})
      |> group()
      |> count()`);
  return rows[0]?._value ?? 0;
}

/** Waits for the next "cycle done" log line after index `from`; returns it and its index. */
async function nextCycle(
  svc: ServiceProcess,
  from: number,
): Promise<{ line: Record<string, unknown>; index: number }> {
  const line = await svc.waitForLog((l) => l.msg === "cycle done" && svc.logs.indexOf(l) >= from, 30_000);
  return { line, index: svc.logs.indexOf(line) };
}

async function ingest(bucket: TestBucket, opts: IngestOptions): Promise<IngestedData> {
  const cycles = opts.cycles ?? 18;
  const step = (opts.stepMinutes ?? 10) * MINUTE;
  const lastCycleMs = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
  const firstCycleMs = lastCycleMs - (cycles - 1) * step;
  let simNow = firstCycleMs;
  let sim: RunningSimulator | undefined;
  let ingester: ServiceProcess | undefined;
  const spool = await mkdtemp(join(tmpdir(), "api-ingest-spool-"));
  try {
    sim = await startSimulator({
      seed: opts.seed ?? 7,
      signal: "realistic",
      anomalyRate: opts.anomalyRate ?? 0.02,
      now: () => simNow,
    });
    const fleet = (await (await fetch(`${sim.url}/iot_objects`)).json()) as FleetDevice[];
    const server = bucket.server;
    ingester = startService("ingest/main.ts", {
      INFLUX_URL: server.url,
      INFLUX_TOKEN: server.token,
      INFLUX_ORG: server.org,
      INFLUX_BUCKET: bucket.name,
      IOT_API_URL: sim.url,
      INGEST_CRON: "* * * * * *",
      INGEST_SPOOL_DIR: spool,
      INGEST_METRICS_PORT: String(await freePort()),
      INGEST_METRICS_HOST: "127.0.0.1",
      INGEST_FLUSH_INTERVAL_MS: "200",
      LOG_LEVEL: "info",
    });
    let from = 0;
    for (let done = 0; done < cycles;) {
      const { line, index } = await nextCycle(ingester, from);
      from = index + 1;
      // A tick that ran before the clock moved took nothing: do not move it twice.
      if (Number(line.samples) > 0) {
        done++;
        if (done < cycles) simNow += step;
      }
    }
    const code = await ingester.stop("SIGTERM");
    if (code !== 0) throw new Error(`ingester exited with ${code}:\n${ingester.stderr()}`);
    // Settled when two reads a moment apart agree.
    let before = -1;
    let now = await countReadings(bucket);
    for (let i = 0; i < 50 && (now === 0 || now !== before); i++) {
      await new Promise((r) => setTimeout(r, 200));
      before = now;
      now = await countReadings(bucket);
    }
    if (now === 0) throw new Error("no reading landed in InfluxDB");
    return { bucket: bucket.name, fleet, firstCycleMs, lastCycleMs, readingPoints: now };
  } finally {
    await ingester?.stop("SIGKILL");
    await sim?.stop();
    await rm(spool, { recursive: true, force: true });
  }
}

/**
 * Registers a beforeAll that fills the file's test bucket (register it with
 * useTestBucket first) with ingested data; read `.current` inside tests.
 */
export function useIngestedData(
  bucket: { readonly current: TestBucket },
  opts: IngestOptions = {},
): { readonly current: IngestedData } {
  let data: IngestedData | undefined;
  beforeAll(async () => {
    if (!influxServer) return;
    data = await ingest(bucket.current, opts);
  }, 120_000);
  afterAll(() => {
    data = undefined;
  });
  return {
    get current(): IngestedData {
      if (!data) throw new Error("ingested data not ready: use it inside a test or hook");
      return data;
    },
  };
}
