// Runs the real ingester (ingest/main.ts) as a child process against a given
// InfluxDB bucket and IoT API, every second, and reads back what it stored.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type InfluxDB, flux } from "@influxdata/influxdb-client";
import { freePort } from "../../shared/net/free-port.js";
import { MEASUREMENT, TAG } from "../../shared/schema.js";
import { type ServiceProcess, startService } from "./processes.js";

export interface InfluxTarget {
  url: string;
  token: string;
  org: string;
  bucket: string;
}

export interface IngesterProcess extends ServiceProcess {
  readonly metricsPort: number;
  /** Cycles completed so far ("cycle done" log lines). */
  cycles(): number;
  /** Waits until `n` cycles in all have completed. */
  waitForCycles(n: number, timeoutMs?: number): Promise<void>;
  /** Waits for a cycle that started after this call (the one in flight may predate a change). */
  waitForFreshCycle(timeoutMs?: number): Promise<void>;
}

export async function tempSpoolDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "ingest-spool-"));
}

export async function startIngester(
  influx: InfluxTarget,
  iotApiUrl: string,
  spoolDir: string,
  env: Record<string, string> = {},
): Promise<IngesterProcess> {
  const metricsPort = await freePort();
  const proc = startService("ingest/main.ts", {
    INFLUX_URL: influx.url,
    INFLUX_TOKEN: influx.token,
    INFLUX_ORG: influx.org,
    INFLUX_BUCKET: influx.bucket,
    IOT_API_URL: iotApiUrl,
    INGEST_CRON: "* * * * * *",
    INGEST_SPOOL_DIR: spoolDir,
    INGEST_METRICS_PORT: String(metricsPort),
    INGEST_METRICS_HOST: "127.0.0.1",
    INGEST_FLUSH_INTERVAL_MS: "200",
    INGEST_REQUEST_TIMEOUT_MS: "2000",
    INGEST_RETRY_BASE_MS: "50",
    LOG_LEVEL: "info",
    ...env,
  });
  const cycles = () => proc.logs.filter((l) => l.msg === "cycle done" || l.msg === "cycle failed").length;
  const waitForCycles = (n: number, timeoutMs = 30_000) =>
    proc.waitForLog(() => cycles() >= n, timeoutMs).then(() => undefined);
  return {
    ...proc,
    metricsPort,
    cycles,
    waitForCycles,
    waitForFreshCycle: (timeoutMs) => waitForCycles(cycles() + 2, timeoutMs),
  };
}

/** Timestamps (ms) of each device's points of one field, sorted. */
export async function storedTimes(
  client: InfluxDB,
  target: InfluxTarget,
  field: string,
): Promise<Record<string, number[]>> {
  const rows = await client.getQueryApi(target.org).collectRows<{ device: string; _time: string }>(flux`
    from(bucket: ${target.bucket})
      |> range(start: -30d, stop: 1d)
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading} and r._field == ${field})
      |> keep(columns: [${TAG.device}, "_time"])`);
  const out: Record<string, number[]> = {};
  for (const r of rows) (out[r.device] ??= []).push(Date.parse(r._time));
  for (const list of Object.values(out)) list.sort((a, b) => a - b);
  return out;
}

/** Whole minutes from `fromMs` to `toMs`, inclusive. */
export function minuteGrid(fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let t = fromMs; t <= toMs; t += 60_000) out.push(t);
  return out;
}
