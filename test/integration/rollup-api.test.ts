// The API reads the hourly rollup for long ranges and raw data for short
// ones, transparently: 30 days of raw readings, rolled up by a run of the real
// task, then raw points added to an old hour afterwards (the rollup does not
// have them). A 30-day series and trend answer `source: "rollup+raw"` with the
// rollup's values (not the raw data's); a 2-day series answers `source: "raw"`.
// Aggregates (stats, processed_data, summary, client_statistics) read the
// rollup for every complete hour and agree with raw data to floating-point
// tolerance.
import { afterAll, beforeAll, expect, it } from "vitest";
import { BucketsAPI, TasksAPI } from "@influxdata/influxdb-client-apis";
import { hashKey } from "../../api/auth/keys.js";
import type { SeriesPoint } from "../../api/flux/series.js";
import { trendOf } from "../../api/routes/trend.js";
import { type RunningApi, startApi } from "../../api/server.js";
import { ensureRollup, rollupPlan } from "../../ingest/rollup/ensure.js";
import { rollupTaskName } from "../../ingest/rollup/task.js";
import { apiEnv, apiRollupEnv } from "../../api/config.js";
import { influxEnv, readEnvGroups } from "../../shared/config/index.js";
import { createLogger } from "../../shared/log.js";
import { MEASUREMENT } from "../../shared/schema.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { type HourlyRow, readHourly, runTaskAt } from "../support/rollup.js";
import { get } from "./api-helpers.js";

const bucket = useTestBucket(import.meta.url);
const log = createLogger("rollup-api-test", "silent");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const KEY = "rollup-api-test-client-1-key";
const ADMIN_KEY = "rollup-api-test-admin-key";
const now = Date.now();
/** An old hour that gets raw points after the rollup ran. */
const alteredHour = Math.floor((now - 20 * DAY) / HOUR) * HOUR;

let rollupBucket: string;
let hourly: HourlyRow[];
let api: RunningApi;
let apiWithoutRollup: RunningApi;
const cleanup: (() => Promise<unknown>)[] = [];

const line = (device: string, client: string, value: number, timeMs: number) =>
  `${MEASUREMENT.reading},client=${client},device=${device},type=temperature_sensor temperature=${value} ${timeMs}`;

async function startTestApi(rollupBucketName: string) {
  const cfg = readEnvGroups(
    { influx: influxEnv, api: apiEnv, rollup: apiRollupEnv },
    {
      INFLUX_URL: influxServer!.url,
      INFLUX_TOKEN: influxServer!.token,
      INFLUX_ORG: influxServer!.org,
      INFLUX_BUCKET: bucket.current.name,
      INFLUX_ROLLUP_BUCKET: rollupBucketName,
      API_PORT: "0",
      API_HOST: "127.0.0.1",
      API_KEYS_FILE: "",
      API_KEYS: `client_1:${hashKey(KEY)},admin:ops:${hashKey(ADMIN_KEY)}`,
      API_RATE_LIMIT_PER_MIN: "100000",
    },
  );
  return startApi(cfg, log);
}

beforeAll(async () => {
  if (!influxServer) return;
  const client = bucket.current.client;
  // 30 days of a rising temperature, a point every 20 minutes, on a 0.25 grid.
  const lines: string[] = [];
  // Up to two hours before the current one: the rollup has every hour the data has.
  const dataStop = Math.floor(now / HOUR) * HOUR - 2 * HOUR;
  for (let t = Math.floor((now - 29.5 * DAY) / 60_000) * 60_000; t < dataStop; t += 20 * 60_000) {
    const days = (t - (now - 30 * DAY)) / DAY;
    const wobble = ((t / 60_000) % 7) * 0.25;
    lines.push(line("device_1", "client_1", 15 + days * 0.25 + wobble, t));
    lines.push(line("device_2", "client_2", 40 + wobble, t));
    // A device that went silent 10 days ago, its battery 12 days ago: listed
    // with the exact time and value of its last points.
    if (t < now - 10 * DAY) lines.push(line("device_3", "client_1", 30 + wobble, t + 7));
    if (t < now - 12 * DAY)
      lines.push(
        `${MEASUREMENT.reading},client=client_1,device=device_3,type=temperature_sensor battery_level=${90 - days} ${t + 11}`,
      );
  }
  const write = client.getWriteApi(influxServer.org, bucket.current.name, "ms");
  write.writeRecords(lines);
  await write.close();

  // The real task, looking back over all 31 days, run once as of now.
  const plan = rollupPlan(
    { org: influxServer.org, bucket: bucket.current.name },
    { bucket: "", rollupRetention: "", rawRetention: "", lookback: "31d" },
  );
  rollupBucket = plan.rollupBucket;
  const tasks = new TasksAPI(client);
  const buckets = new BucketsAPI(client);
  cleanup.push(async () => {
    for (const t of (await tasks.getTasks({ name: rollupTaskName(plan.rawBucket) })).tasks ?? [])
      await tasks.deleteTasksID({ taskID: t.id });
    for (const b of (await buckets.getBuckets({ name: rollupBucket })).buckets ?? [])
      await buckets.deleteBucketsID({ bucketID: b.id! });
  });
  const state = await ensureRollup(client, plan, log);
  await runTaskAt(client, state.taskID, now);
  hourly = (await readHourly(client, influxServer.org, rollupBucket)).filter(
    (r) => r.device === "device_1" && r.metric === "temperature",
  );

  // After the rollup: extreme raw values in an old hour, which only raw reads would see.
  const late = client.getWriteApi(influxServer.org, bucket.current.name, "ms");
  late.writeRecords([1, 2, 3].map((m) => line("device_1", "client_1", 500, alteredHour + m * 60_000 + 7)));
  await late.close();

  api = await startTestApi(rollupBucket);
  apiWithoutRollup = await startTestApi(`${rollupBucket}_missing`);
}, 180_000);

afterAll(async () => {
  await api?.close();
  await apiWithoutRollup?.close();
  for (const f of cleanup) await f().catch(() => undefined);
});

/** Deep equality where numbers may differ by floating-point rounding (sums combined in another order). */
function expectClose(a: unknown, b: unknown, where: string): void {
  if (typeof a === "number" && typeof b === "number") {
    expect(Math.abs(a - b), `${where}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
  } else if (Array.isArray(a) && Array.isArray(b)) {
    expect(a.length, where).toBe(b.length);
    a.forEach((x, i) => expectClose(x, b[i], `${where}[${i}]`));
  } else if (a && b && typeof a === "object" && typeof b === "object") {
    expect(Object.keys(a).sort(), where).toEqual(Object.keys(b).sort());
    for (const k of Object.keys(a))
      expectClose((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${where}.${k}`);
  } else expect(a, where).toEqual(b);
}

/** Windows of `everyMs` aligned to the epoch, the first clipped to `startMs`, as aggregateWindow makes them. */
function windowsOf(rows: HourlyRow[], startMs: number, stopMs: number, everyMs: number) {
  const out = new Map<number, HourlyRow[]>();
  for (const r of rows) {
    if (r.hour < startMs || r.hour >= stopMs) continue;
    const w = Math.max(startMs, Math.floor(r.hour / everyMs) * everyMs);
    out.set(w, [...(out.get(w) ?? []), r]);
  }
  return [...out.entries()].sort((a, b) => a[0] - b[0]);
}

interface SeriesBody {
  start: string;
  stop: string;
  every: string;
  source: string;
  points: SeriesPoint[];
}

describeWithInflux("API: long ranges read the hourly rollup", () => {
  it("rolled up 30 days (sanity: the fixture is what the checks below rely on)", () => {
    expect(hourly.length).toBeGreaterThan(29 * 24);
    expect(hourly.find((r) => r.hour === alteredHour)?.max).toBeLessThan(100);
  });

  it("a 30-day series reads the rollup: count-weighted means, and min/max of the hourly rows", async () => {
    const res = await get(api, "/v1/devices/device_1/series?start=-30d&every=6h", KEY);
    expect(res.status).toBe(200);
    const body = res.body as SeriesBody;
    expect(body.source).toBe("rollup+raw");
    const windows = windowsOf(hourly, Date.parse(body.start), Date.parse(body.stop), 6 * HOUR);
    expect(body.points.map((p) => Date.parse(p.time))).toEqual(windows.map(([w]) => w));
    for (const [i, [, rows]] of windows.entries()) {
      const n = rows.reduce((a, r) => a + r.count, 0);
      const mean = rows.reduce((a, r) => a + r.mean * r.count, 0) / n;
      expect(body.points[i]!.value).toBeCloseTo(mean, 9);
    }
    // The raw points written after the rollup are not in the answer: every value is far below 500.
    const altered = body.points.find(
      (p) => Date.parse(p.time) <= alteredHour && alteredHour < Date.parse(p.time) + 6 * HOUR,
    );
    expect(altered).toBeDefined();
    expect(Math.max(...body.points.map((p) => p.value))).toBeLessThan(100);

    const max = (await get(api, "/v1/devices/device_1/series?start=-30d&every=1d&fn=max", KEY))
      .body as SeriesBody;
    expect(max.source).toBe("rollup+raw");
    const maxWindows = windowsOf(hourly, Date.parse(max.start), Date.parse(max.stop), DAY);
    expect(max.points.map((p) => ({ time: Date.parse(p.time), value: p.value }))).toEqual(
      maxWindows.map(([w, rows]) => ({ time: w, value: Math.max(...rows.map((r) => r.max)) })),
    );
  });

  it("a 30-day trend reads the rollup, hour by hour, and fits the rollup's means", async () => {
    const res = await get(api, "/v1/devices/device_1/trend?start=-30d", KEY);
    expect(res.status).toBe(200);
    const body = res.body as SeriesBody & { points: number; slope_per_hour: number; direction: string };
    expect(body.source).toBe("rollup+raw");
    expect(body.every).toBe("1h");
    const rows = hourly.filter((r) => r.hour >= Date.parse(body.start) && r.hour < Date.parse(body.stop));
    expect(body.points).toBe(rows.length);
    const want = trendOf(rows.map((r) => ({ time: new Date(r.hour).toISOString(), value: r.mean })));
    expect(body.slope_per_hour).toBeCloseTo(want.slopePerHour!, 9);
    expect(body.direction).toBe("rising");
  });

  it("a short range reads raw data, which has the points the rollup lacks", async () => {
    const from = new Date(alteredHour - DAY).toISOString();
    const to = new Date(alteredHour + DAY).toISOString();
    const res = await get(api, `/v1/devices/device_1/series?start=${from}&stop=${to}&every=1h&fn=max`, KEY);
    expect(res.status).toBe(200);
    const body = res.body as SeriesBody;
    expect(body.source).toBe("raw");
    expect(body.points.find((p) => Date.parse(p.time) === alteredHour)?.value).toBe(500);
  });

  it("keeps raw data where the rollup cannot answer: fn=last, a non-hour every, no rollup bucket", async () => {
    for (const path of [
      "/v1/devices/device_1/series?start=-30d&every=6h&fn=last",
      "/v1/devices/device_1/series?start=-30d&every=90m",
    ]) {
      const res = await get(api, path, KEY);
      expect(res.status, path).toBe(200);
      expect((res.body as SeriesBody).source, path).toBe("raw");
    }
    const res = await get(apiWithoutRollup, "/v1/devices/device_1/series?start=-30d&every=6h&fn=max", KEY);
    expect(res.status).toBe(200);
    const body = res.body as SeriesBody;
    expect(body.source).toBe("raw");
    expect(Math.max(...body.points.map((p) => p.value))).toBe(500);
  });

  it("aggregates read the rollup for complete hours and agree with raw data", async () => {
    // 10 days: the altered hour (20 days back) is outside, so both stores hold the same points.
    // The admin key's summary and client_statistics read the per-client fleet rows (both clients).
    for (const [path, key] of [
      ["/v1/devices/device_1/stats?start=-10d", KEY],
      ["/processed_data?object_id=device_1&start=-10d", KEY],
      ["/v1/summary?start=-10d", KEY],
      ["/client_statistics?start=-10d", KEY],
      ["/v1/devices/device_1/stats?start=-36h", KEY],
      ["/v1/summary?start=-10d", ADMIN_KEY],
      ["/client_statistics?start=-10d", ADMIN_KEY],
    ] as const) {
      const fromRollup = await get(api, path, key);
      const fromRaw = await get(apiWithoutRollup, path, key);
      expect(fromRollup.status, path).toBe(200);
      expect(fromRaw.status, path).toBe(200);
      expect((fromRollup.body as { source: string }).source, path).toBe("rollup+raw");
      expect((fromRaw.body as { source: string }).source, path).toBe("raw");
      // start/stop follow each request's own now; the figures must match.
      const { source: _a, start: _as, stop: _ae, ...a } = fromRollup.body as Record<string, unknown>;
      const { source: _b, start: _bs, stop: _be, ...b } = fromRaw.body as Record<string, unknown>;
      expectClose(a, b, path);
    }
  });

  it("the summary's devices per type and metric, taken from its device list, match client_statistics' count from the points", async () => {
    // -11d: device_3's temperature is in range and its battery (silent since 12 days) is not.
    const pastStop = new Date(now - DAY).toISOString();
    for (const key of [KEY, ADMIN_KEY])
      for (const range of [
        "start=-36h",
        "start=-10d",
        "start=-11d",
        "start=-30d",
        `start=-11d&stop=${pastStop}`,
      ]) {
        const summary = (await get(api, `/v1/summary?${range}`, key)).body as {
          metrics: { type: string; metric: string; devices: number }[];
        };
        const cs = (await get(api, `/client_statistics?${range}`, key)).body as {
          statistics: { type: string; metric: string; objects: number }[];
        };
        expect(summary.metrics.length, range).toBeGreaterThan(0);
        expect(
          summary.metrics.map((m) => [m.type, m.metric, m.devices]),
          range,
        ).toEqual(cs.statistics.map((s) => [s.type, s.metric, s.objects]));
      }
    const elevenDays = (await get(api, "/v1/summary?start=-11d", KEY)).body as {
      metrics: { metric: string; devices: number }[];
    };
    expect(Object.fromEntries(elevenDays.metrics.map((m) => [m.metric, m.devices]))).toEqual({
      temperature: 2,
    });
  });

  it("the device list answers the same with and without a rollup, a long-silent device's last points exact", async () => {
    for (const key of [KEY, ADMIN_KEY]) {
      const fromRollup = await get(api, "/v1/devices", key);
      const fromRaw = await get(apiWithoutRollup, "/v1/devices", key);
      expect(fromRollup.status).toBe(200);
      expect(fromRollup.body).toEqual(fromRaw.body);
    }
    const { devices } = (await get(api, "/v1/devices", KEY)).body as {
      devices: { id: string; last_seen: string; last_reading: Record<string, { time: string }> }[];
    };
    const silent = devices.find((d) => d.id === "device_3")!;
    // Exact times of the last points (7 and 11 ms past their minute), not an hour's start.
    expect(Date.parse(silent.last_seen) % 60_000).toBe(7);
    expect(Date.parse(silent.last_reading.battery_level!.time) % 60_000).toBe(11);
    expect(Date.parse(silent.last_seen)).toBeLessThan(now - 10 * DAY);
  });

  it("a 1-hour range reads raw data only", async () => {
    const res = await get(api, "/v1/devices/device_1/stats?start=-1h", KEY);
    expect(res.status).toBe(200);
    expect((res.body as { source: string }).source).toBe("raw");
  });

  it("every accepted range gets a trend: the default every fits API_MAX_POINTS", async () => {
    for (const start of ["-1h", "-24h", "-7d", "-8d", "-31d"]) {
      const res = await get(api, `/v1/devices/device_1/trend?start=${start}`, KEY);
      expect(res.status, start).toBe(200);
      expect((res.body as { points: number }).points, start).toBeLessThanOrEqual(1000);
    }
  });

  it("keeps client isolation on the rollup path", async () => {
    const res = await get(api, "/v1/devices/device_2/series?start=-30d&every=6h", KEY);
    expect(res.status).toBe(404);
  });
});
