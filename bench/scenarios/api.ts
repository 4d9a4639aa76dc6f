// Scenario 4: the API under load. A bucket with a fleet's minute data
// written directly with the encoders, the real API as a child process, and
// autocannon at a fixed concurrency per endpoint; then the same Flux queries
// the route runs, through the official client in this process with the same
// concurrency and no HTTP server in between (the API's ceiling).
import { createHash } from "node:crypto";
import autocannon from "autocannon";
import { queryAggregates } from "../../api/flux/aggregates.js";
import { queryAnomalyCounts } from "../../api/flux/anomalies.js";
import { queryDevices } from "../../api/flux/devices.js";
import { createQueryRunner } from "../../api/flux/run.js";
import type { FluxContext, Scope } from "../../api/flux/scope.js";
import { querySeries } from "../../api/flux/series.js";
import { HISTORY_METRIC } from "../../shared/schema.js";
import { createInfluxClient } from "../../shared/influx/client.js";
import { freePort } from "../../shared/net/free-port.js";
import { generatedDevice } from "../../simulator/fleet.js";
import { startService } from "../../test/support/processes.js";
import { fleetLines } from "../lib/data.js";
import { type BenchInflux, createBucket } from "../lib/influx.js";
import { waitForApiReady } from "../lib/api-ready.js";
import { PROFILE_PRELOAD, waitForIdle } from "../lib/machine.js";
import { writeRaw } from "../lib/raw-write.js";
import type { ApiResults, EndpointFigures, EndpointResult } from "../lib/results.js";
import { ratePerSecond, ratio, summarize } from "../lib/stats.js";

export interface ApiOptions {
  devices: number;
  clients: number;
  hours: number;
  concurrency: number;
  durationS: number;
  /** Also measure summary and stats over the API's default window (1 h). */
  defaultWindows: boolean;
  log: (msg: string) => void;
}

const DAY_MS = 86_400_000;
const LOOKBACK_MS = 30 * DAY_MS; // API_DEVICE_LOOKBACK's default
const KEY = "bench-key-client-1";
/** API_QUERY_TIMEOUT_MS for the bench's API, and the direct client's timeout. */
const QUERY_TIMEOUT_MS = 30_000;
const CLIENT = "client_1";

interface Endpoint {
  name: string;
  /** Path for the i-th request (devices rotate). */
  path: (i: number) => string;
  /** What the route runs against InfluxDB, for the i-th request. */
  direct: (ctx: FluxContext, i: number) => Promise<unknown>;
}

function endpoints(
  deviceIds: string[],
  deviceTypes: Map<string, string>,
  hours: number,
  defaultWindows: boolean,
): Endpoint[] {
  const scope: Scope = { client: CLIENT };
  const rangeOf = (ms: number) => {
    const now = Date.now();
    return { startMs: now - ms, stopMs: now };
  };
  const win = hours * 3_600_000;
  const dev = (i: number) => deviceIds[i % deviceIds.length]!;
  const summary = (w: number) => (ctx: FluxContext) =>
    Promise.all([
      queryDevices(ctx, scope, rangeOf(LOOKBACK_MS)),
      queryAggregates(ctx, scope, rangeOf(w), "type_and_metric"),
      queryAnomalyCounts(ctx, scope, rangeOf(w)),
    ]);
  const stats = (w: number) => async (ctx: FluxContext, i: number) => {
    const [d] = await queryDevices(ctx, scope, rangeOf(LOOKBACK_MS), dev(i));
    if (!d) throw new Error(`device ${dev(i)} not found`);
    return queryAggregates(ctx, scope, rangeOf(w), "metric", d.id);
  };
  const list: Endpoint[] = [
    {
      name: "client_statistics",
      path: () => `/client_statistics?start=-${hours}h`,
      direct: (ctx) => queryAggregates(ctx, scope, rangeOf(win), "type_and_metric"),
    },
    { name: `summary (${hours}h)`, path: () => `/v1/summary?start=-${hours}h`, direct: summary(win) },
    {
      name: `stats (${hours}h)`,
      path: (i) => `/v1/devices/${dev(i)}/stats?start=-${hours}h`,
      direct: stats(win),
    },
    {
      name: "series",
      path: (i) => `/v1/devices/${dev(i)}/series?start=-${hours}h&every=5m`,
      direct: async (ctx, i) => {
        const [d] = await queryDevices(ctx, scope, rangeOf(LOOKBACK_MS), dev(i));
        if (!d) throw new Error(`device ${dev(i)} not found`);
        const metric = HISTORY_METRIC[deviceTypes.get(d.id) as keyof typeof HISTORY_METRIC];
        return querySeries(ctx, scope, d.id, metric, rangeOf(win), 5 * 60_000, "mean");
      },
    },
  ];
  if (defaultWindows)
    list.push(
      { name: "summary (1h)", path: () => "/v1/summary", direct: summary(3_600_000) },
      { name: "stats (1h)", path: (i) => `/v1/devices/${dev(i)}/stats`, direct: stats(3_600_000) },
    );
  return list;
}

async function loadHttp(baseUrl: string, e: Endpoint, o: ApiOptions): Promise<EndpointFigures> {
  let i = 0;
  const result = await autocannon({
    url: baseUrl,
    connections: o.concurrency,
    duration: o.durationS,
    // autocannon's own 10 s timeout would count slow answers as errors; the API's bound is QUERY_TIMEOUT_MS.
    timeout: QUERY_TIMEOUT_MS / 1000 + 10,
    headers: { "x-api-key": KEY },
    requests: [{ method: "GET", setupRequest: (req) => ({ ...req, path: e.path(i++) }) }],
  });
  return {
    requests: result.requests.total,
    // Only answers that carry data count: a 503 is not throughput.
    rps: ratePerSecond(result["2xx"], result.duration * 1000),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

async function loadDirect(ctx: FluxContext, e: Endpoint, o: ApiOptions): Promise<EndpointFigures> {
  const latencies: number[] = [];
  let errors = 0;
  let i = 0;
  const started = performance.now();
  const until = started + o.durationS * 1000;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        try {
          await e.direct(ctx, i++);
          // As autocannon does: what completes after the window is not counted.
          const done = performance.now();
          if (done <= until) latencies.push(done - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const s = summarize(latencies);
  return {
    requests: s.count,
    rps: ratePerSecond(s.count, until - started),
    p50: s.p50,
    p99: s.p99,
    errors,
    non2xx: 0,
  };
}

export async function runApi(influx: BenchInflux, o: ApiOptions): Promise<ApiResults> {
  const bucket = await createBucket(influx, "api");
  let api: ReturnType<typeof startService> | undefined;
  try {
    // Data: up to the current minute, so "-24h" from now covers it.
    const endMs = Math.floor(Date.now() / 60_000) * 60_000;
    const target = { url: influx.url, token: influx.token, org: influx.org, bucket: bucket.name };
    const t = performance.now();
    let lines = 0;
    // One write in flight while the next chunk is generated.
    let inflight: Promise<unknown> = Promise.resolve();
    for (const chunk of fleetLines(
      { devices: o.devices, clients: o.clients, endMs, minutes: o.hours * 60, seed: 4 },
      20_000,
    )) {
      await inflight;
      inflight = writeRaw(target, chunk, 10_000);
      lines += chunk.length;
    }
    await inflight;
    const loadMs = performance.now() - t;
    // influxd snapshots and compacts what it just took in: let that finish
    // before measuring, or whichever load runs first pays for it.
    if (influx.pid !== undefined) {
      const settled = await waitForIdle(influx.pid, 0.15, 120_000);
      o.log(`api: influxd ${settled.idle ? "idle" : "still busy"} after ${(settled.ms / 1000).toFixed(0)} s`);
    }
    const readings = o.devices * o.hours * 60;
    o.log(
      `api: wrote ${lines.toLocaleString("en-US")} lines (${readings.toLocaleString("en-US")} minute readings) in ${(loadMs / 1000).toFixed(1)} s`,
    );

    const port = await freePort();
    api = startService("api/main.ts", {
      INFLUX_URL: influx.url,
      INFLUX_TOKEN: influx.token,
      INFLUX_ORG: influx.org,
      INFLUX_BUCKET: bucket.name,
      API_PORT: String(port),
      API_HOST: "127.0.0.1",
      API_KEYS_FILE: "/nonexistent/bench-api-keys.json",
      API_KEYS: `${CLIENT}:${createHash("sha256").update(KEY).digest("hex")}`,
      // The per-key limit (600/min by default) would turn the load into 429s.
      API_RATE_LIMIT_PER_MIN: "1000000",
      // Long enough that a slow answer is measured as slow rather than as a 503.
      API_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      LOG_LEVEL: "warn",
      ...(process.env.BENCH_PROFILE_DIR ? { NODE_OPTIONS: `--import=${PROFILE_PRELOAD}` } : {}),
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForApiReady(baseUrl, api);

    const deviceIds: string[] = [];
    const deviceTypes = new Map<string, string>();
    for (let i = 1; i <= o.devices; i++) {
      const d = generatedDevice(i, o.clients);
      if (d.client === CLIENT) {
        deviceIds.push(d.id);
        deviceTypes.set(d.id, d.type);
      }
    }
    const ctx: FluxContext = {
      runner: createQueryRunner(
        createInfluxClient({ url: influx.url, token: influx.token, timeoutMs: QUERY_TIMEOUT_MS }),
        influx.org,
        QUERY_TIMEOUT_MS,
      ),
      bucket: bucket.name,
    };
    const results: EndpointResult[] = [];
    const settle = async () => {
      if (influx.pid === undefined) return;
      const r = await waitForIdle(influx.pid, 0.15, 60_000);
      if (!r.idle) o.log("api: influxd still busy after 60 s; measuring anyway");
    };
    for (const e of endpoints(deviceIds, deviceTypes, o.hours, o.defaultWindows)) {
      // Warm-up: one request each way, timed alone (no concurrency); a failure is reported, not fatal.
      let t1 = performance.now();
      const res = await fetch(`${baseUrl}${e.path(0)}`, { headers: { "x-api-key": KEY } });
      const body = await res.text();
      const aloneApiMs = performance.now() - t1;
      if (res.status !== 200)
        o.log(`api: warm-up ${e.path(0)} answered ${res.status}: ${body.slice(0, 200)}`);
      t1 = performance.now();
      await e
        .direct(ctx, 0)
        .catch((err: Error) => o.log(`api: warm-up direct ${e.name} failed: ${err.message}`));
      const aloneDirectMs = performance.now() - t1;
      o.log(`api: ${e.name} alone: API ${aloneApiMs.toFixed(0)} ms, direct ${aloneDirectMs.toFixed(0)} ms`);
      // Queries a client gave up on keep running in influxd: start each load on a quiet server.
      await settle();
      const viaApi = await loadHttp(baseUrl, e, o);
      await settle();
      const direct = await loadDirect(ctx, e, o);
      const r = {
        name: e.name,
        path: e.path(0).replace(deviceIds[0]!, "{id}"),
        api: viaApi,
        direct,
        ratio: ratio(viaApi.rps, direct.rps),
        aloneMs: { api: aloneApiMs, direct: aloneDirectMs },
      };
      o.log(
        `api: ${r.path}: API ${viaApi.rps.toFixed(1)} req/s p50 ${viaApi.p50} p99 ${viaApi.p99} ms (non-2xx ${viaApi.non2xx}); ` +
          `direct ${direct.rps.toFixed(1)} req/s p50 ${direct.p50.toFixed(0)} p99 ${direct.p99.toFixed(0)} ms`,
      );
      results.push(r);
    }
    return {
      devices: o.devices,
      clients: o.clients,
      hours: o.hours,
      readings,
      loadMs,
      concurrency: o.concurrency,
      durationS: o.durationS,
      endpoints: results,
    };
  } finally {
    await api?.stop();
    await bucket.drop();
  }
}
