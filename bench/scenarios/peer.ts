// Scenario 7: the ingester beside the collector its users would otherwise
// pick, Telegraf (inputs.http -> json_v2 -> outputs.influxdb_v2, built from
// its Go module by scripts/build-telegraf.sh, configured by
// bench/peer/telegraf.toml). For each fleet size, each collector alone in
// turn gets its own simulator process (realistic signal, one upstream minute
// per `periodS` wall seconds) and its own bucket, gathers once per upstream
// minute, and is measured over the same number of periods after a warm-up:
// CPU seconds of its process (/proc), requests the simulator received, peak
// RSS; with --peer-steady=N, again over as many periods from period N (the
// steady state of a collector that runs for days: V8 compiles the ingester's
// hot code over its first minutes); it runs on until some minutes have been
// served by all ten gathers that cover them, and InfluxDB is asked how many
// points it holds for those. With --peer-rounds=N the ingester and Telegraf
// run N times per size, alternating which goes first, each later round over
// the first window only: the machine's speed moves between slots of 8-20
// minutes, so one pair of slots is one sample of the ratio.
// The ingester runs compiled (dist/, `npm run build`) with plain `node`, as
// the Dockerfile runs it, with the deployment's NODE_OPTIONS (heap ceiling). A third run, node-floor (bench/peer/node-floor.ts),
// makes the ingester's requests through node:http and only parses the
// answers: the floor under any Node collector's CPU per request.
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { flux, fluxDateTime } from "@influxdata/influxdb-client";
import { parse } from "yaml";
import { freePort } from "../../shared/net/free-port.js";
import { HISTORY_METRIC, MEASUREMENT } from "../../shared/schema.js";
import { type ServiceProcess, startService } from "../../test/support/processes.js";
import { type BenchInflux, createBucket } from "../lib/influx.js";
import { extraIngestEnv } from "../lib/ingester-run.js";
import { cpuSeconds, processMemory } from "../lib/machine.js";
import type { PeerResults, PeerRun, PeerWindow } from "../lib/results.js";

const run = promisify(execFile);
const repo = join(import.meta.dirname, "..", "..");
const MINUTE_MS = 60_000;
/** Minutes each history answer covers: a minute is served by ten gathers in a row. */
const HISTORY_MINUTES = 10;
export const WARM_UP_PERIODS = 2;
/** Periods a collector runs in all: long enough for a window of fully served minutes. */
const TOTAL_PERIODS = WARM_UP_PERIODS + HISTORY_MINUTES + 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Telegraf's json_v2 names the history value `value`; the ingester names it after the metric. */
const HISTORY_FIELDS = [...new Set([...Object.values(HISTORY_METRIC), "value"])];

export interface PeerOptions {
  sizes: number[];
  /** Measured periods (upstream minutes) per collector, after the warm-up. */
  periods: number;
  /** Wall seconds per upstream minute (60: the real cadence); by fleet size when absent (periodSeconds). */
  periodS?: number;
  /** Periods after which a second window is measured (PeerRun.steady); none when absent. */
  steadyAfter?: number;
  /**
   * Rounds per fleet size (1 when absent): after round 1, the ingester and
   * Telegraf run again, alternating which goes first, over the first window
   * only, so the ratio is measured in several slots of one run.
   */
  rounds?: number;
  log: (msg: string) => void;
}

/**
 * Wall seconds per upstream minute. Up to 100 devices, the real cadence (one
 * gather per wall-clock minute, the default schedule): a gather there takes a
 * fraction of a second, so what a collector costs between gathers is a large
 * share of its whole, and a faster clock would shrink it. Larger fleets run
 * faster, to keep a size's run under half an hour, with room for a cycle at
 * both collectors' pace.
 */
export function periodSeconds(devices: number): number {
  return devices <= 100 ? 60 : devices <= 1000 ? 10 : devices <= 10_000 ? 30 : 60;
}

/** A node-cron schedule every periodS seconds; 60 and its multiples start on the minute, as the default schedule does. */
function cronEvery(periodS: number): string {
  return periodS < 60 ? `*/${periodS} * * * * *` : `0 */${periodS / 60} * * * *`;
}

/** Builds (or reuses) Telegraf; undefined, with the reason logged loudly, where it cannot be built. */
async function telegrafBinary(log: (msg: string) => void): Promise<string | undefined> {
  try {
    const { stdout } = await run("bash", [join(repo, "scripts", "build-telegraf.sh")], {
      maxBuffer: 1 << 20,
      timeout: 20 * 60_000,
    });
    return stdout.trim().split("\n").pop();
  } catch (err) {
    log(`peer: TELEGRAF NOT AVAILABLE, its runs are skipped: ${(err as Error).message.split("\n")[0]}`);
    return undefined;
  }
}

interface Collector {
  pid: number;
  stop(): Promise<void>;
  /** Cycle times seen so far, ms (the ingester's "cycle done" lines). */
  cycleMs(): number[];
}

/** NODE_OPTIONS the deployment gives the ingester (docker-compose.yml's ingest service; k8s alike), so it runs here as deployed. */
export function deployedIngestNodeOptions(): string {
  const compose = parse(readFileSync(join(repo, "docker-compose.yml"), "utf8"), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string> }>;
  };
  return compose.services.ingest?.environment?.NODE_OPTIONS ?? "";
}

async function startIngesterCollector(
  influx: BenchInflux,
  bucket: string,
  simUrl: string,
  periodS: number,
  spoolDir: string,
): Promise<Collector> {
  const proc: ServiceProcess = startService("dist/ingest/main.js", {
    INFLUX_URL: influx.url,
    INFLUX_TOKEN: influx.token,
    INFLUX_ORG: influx.org,
    INFLUX_BUCKET: bucket,
    IOT_API_URL: simUrl,
    INGEST_CRON: cronEvery(periodS),
    INGEST_SPOOL_DIR: spoolDir,
    INGEST_METRICS_PORT: String(await freePort()),
    INGEST_METRICS_HOST: "127.0.0.1",
    INGEST_ROLLUP: "false",
    LOG_LEVEL: "info",
    NODE_ENV: "production",
    NODE_OPTIONS: deployedIngestNodeOptions(),
    ...extraIngestEnv(),
  });
  await proc.waitForLog((l) => l.msg === "ingester started", 60_000);
  return {
    pid: proc.child.pid!,
    cycleMs: () =>
      proc.logs.filter((l) => l.msg === "cycle done" && typeof l.ms === "number").map((l) => l.ms as number),
    async stop() {
      await proc.stop();
    },
  };
}

/** bench/peer/node-floor.ts: node:http making the ingester's requests, nothing else. */
async function startFloorCollector(simUrl: string, periodS: number): Promise<Collector> {
  const proc = startService("bench/peer/node-floor.ts", {
    FLOOR_UPSTREAM_URL: simUrl,
    FLOOR_PERIOD_S: String(periodS),
  });
  await proc.waitForLog((l) => l.msg === "floor started", 60_000);
  return {
    pid: proc.child.pid!,
    cycleMs: () =>
      proc.logs.filter((l) => l.msg === "cycle done" && typeof l.ms === "number").map((l) => l.ms as number),
    async stop() {
      await proc.stop();
    },
  };
}

async function startTelegrafCollector(
  binary: string,
  influx: BenchInflux,
  bucket: string,
  simUrl: string,
  devices: number,
  periodS: number,
  dir: string,
): Promise<Collector> {
  const template = await readFile(join(repo, "bench", "peer", "telegraf.toml"), "utf8");
  const urls = Array.from(
    { length: devices },
    (_, i) => `    "${simUrl}/iot_objects/device_${i + 1}/history",`,
  );
  const config = template.replace(/^ {2}urls = \[\]$/m, `  urls = [\n${urls.join("\n")}\n  ]`);
  const file = join(dir, "telegraf.toml");
  await writeFile(file, config);
  const child = spawn(binary, ["--config", file], {
    env: {
      ...process.env,
      TELEGRAF_INTERVAL: `${periodS}s`,
      INFLUX_URL: influx.url,
      INFLUX_TOKEN: influx.token,
      INFLUX_ORG: influx.org,
      INFLUX_BUCKET: bucket,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-5000)));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  await new Promise((r) => setTimeout(r, 1000));
  if (child.exitCode !== null) throw new Error(`telegraf exited ${child.exitCode}: ${stderr.trim()}`);
  return {
    pid: child.pid!,
    cycleMs: () => [],
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The simulator's clock (ms) and the requests it has received. */
async function simState(simUrl: string): Promise<{ nowMs: number; requests: number }> {
  const config = (await (await fetch(`${simUrl}/_sim/config`)).json()) as { now: string };
  const requests = (await (await fetch(`${simUrl}/_sim/requests`)).json()) as { total: number };
  return { nowMs: Date.parse(`${config.now}Z`), requests: requests.total };
}

/** History points and distinct device-minutes stored in [fromMs, toMs). */
async function storedIn(
  influx: BenchInflux,
  bucket: string,
  fromMs: number,
  toMs: number,
): Promise<{ points: number; deviceMinutes: number }> {
  const rows = await influx.client.getQueryApi(influx.org).collectRows<{
    result: string;
    _value: number;
  }>(flux`
    data = from(bucket: ${bucket})
      |> range(start: ${fluxDateTime(new Date(fromMs).toISOString())}, stop: ${fluxDateTime(new Date(toMs).toISOString())})
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.reading} and contains(value: r._field, set: ${HISTORY_FIELDS}))
    data |> group() |> count() |> yield(name: "points")
    data |> aggregateWindow(every: 1m, fn: count, createEmpty: false) |> group() |> count() |> yield(name: "minutes")`);
  const of = (name: string) => rows.find((r) => r.result === name)?._value ?? 0;
  return { points: of("points"), deviceMinutes: of("minutes") };
}

async function measure(
  influx: BenchInflux,
  kind: PeerRun["collector"],
  devices: number,
  o: PeerOptions,
  telegraf: string | undefined,
  round: number,
): Promise<PeerRun> {
  const periodS = o.periodS ?? periodSeconds(devices);
  const base: PeerRun = { collector: kind, devices, ...(round > 1 ? { round } : {}), periodS, periods: 0 };
  // Round 1 measures everything; later rounds the first window only.
  const full = round === 1;
  const who = `${kind} ${devices} devices${full ? "" : `, round ${round}`}`;
  if (kind === "telegraf" && !telegraf) return { ...base, error: "Telegraf could not be built here" };
  const bucket = await createBucket(influx, `peer_${kind}_${devices}`);
  const dir = await mkdtemp(join(tmpdir(), `bench-peer-${kind}-`));
  const simPort = await freePort();
  const sim = startService("simulator/main.ts", {
    SIM_PORT: String(simPort),
    SIM_HOST: "127.0.0.1",
    SIM_DEVICES: String(devices),
    SIM_CLIENTS: String(Math.min(10, devices)),
    SIM_SIGNAL: "realistic",
    SIM_SEED: "13",
    SIM_TIME_SCALE: String(60 / periodS),
    LOG_LEVEL: "info",
  });
  const simUrl = `http://127.0.0.1:${simPort}`;
  let collector: Collector | undefined;
  try {
    await sim.waitForLog((l) => typeof l.url === "string", 60_000);
    collector =
      kind === "ingester"
        ? await startIngesterCollector(influx, bucket.name, simUrl, periodS, dir)
        : kind === "telegraf"
          ? await startTelegrafCollector(telegraf!, influx, bucket.name, simUrl, devices, periodS, dir)
          : await startFloorCollector(simUrl, periodS);
    const start = await simState(simUrl);
    const startedMs = performance.now();
    const untilPeriod = (n: number) =>
      sleep(Math.max(0, startedMs + n * periodS * 1000 + 2000 - performance.now()));
    /** CPU, requests and cycles over `o.periods` periods from now. */
    const measureWindow = async () => {
      const cpu0 = (await cpuSeconds(collector!.pid)) ?? Number.NaN;
      const s0 = await simState(simUrl);
      const cyclesBefore = collector!.cycleMs().length;
      await sleep(o.periods * periodS * 1000);
      const cpu1 = (await cpuSeconds(collector!.pid)) ?? Number.NaN;
      const s1 = await simState(simUrl);
      return {
        cpuS: cpu1 - cpu0,
        requests: s1.requests - s0.requests,
        cycles: collector!.cycleMs().slice(cyclesBefore),
      };
    };
    // Warm-up: the catch-up gather (ten minutes per device) and one steady period.
    await untilPeriod(WARM_UP_PERIODS);
    const { cpuS, requests, cycles } = await measureWindow();
    let steady: PeerWindow | undefined;
    if (full && o.steadyAfter !== undefined) {
      await untilPeriod(o.steadyAfter);
      const w = await measureWindow();
      steady = {
        afterPeriods: o.steadyAfter,
        cpuS: w.cpuS,
        cpuSPerPeriodPer1000: (w.cpuS / o.periods / devices) * 1000,
        upstreamRequests: w.requests,
        cpuMsPerRequest: w.requests > 0 ? (w.cpuS * 1000) / w.requests : Number.NaN,
      };
    }
    // On until every minute of the stored-per-served window has been served by all ten of its gathers.
    const stores = full && kind !== "node-floor";
    if (stores) await untilPeriod(TOTAL_PERIODS);
    const end = await simState(simUrl);
    const memory = await processMemory(collector.pid);
    await collector.stop();
    collector = undefined;
    // Minutes first served after the start and served for the last time before the end.
    const fromMs = Math.ceil(start.nowMs / MINUTE_MS) * MINUTE_MS;
    const toMs = Math.floor(end.nowMs / MINUTE_MS) * MINUTE_MS - HISTORY_MINUTES * MINUTE_MS;
    const stored = stores ? await storedIn(influx, bucket.name, fromMs, toMs) : undefined;
    const served = devices * Math.max(0, (toMs - fromMs) / MINUTE_MS);
    const result: PeerRun = {
      ...base,
      periods: o.periods,
      cpuS,
      cpuSPerPeriodPer1000: (cpuS / o.periods / devices) * 1000,
      upstreamRequests: requests,
      cpuMsPerRequest: requests > 0 ? (cpuS * 1000) / requests : Number.NaN,
      peakRssMb: memory?.peakMb ?? Number.NaN,
      ...(steady ? { steady } : {}),
      ...(cycles.length ? { cycleMs: cycles.sort((a, b) => a - b)[Math.floor(cycles.length / 2)]! } : {}),
      ...(stored
        ? {
            servedDeviceMinutes: served,
            storedPoints: stored.points,
            storedPerServed: served > 0 ? stored.points / served : Number.NaN,
            lostDeviceMinutes: Math.max(0, served - stored.deviceMinutes),
          }
        : {}),
    };
    o.log(
      `peer: ${who}: ${cpuS.toFixed(2)} CPU s over ${o.periods} periods (${result.cpuSPerPeriodPer1000!.toFixed(2)} per period per 1,000 devices), ` +
        `${requests} requests (${result.cpuMsPerRequest!.toFixed(3)} ms CPU each), peak RSS ${result.peakRssMb!.toFixed(0)} MB` +
        (steady
          ? `; from period ${steady.afterPeriods}: ${steady.upstreamRequests} requests (${steady.cpuMsPerRequest.toFixed(3)} ms CPU each)`
          : "") +
        (stored
          ? `, ${stored.points} points for ${served} device-minutes served (${result.storedPerServed!.toFixed(3)}), ${result.lostDeviceMinutes} lost`
          : ""),
    );
    return result;
  } catch (err) {
    const message = (err as Error).message.split("\n")[0]!;
    o.log(`peer: ${who} FAILED: ${message}`);
    return { ...base, error: message };
  } finally {
    await collector?.stop().catch(() => undefined);
    await sim.stop();
    await bucket.drop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runPeer(influx: BenchInflux, o: PeerOptions): Promise<PeerResults> {
  o.log("peer: building the ingester (npm run build) and Telegraf (scripts/build-telegraf.sh)");
  await run("npm", ["run", "--silent", "build"], { cwd: repo, maxBuffer: 1 << 22 });
  const telegraf = await telegrafBinary(o.log);
  let version: string | undefined;
  if (telegraf) version = (await run(telegraf, ["--version"])).stdout.trim();
  const runs: PeerRun[] = [];
  for (const devices of o.sizes)
    for (let round = 1; round <= (o.rounds ?? 1); round++)
      for (const kind of roundOrder(round))
        runs.push(await measure(influx, kind, devices, o, telegraf, round));
  return { ...(version ? { telegraf: version } : {}), runs };
}

/**
 * Who runs in a round, in order: everyone in round 1; then the ingester and
 * Telegraf, Telegraf first in even rounds, so a drift of the machine's speed
 * over the run favours neither.
 */
export function roundOrder(round: number): PeerRun["collector"][] {
  if (round === 1) return ["ingester", "telegraf", "node-floor"];
  return round % 2 === 0 ? ["telegraf", "ingester"] : ["ingester", "telegraf"];
}
