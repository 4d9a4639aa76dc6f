// The real ingester (ingest/main.ts, a child process) against an in-process
// simulator whose clock the bench moves: after every "cycle done" the clock
// advances by `stepMs` plus a random jitter (up to `jitterMs` either way), and
// between jumps it runs at wall-clock speed, so every request of a cycle
// sees its own time, as against the real upstream. Each following cycle finds
// about one new minute of history. The cron fires every second; a tick that
// finds a cycle running is skipped by the ingester itself.
import { rm } from "node:fs/promises";
import { mulberry32 } from "../../simulator/random.js";
import { type RunningSimulator, startSimulator } from "../../simulator/server.js";
import { type IngesterProcess, startIngester, tempSpoolDir } from "../../test/support/ingester.js";
import type { BenchInflux } from "./influx.js";
import { PROFILE_PRELOAD, processMemory } from "./machine.js";

export interface CycleLog {
  ms: number;
  samples: number;
  lines: number;
  devices: number;
  failedDevices: number;
  anomalies: number;
  /** Upstream request attempts during the cycle (from the ingester's /metrics). */
  upstreamRequests: number;
  peakRssMb: number;
  rssMb: number;
  /** V8 heap in use after the cycle (nodejs_heap_size_used_bytes), MB. */
  heapUsedMb: number;
}

export interface IngesterSession {
  sim: RunningSimulator;
  ingester: IngesterProcess;
  readonly simNow: number;
  startupMs: number;
  /** Waits for the next "cycle done" (or "cycle failed": throws), then advances the clock. */
  nextCycle(timeoutMs: number): Promise<CycleLog>;
  close(): Promise<void>;
}

export interface SessionOptions {
  devices: number;
  startMs: number;
  stepMs: number;
  /**
   * Real operating conditions: the clock's jump per cycle varies by up to this
   * much either way (ms), and it runs at wall-clock speed between jumps.
   * 0 = exact steps on a still clock (the detection scenario tiles minutes exactly).
   */
  jitterMs: number;
  anomalyRate: number;
  seed: number;
  bucket: string;
  env?: Record<string, string>;
}

/** Upstream request attempts so far and the V8 heap in use (MB), from the ingester's /metrics. */
async function scrape(port: number): Promise<{ attempts: number; heapUsedMb: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let attempts = 0;
  for (const m of text.matchAll(
    /^ingest_upstream_request_duration_seconds_count\{[^}]*\} (\d+(?:\.\d+)?)$/gm,
  ))
    attempts += Number(m[1]);
  const heap = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return { attempts, heapUsedMb: heap ? Number(heap[1]) / 2 ** 20 : Number.NaN };
}

/** BENCH_INGEST_ENV="INGEST_CONCURRENCY=64,NODE_OPTIONS=--max-old-space-size=256": extra ingester environment for experiments. */
export function extraIngestEnv(text = process.env.BENCH_INGEST_ENV ?? ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const i = pair.indexOf("=");
    if (i > 0) out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return out;
}

export async function startSession(influx: BenchInflux, o: SessionOptions): Promise<IngesterSession> {
  let simNow = o.startMs;
  let jumpedAt = performance.now();
  const random = mulberry32(o.seed);
  const running = o.jitterMs > 0;
  const elapsed = () => (running ? performance.now() - jumpedAt : 0);
  const sim = await startSimulator({
    devices: o.devices,
    signal: "realistic",
    seed: o.seed,
    anomalyRate: o.anomalyRate,
    now: () => simNow + elapsed(),
  });
  const spoolDir = await tempSpoolDir();
  const started = performance.now();
  const ingester = await startIngester(
    { url: influx.url, token: influx.token, org: influx.org, bucket: o.bucket },
    sim.url,
    spoolDir,
    {
      // The product's defaults, not the tests' short timeouts.
      INGEST_REQUEST_TIMEOUT_MS: "10000",
      INGEST_RETRY_BASE_MS: "250",
      INGEST_FLUSH_INTERVAL_MS: "1000",
      ...(process.env.BENCH_PROFILE_DIR ? { NODE_OPTIONS: `--import=${PROFILE_PRELOAD}` } : {}),
      ...o.env,
      ...extraIngestEnv(),
    },
  );
  await ingester.waitForLog((l) => l.msg === "ingester started", 120_000);
  const startupMs = performance.now() - started;
  const done = (l: Record<string, unknown>) => l.msg === "cycle done" || l.msg === "cycle failed";
  // Advance the clock as soon as a cycle's log line arrives (this listener runs
  // after the one that parses the lines), not at the next poll, so the next
  // tick almost surely sees the new minute in full.
  let advanced = 0;
  ingester.child.stdout!.on("data", () => {
    const n = ingester.logs.filter(done).length;
    for (; advanced < n; advanced++) {
      simNow += elapsed() + o.stepMs + Math.round((random() * 2 - 1) * o.jitterMs);
      jumpedAt = performance.now();
    }
  });
  let seen = 0;
  let attempts = 0;
  return {
    sim,
    ingester,
    get simNow() {
      return simNow + elapsed();
    },
    startupMs,
    async nextCycle(timeoutMs) {
      await ingester.waitForLog(() => ingester.logs.filter(done).length > seen, timeoutMs);
      const entry = ingester.logs.filter(done)[seen]!;
      seen++;
      if (entry.msg === "cycle failed") throw new Error(`cycle failed: ${String(entry.err)}`);
      const { attempts: total, heapUsedMb } = await scrape(ingester.metricsPort);
      const mem = (await processMemory(ingester.child.pid!)) ?? { peakMb: Number.NaN, rssMb: Number.NaN };
      const out: CycleLog = {
        ms: Number(entry.ms),
        samples: Number(entry.samples),
        lines: Number(entry.lines),
        devices: Number(entry.devices),
        failedDevices: Number(entry.failedDevices),
        anomalies: Number(entry.anomalies),
        upstreamRequests: total - attempts,
        peakRssMb: mem.peakMb,
        rssMb: mem.rssMb,
        heapUsedMb,
      };
      attempts = total;
      return out;
    },
    async close() {
      try {
        await Promise.race([ingester.stop(), new Promise((r) => setTimeout(r, 30_000))]);
        if (ingester.child.exitCode === null && ingester.child.signalCode === null)
          await ingester.stop("SIGKILL");
      } finally {
        await sim.stop();
        await rm(spoolDir, { recursive: true, force: true });
      }
    },
  };
}
