// Scenario 6: historical analysis at fleet scale. A fleet's minute history
// over days written with the ingester's encoders; the hourly rollup filled
// by the product's own `npm run rollup -- --backfill`; one run of the hourly
// task's aggregation timed; then every API endpoint (admin and client key)
// and every Flux query of every provisioned dashboard (as Grafana sends it)
// at ranges from 1 h to 30 days.
import { fork, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import type { InfluxDB } from "@influxdata/influxdb-client";
import { BucketsAPI, TasksAPI } from "@influxdata/influxdb-client-apis";
import { queryDeviceList } from "../../api/flux/devices.js";
import { createQueryRunner } from "../../api/flux/run.js";
import { apiEnv } from "../../api/config.js";
import { rollupRangeFlux, rollupTaskName } from "../../ingest/rollup/task.js";
import { rollupBucketName } from "../../shared/config/index.js";
import { HOUR_MS, parseDurationMs } from "../../shared/time.js";
import { createInfluxClient } from "../../shared/influx/client.js";
import { freePort } from "../../shared/net/free-port.js";
import { generatedDevice } from "../../simulator/fleet.js";
import { startService } from "../../test/support/processes.js";
import {
  loadDashboards,
  panelsOf,
  queriesOf,
  substituteVariables,
} from "../../test/support/stack-dashboards.js";
import { type BenchInflux, type Bucket, createBucket } from "../lib/influx.js";
import type { LoadWorkerData, LoadWorkerMessage } from "../lib/load-worker.js";
import {
  type BenchRange,
  LOOKBACK_RANGE,
  type Selection,
  distinct,
  fluxDurationLiteral,
  grafanaFlux,
  median,
  panelTitleOf,
  rangesCovered,
  windowPeriodMs,
} from "../lib/longrange.js";
import { waitForApiReady } from "../lib/api-ready.js";
import { PROFILE_PRELOAD, waitForIdle } from "../lib/machine.js";
import type {
  DashboardRefresh,
  DeviceListFloor,
  LongRangeCall,
  LongRangeResults,
  RollupTaskCost,
} from "../lib/results.js";

export interface LongRangeOptions {
  devices: number;
  clients: number;
  days: number;
  /** Also time the task's aggregation at these fleet sizes (each loaded with 7 hours into its own bucket). */
  taskSizes: number[];
  log: (msg: string) => void;
}

const repo = join(import.meta.dirname, "..", "..");
const CLIENT = "client_1";
const CLIENT_KEY = "bench-longrange-client-key";
const ADMIN_KEY = "bench-longrange-admin-key";
/** API_QUERY_TIMEOUT_MS of the bench's API: slow answers are measured, not turned into 503s early. */
const API_QUERY_TIMEOUT_MS = 60_000;
/** Bound of one dashboard query: past it the query counts as failed (Grafana's own data proxy gives up after 30 s by default). */
const DASHBOARD_TIMEOUT_MS = 60_000;
/** Bound of one run of the task's aggregation (InfluxDB sets a task none). */
const TASK_TIMEOUT_MS = 15 * 60_000;
const TASK_HOURS = 6;
const CONCURRENCY = 4;
/** Processes generating and writing the load (BENCH_LOAD_WORKERS; default the CPU count). */
const LOAD_WORKERS = Number(process.env.BENCH_LOAD_WORKERS) || availableParallelism();

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * Writes `devices` x `minutes` of fleet lines ending at `endMs`: `workers`
 * child processes (bench/lib/load-worker.ts) each generate, encode and POST
 * a slice of the fleet (one request in flight each), so encoding runs
 * beside influxd's ingest on every core.
 */
async function load(
  influx: BenchInflux,
  bucket: string,
  devices: number,
  clients: number,
  minutes: number,
  endMs: number,
  log: (msg: string) => void,
): Promise<{ lines: number; ms: number }> {
  const target = { url: influx.url, token: influx.token, org: influx.org, bucket };
  const workers = Math.max(1, Math.min(LOAD_WORKERS, devices));
  const t = performance.now();
  let lines = 0;
  let lastLog = t;
  await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      // Contiguous device slices, as even as possible.
      const first = Math.floor((w * devices) / workers) + 1;
      const last = Math.floor(((w + 1) * devices) / workers);
      const data: LoadWorkerData = {
        target,
        fleet: { devices: last, firstDevice: first, clients, endMs, minutes, seed: 6 },
        batchLines: 10_000,
      };
      const worker = fork(join(import.meta.dirname, "..", "lib", "load-worker.ts"), [], {
        cwd: repo,
        env: { ...process.env, BENCH_LOAD_WORKER: JSON.stringify(data) },
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      return new Promise<void>((resolve, reject) => {
        worker.on("message", (m: LoadWorkerMessage) => {
          lines += m.progress;
          if (m.done !== undefined) resolve();
          if (performance.now() - lastLog > 15_000) {
            lastLog = performance.now();
            log(`longrange: ${lines.toLocaleString("en-US")} lines written`);
          }
        });
        worker.on("error", reject);
        worker.on("exit", (code, signal) =>
          code === 0 ? resolve() : reject(new Error(`load worker exited with ${code ?? signal}`)),
        );
      });
    }),
  );
  return { lines, ms: performance.now() - t };
}

async function settle(influx: BenchInflux, log: (msg: string) => void, what: string): Promise<void> {
  if (influx.pid === undefined) return;
  const r = await waitForIdle(influx.pid, 0.15, 180_000);
  log(`longrange: influxd ${r.idle ? "idle" : "still busy"} ${(r.ms / 1000).toFixed(0)} s after ${what}`);
}

/** Runs a Flux query, counting the rows of every table it returns. */
async function countRows(client: InfluxDB, org: string, text: string): Promise<number> {
  let rows = 0;
  for await (const _row of client.getQueryApi(org).iterateRows(text)) rows++;
  return rows;
}

/** `npm run rollup -- --backfill <days>d` as a child process; its stdout summary parsed. */
async function backfill(
  influx: BenchInflux,
  bucket: string,
  days: number,
  log: (msg: string) => void,
): Promise<LongRangeResults["backfill"]> {
  const dir = await mkdtemp(join(tmpdir(), "bench-rollup-"));
  const t = performance.now();
  try {
    const child = spawn(
      "npm",
      ["run", "--silent", "rollup", "--", "--backfill", `${days}d`, "--state", join(dir, "state.json")],
      {
        cwd: repo,
        env: {
          ...process.env,
          INFLUX_URL: influx.url,
          INFLUX_TOKEN: influx.token,
          INFLUX_ORG: influx.org,
          INFLUX_BUCKET: bucket,
          INFLUX_ROLLUP_BUCKET: "",
          LOG_LEVEL: "warn",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => {
      err = (err + c.toString()).slice(-5000);
      const last = c.toString().trim().split("\n").pop();
      if (last) log(`longrange: ${last}`);
    });
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    const ms = performance.now() - t;
    const summary = out.trim().split("\n").pop() ?? "";
    let report: Record<string, unknown> | undefined;
    try {
      report = JSON.parse(summary) as Record<string, unknown>;
    } catch {
      report = undefined;
    }
    return {
      days,
      ms,
      msPerDay: ms / days,
      ...(report ? { report } : {}),
      ...(code === 0 ? {} : { error: `exit ${code}: ${err.trim().split("\n").slice(-2).join(" ")}` }),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The task's aggregation (rollupRangeFlux) once, over the last TASK_HOURS complete hours. */
async function taskCost(
  client: InfluxDB,
  org: string,
  rawBucket: string,
  rollupBucket: string,
  devices: number,
): Promise<RollupTaskCost> {
  const stopMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const text = rollupRangeFlux({ org, rawBucket, rollupBucket }, stopMs - TASK_HOURS * HOUR_MS, stopMs);
  const t = performance.now();
  try {
    const rows = await countRows(client, org, text);
    const ms = performance.now() - t;
    return { devices, hours: TASK_HOURS, ms, rows, ofPeriod: ms / HOUR_MS };
  } catch (err) {
    const ms = performance.now() - t;
    return {
      devices,
      hours: TASK_HOURS,
      ms,
      rows: 0,
      ofPeriod: ms / HOUR_MS,
      error: (err as Error).message.slice(0, 200),
    };
  }
}

async function dropByName(influx: BenchInflux, name: string): Promise<void> {
  const buckets = new BucketsAPI(influx.client);
  const found = await buckets.getBuckets({ name, orgID: influx.orgID }).catch(() => undefined);
  for (const b of found?.buckets ?? []) await buckets.deleteBucketsID({ bucketID: b.id! });
}

async function deleteRollupTask(influx: BenchInflux, rawBucket: string): Promise<number> {
  const tasks = new TasksAPI(influx.client);
  const found = await tasks.getTasks({ name: rollupTaskName(rawBucket), orgID: influx.orgID });
  for (const t of found.tasks ?? []) await tasks.deleteTasksID({ taskID: t.id });
  return found.tasks?.length ?? 0;
}

interface Answer {
  status: number;
  ms: number;
  source?: string;
  error?: string;
}

async function call(baseUrl: string, path: string, key: string): Promise<Answer> {
  const t = performance.now();
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      headers: { "x-api-key": key },
      signal: AbortSignal.timeout(API_QUERY_TIMEOUT_MS + 30_000),
    });
    const text = await res.text();
    const ms = performance.now() - t;
    let source: string | undefined;
    try {
      const body = JSON.parse(text) as { source?: unknown };
      if (typeof body.source === "string") source = body.source;
    } catch {
      // not JSON: status says enough
    }
    return {
      status: res.status,
      ms,
      ...(source ? { source } : {}),
      ...(res.status === 200 ? {} : { error: text.slice(0, 160).replace(/\s+/g, " ") }),
    };
  } catch (err) {
    return { status: 0, ms: performance.now() - t, error: (err as Error).message };
  }
}

interface EndpointSpec {
  endpoint: string;
  path: (range: string, device: string) => string;
}

const ENDPOINTS: EndpointSpec[] = [
  { endpoint: "summary", path: (r) => `/v1/summary?start=-${r}` },
  { endpoint: "client_statistics", path: (r) => `/client_statistics?start=-${r}` },
  { endpoint: "stats", path: (r, d) => `/v1/devices/${d}/stats?start=-${r}` },
  { endpoint: "processed_data", path: (r, d) => `/processed_data?object_id=${d}&start=-${r}` },
  { endpoint: "series", path: (r, d) => `/v1/devices/${d}/series?start=-${r}` },
  { endpoint: "trend", path: (r, d) => `/v1/devices/${d}/trend?start=-${r}` },
  { endpoint: "anomalies", path: (r, d) => `/v1/devices/${d}/anomalies?start=-${r}` },
];

/** Endpoints without a range (they read API_DEVICE_LOOKBACK), measured once, as range LOOKBACK_RANGE. */
const LOOKBACK_ENDPOINTS: EndpointSpec[] = [
  { endpoint: "devices", path: () => "/v1/devices" },
  { endpoint: "device", path: (_r, d) => `/v1/devices/${d}` },
];

/** One row: median of up to 3 requests alone (1 when the first takes over 10 s), then 4 at a time. */
async function measureCall(
  baseUrl: string,
  e: EndpointSpec,
  range: string,
  key: "admin" | "client",
  devices: string[],
): Promise<LongRangeCall> {
  const secret = key === "admin" ? ADMIN_KEY : CLIENT_KEY;
  const answers: Answer[] = [];
  const alone: number[] = [];
  let n = 0;
  const next = () => e.path(range, devices[n++ % devices.length]!);
  for (let i = 0; i < 3; i++) {
    const a = await call(baseUrl, next(), secret);
    answers.push(a);
    alone.push(a.ms);
    if (a.ms > 10_000) break;
  }
  const perWorker = median(alone) > 5_000 ? 1 : 2;
  const concurrent: number[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = 0; i < perWorker; i++) {
        const a = await call(baseUrl, next(), secret);
        answers.push(a);
        concurrent.push(a.ms);
      }
    }),
  );
  const failed = answers.find((a) => a.status !== 200);
  return {
    endpoint: e.endpoint,
    path: e.path(range, "{id}"),
    range,
    key,
    aloneMs: median(alone),
    aloneRuns: alone.length,
    concurrentMs: median(concurrent),
    concurrentRuns: concurrent.length,
    statuses: [...new Set(answers.map((a) => a.status))].sort((a, b) => a - b),
    sources: distinct(answers.map((a) => a.source))
      .split(", ")
      .filter((s) => s !== ""),
    ...(failed ? { error: `${failed.status}: ${failed.error ?? ""}`.slice(0, 200) } : {}),
  };
}

/** The lookback the bench's API runs with: API_DEVICE_LOOKBACK's default (the bench leaves it unset). */
const DEVICE_LOOKBACK_MS = parseDurationMs(apiEnv.deviceLookback.default ?? "")!;

/**
 * The device list alone, as the API builds it (api/flux/devices.ts), admin
 * scope, straight to InfluxDB: the first query of /v1/summary and /v1/devices,
 * which reads the newest point of every series over the lookback. Its cost
 * grows with the series, not the range: the floor under those endpoints.
 */
async function measureDeviceList(
  influx: BenchInflux,
  client: InfluxDB,
  bucket: string,
): Promise<DeviceListFloor> {
  const ctx = { runner: createQueryRunner(client, influx.org, API_QUERY_TIMEOUT_MS), bucket };
  const times: number[] = [];
  let series = 0;
  for (let i = 0; i < 3; i++) {
    const nowMs = Date.now();
    const t = performance.now();
    const list = await queryDeviceList(
      ctx,
      { client: null },
      { startMs: nowMs - DEVICE_LOOKBACK_MS, stopMs: nowMs },
    );
    times.push(performance.now() - t);
    series = list.series.length;
  }
  return { ms: median(times), runs: times.length, series };
}

async function measureApi(
  influx: BenchInflux,
  bucket: string,
  o: LongRangeOptions,
  ranges: BenchRange[],
): Promise<LongRangeCall[]> {
  const port = await freePort();
  const api = startService("api/main.ts", {
    INFLUX_URL: influx.url,
    INFLUX_TOKEN: influx.token,
    INFLUX_ORG: influx.org,
    INFLUX_BUCKET: bucket,
    INFLUX_ROLLUP_BUCKET: "",
    API_PORT: String(port),
    API_HOST: "127.0.0.1",
    API_KEYS_FILE: "/nonexistent/bench-api-keys.json",
    API_KEYS: `${CLIENT}:${sha256(CLIENT_KEY)},admin:bench:${sha256(ADMIN_KEY)}`,
    API_RATE_LIMIT_PER_MIN: "1000000",
    API_QUERY_TIMEOUT_MS: String(API_QUERY_TIMEOUT_MS),
    LOG_LEVEL: "warn",
    ...(process.env.BENCH_PROFILE_DIR ? { NODE_OPTIONS: `--import=${PROFILE_PRELOAD}` } : {}),
  });
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForApiReady(baseUrl, api);
    // Devices of the client key's client; the admin key asks for the same ones.
    const devices: string[] = [];
    for (let i = 1; i <= o.devices && devices.length < 8; i++) {
      const d = generatedDevice(i, o.clients);
      if (d.client === CLIENT) devices.push(d.id);
    }
    const out: LongRangeCall[] = [];
    const logged = (r: LongRangeCall) => {
      o.log(
        `longrange: ${r.key} ${r.path}: alone ${r.aloneMs.toFixed(0)} ms, c${CONCURRENCY} ${r.concurrentMs.toFixed(0)} ms, ` +
          `status ${r.statuses.join("/")}${r.sources.length ? `, source ${r.sources.join("/")}` : ""}${r.error ? ` (${r.error.slice(0, 100)})` : ""}`,
      );
      return r;
    };
    for (const range of ranges)
      for (const e of ENDPOINTS)
        for (const key of ["admin", "client"] as const) {
          out.push(logged(await measureCall(baseUrl, e, range.label, key, devices)));
        }
    for (const e of LOOKBACK_ENDPOINTS)
      for (const key of ["admin", "client"] as const) {
        out.push(logged(await measureCall(baseUrl, e, LOOKBACK_RANGE, key, devices)));
      }
    return out;
  } finally {
    await api.stop();
  }
}

async function measureDashboards(
  influx: BenchInflux,
  client: InfluxDB,
  bucket: string,
  o: LongRangeOptions,
  ranges: BenchRange[],
): Promise<{ refreshes: DashboardRefresh[]; withoutFlux: string[] }> {
  const device = generatedDevice(1, o.clients);
  const selections: Record<DashboardRefresh["selection"], Selection> = {
    all: { site: "all", client: "all", type: "all", device: "all" },
    device: { site: "all", client: [device.client], type: [device.type], device: [device.id] },
  };
  const refreshes: DashboardRefresh[] = [];
  const withoutFlux: string[] = [];
  for (const dashboard of loadDashboards()) {
    const queries = queriesOf(dashboard).filter((q) => q.language === "flux");
    if (queries.length === 0) {
      withoutFlux.push(dashboard.title);
      continue;
    }
    const maxDataPoints = new Map<string, number>();
    for (const p of panelsOf(dashboard) as { title?: string; maxDataPoints?: number }[])
      if (p.title && typeof p.maxDataPoints === "number") maxDataPoints.set(p.title, p.maxDataPoints);
    for (const range of ranges)
      for (const selection of ["all", "device"] as const) {
        const stopMs = Date.now();
        const refresh: DashboardRefresh = {
          dashboard: dashboard.title,
          range: range.label,
          selection,
          totalMs: 0,
          totalRows: 0,
          errors: 0,
          queries: [],
        };
        for (const q of queries) {
          const title = panelTitleOf(q.where);
          const period = windowPeriodMs(range.ms, title ? maxDataPoints.get(title) : undefined);
          const text = grafanaFlux(substituteVariables(q.text, selections[selection]), {
            startMs: stopMs - range.ms,
            stopMs,
            windowPeriodMs: period,
            bucket,
            org: influx.org,
          });
          const t = performance.now();
          let rows = 0;
          let error: string | undefined;
          try {
            rows = await countRows(client, influx.org, text);
          } catch (err) {
            error = (err as Error).message.split("\n")[0]!.slice(0, 200);
            refresh.errors++;
          }
          const ms = performance.now() - t;
          refresh.totalMs += ms;
          refresh.totalRows += rows;
          refresh.queries.push({
            where: q.where,
            ms,
            rows,
            windowPeriod: fluxDurationLiteral(period),
            ...(error ? { error } : {}),
          });
        }
        const slowest = [...refresh.queries].sort((a, b) => b.ms - a.ms)[0];
        o.log(
          `longrange: dashboard "${dashboard.title}" ${range.label} ${selection}: ${refresh.totalMs.toFixed(0)} ms, ` +
            `${refresh.totalRows.toLocaleString("en-US")} rows, slowest ${slowest?.where} ${slowest?.ms.toFixed(0)} ms` +
            (refresh.errors ? `, ${refresh.errors} failed` : ""),
        );
        refreshes.push(refresh);
      }
  }
  return { refreshes, withoutFlux };
}

export async function runLongRange(influx: BenchInflux, o: LongRangeOptions): Promise<LongRangeResults> {
  const phases: LongRangeResults["phases"] = [];
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await work();
    } finally {
      phases.push({ name, ms: performance.now() - t });
      o.log(`longrange: phase ${name} took ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
  };
  const ranges = rangesCovered(o.days);
  const client = createInfluxClient({
    url: influx.url,
    token: influx.token,
    timeoutMs: DASHBOARD_TIMEOUT_MS,
  });
  const taskClient = createInfluxClient({ url: influx.url, token: influx.token, timeoutMs: TASK_TIMEOUT_MS });
  const bucket = await createBucket(influx, "longrange");
  const rollupBucket = rollupBucketName(bucket.name, "");
  const extra: Bucket[] = [];
  try {
    // Up to the current minute, so "-<range>" from now is covered for every range up to `days`.
    const endMs = Math.floor(Date.now() / 60_000) * 60_000;
    const minutes = o.days * 1440;
    const loaded = await phase("load", () =>
      load(influx, bucket.name, o.devices, o.clients, minutes, endMs, o.log),
    );
    o.log(
      `longrange: wrote ${loaded.lines.toLocaleString("en-US")} lines (${o.devices} devices x ${o.days} days) in ${(loaded.ms / 1000).toFixed(1)} s`,
    );
    await phase("settle after load", () => settle(influx, o.log, "the load"));

    const filled = await phase("rollup backfill", () => backfill(influx, bucket.name, o.days, o.log));
    if (filled.error) o.log(`longrange: backfill FAILED: ${filled.error}`);
    // The backfill ensured the hourly task too; it would run at minute 5 of every hour in the middle
    // of the measurements (its cost is measured below, on its own).
    const deleted = await deleteRollupTask(influx, bucket.name).catch(() => 0);
    o.log(
      `longrange: backfill ${(filled.ms / 1000).toFixed(1)} s (${(filled.msPerDay / 1000).toFixed(2)} s per day of data); hourly task deleted: ${deleted}`,
    );
    await phase("settle after backfill", () => settle(influx, o.log, "the backfill"));

    const costs: RollupTaskCost[] = [];
    costs.push(
      await phase(`task aggregation (${o.devices} devices)`, () =>
        taskCost(taskClient, influx.org, bucket.name, rollupBucket, o.devices),
      ),
    );
    o.log(
      `longrange: task aggregation at ${o.devices} devices: ${(costs[0]!.ms / 1000).toFixed(2)} s, ${costs[0]!.rows} rows`,
    );

    const deviceList = await phase("device list alone", () => measureDeviceList(influx, client, bucket.name));
    o.log(`longrange: device list alone ${deviceList.ms.toFixed(0)} ms, ${deviceList.series} series`);
    const api = await phase("API", () => measureApi(influx, bucket.name, o, ranges));
    await phase("settle after API", () => settle(influx, o.log, "the API"));
    const dashboards = await phase("dashboards", () =>
      measureDashboards(influx, client, bucket.name, o, ranges),
    );

    for (const size of o.taskSizes) {
      const b = await createBucket(influx, `task${size}`);
      extra.push(b);
      const rb = await createBucket(influx, rollupBucketName(`task${size}`, ""));
      extra.push(rb);
      const cost = await phase(`task aggregation (${size} devices)`, async () => {
        const nowMs = Math.floor(Date.now() / 60_000) * 60_000;
        // Every minute of the last TASK_HOURS complete hours, and the current hour so far.
        const m = TASK_HOURS * 60 + Math.floor((nowMs % HOUR_MS) / 60_000) + 1;
        const l = await load(influx, b.name, size, o.clients, m, nowMs, o.log);
        o.log(`longrange: ${size} devices x ${m} minutes: ${l.lines.toLocaleString("en-US")} lines`);
        await settle(influx, o.log, `the ${size}-device load`);
        return taskCost(taskClient, influx.org, b.name, rb.name, size);
      });
      o.log(`longrange: task aggregation at ${size} devices: ${(cost.ms / 1000).toFixed(2)} s`);
      costs.push(cost);
      await b.drop();
      await rb.drop();
      extra.length = 0;
    }

    return {
      devices: o.devices,
      clients: o.clients,
      days: o.days,
      readings: o.devices * minutes,
      lines: loaded.lines,
      loadMs: loaded.ms,
      backfill: filled,
      taskCost: costs,
      apiRollupAfter: process.env.API_ROLLUP_AFTER ?? "",
      ranges: ranges.map((r) => r.label),
      api,
      deviceList,
      dashboards: dashboards.refreshes,
      dashboardsWithoutFlux: dashboards.withoutFlux,
      phases,
    };
  } finally {
    await deleteRollupTask(influx, bucket.name).catch(() => 0);
    await dropByName(influx, rollupBucket).catch(() => undefined);
    for (const b of extra) await b.drop().catch(() => undefined);
    await bucket.drop();
  }
}
