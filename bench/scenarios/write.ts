// Scenarios 1 and 2: the same pre-encoded lines written by a minimal HTTP
// client (the ceiling) and by the ingester's sink (spool + official client).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { createInfluxSink } from "../../ingest/sink/influx-sink.js";
import { sinkEnv } from "../../ingest/sink/config.js";
import { readEnvGroups } from "../../shared/config/index.js";
import { createLogger } from "../../shared/log.js";
import { allFleetLines } from "../lib/data.js";
import { type BenchInflux, createBucket } from "../lib/influx.js";
import { writeRaw } from "../lib/raw-write.js";
import type { WriteResults, WriteVariant } from "../lib/results.js";
import { percentile, ratePerSecond, ratio } from "../lib/stats.js";

export interface WriteOptions {
  /** Devices of the generated fleet; lines = about devices x minutes x 1.2. */
  devices: number;
  minutes: number;
  rawBatchLines: number;
  /** Interleaved rounds of every writer; the median round is reported. */
  rounds: number;
  log: (msg: string) => void;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await work();
  return { ms: performance.now() - t, value };
}

export async function runWrite(influx: BenchInflux, o: WriteOptions): Promise<WriteResults> {
  const endMs = Math.floor(Date.now() / 60_000) * 60_000;
  const lines = allFleetLines({
    devices: o.devices,
    clients: Math.ceil(o.devices / 10),
    endMs,
    minutes: o.minutes,
    seed: 8,
  });
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  o.log(`write: ${lines.length.toLocaleString("en-US")} lines (${(bytes / 1e6).toFixed(1)} MB)`);

  const rawVariant = async (label: string, gzip: boolean): Promise<WriteVariant> => {
    const bucket = await createBucket(influx, gzip ? "raw_gzip" : "raw");
    try {
      const target = { url: influx.url, token: influx.token, org: influx.org, bucket: bucket.name };
      const { ms, value: requests } = await timed(() => writeRaw(target, lines, o.rawBatchLines, gzip));
      return {
        label,
        points: lines.length,
        ms,
        pointsPerS: ratePerSecond(lines.length, ms),
        batchLines: o.rawBatchLines,
        requests,
        gzip,
      };
    } finally {
      await bucket.drop();
    }
  };

  // The sink with the product's defaults (INGEST_BATCH_SIZE, INGEST_GZIP_THRESHOLD, ...).
  const defaults = readEnvGroups({ sink: sinkEnv }, {}).sink;
  const sinkVariant = async (
    label: string,
    batchSize: number,
  ): Promise<WriteVariant & { enqueueMs: number }> => {
    const bucket = await createBucket(influx, "sink");
    const spoolDir = await mkdtemp(join(tmpdir(), "bench-spool-"));
    try {
      const sink = await createInfluxSink({
        url: influx.url,
        token: influx.token,
        org: influx.org,
        bucket: bucket.name,
        timeoutMs: 30_000,
        ...defaults,
        batchSize,
        spoolDir,
        spoolMaxBytes: 4 * 2 ** 30,
        registry: new Registry(),
        logger: createLogger("bench-sink", "warn"),
      });
      // As the pipeline does: one durable enqueue per cycle (here 50,000 lines,
      // about a 4,500-device catch-up cycle), then a drain nudge.
      const cycleLines = 50_000;
      let enqueueMs = 0;
      const { ms } = await timed(async () => {
        for (let i = 0; i < lines.length; i += cycleLines) {
          const t = performance.now();
          await sink.enqueue(lines.slice(i, i + cycleLines));
          enqueueMs += performance.now() - t;
          void sink.drain();
        }
        for (let guard = 0; sink.stats().lines > 0 && guard < 1000; guard++) {
          const r = await sink.drain();
          if (r.failed) throw new Error("sink drain failed");
        }
      });
      await sink.close(1000);
      return {
        label,
        points: lines.length,
        ms,
        pointsPerS: ratePerSecond(lines.length, ms),
        batchLines: batchSize,
        requests: Math.ceil(lines.length / batchSize),
        gzip: lines.length > 0 && defaults.gzipThreshold < bytes,
        enqueueMs,
      };
    } finally {
      await bucket.drop();
      await rm(spoolDir, { recursive: true, force: true });
    }
  };

  // Rounds interleave the writers, so a burst of other work on the machine
  // hits them alike; each writer's median round is reported.
  const runs: Record<"raw" | "rawGzip" | "sink" | "sinkBatch", WriteVariant[]> = {
    raw: [],
    rawGzip: [],
    sink: [],
    sinkBatch: [],
  };
  let enqueue: number[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    runs.raw.push(await rawVariant("raw node:http (ceiling)", false));
    runs.sink.push(
      await sinkVariant(
        `ingester sink, INGEST_BATCH_SIZE ${defaults.batchSize} (default)`,
        defaults.batchSize,
      ),
    );
    runs.rawGzip.push(await rawVariant("raw node:http, gzip", true));
    const big = await sinkVariant(`ingester sink, INGEST_BATCH_SIZE ${o.rawBatchLines}`, o.rawBatchLines);
    runs.sinkBatch.push(big);
    enqueue.push(big.enqueueMs);
    o.log(
      `write: round ${round}/${o.rounds}: ` +
        (["raw", "sink", "rawGzip", "sinkBatch"] as const)
          .map((k) => `${k} ${Math.round(runs[k][runs[k].length - 1]!.pointsPerS).toLocaleString("en-US")}`)
          .join(", ") +
        " points/s",
    );
  }
  const median = (list: WriteVariant[]): WriteVariant & { rounds: number[] } => {
    const rates = list.map((v) => v.pointsPerS);
    const m = percentile(rates, 50);
    // The round closest to the median stands for it (with an even count, the upper middle).
    const chosen = [...list].sort((a, b) => Math.abs(a.pointsPerS - m) - Math.abs(b.pointsPerS - m))[0]!;
    return { ...chosen, pointsPerS: m, rounds: rates };
  };
  enqueue = enqueue.sort((a, b) => a - b);
  const raw = median(runs.raw);
  const sink = { ...median(runs.sink), enqueueMs: enqueue[Math.floor(enqueue.length / 2)] ?? Number.NaN };
  return {
    points: lines.length,
    bytes,
    raw,
    rawGzip: median(runs.rawGzip),
    sink,
    sinkBatch: median(runs.sinkBatch),
    ratio: ratio(sink.pointsPerS, raw.pointsPerS),
  };
}
