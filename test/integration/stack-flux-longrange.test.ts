// Every Flux query of the IoT fleet dashboard over a LONG range (8 days, as
// Grafana's "Last 7 days" and longer): raw readings for 8 days go through the
// REAL rollup task (reading_hourly per device, reading_hourly_fleet per client
// and type), then the raw points before the last hour or two are deleted, so
// only queries that read the rollup can answer. With All and with one device
// every query returns rows; with All the refresh stays small (rows, series per
// panel) and the fleet's numbers equal those computed here from the raw points.
import { DeleteAPI, TasksAPI } from "@influxdata/influxdb-client-apis";
import { BucketsAPI } from "@influxdata/influxdb-client-apis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensureRollup, rollupPlan } from "../../ingest/rollup/ensure.js";
import { rollupTaskName } from "../../ingest/rollup/task.js";
import { createLogger } from "../../shared/log.js";
import { DEVICE_TYPES, HISTORY_METRIC, MEASUREMENT } from "../../shared/schema.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { runTaskAt, type RawSample } from "../support/rollup.js";
import {
  type DashboardQuery,
  loadDashboards,
  queriesOf,
  substituteVariables,
} from "../support/stack-dashboards.js";

const bucket = useTestBucket(import.meta.url);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const now = Date.now();
const currentHour = Math.floor(now / HOUR) * HOUR;
/** The long range: 8 whole days back from now (a whole hour start, so the rollup covers it exactly). */
const longStart = currentHour - 8 * 24 * HOUR;
/** Raw points are kept from here on: the dashboard's split (the hour before the current one). */
const rawKeptFrom = currentHour - HOUR;

const fleet = Array.from({ length: 12 }, (_, i) => ({
  id: `device_${i + 1}`,
  client: `client_${1 + (i % 3)}`,
  type: DEVICE_TYPES[Math.floor(i / 3) % 3]!,
}));

type Sample = RawSample;

/** Every 10 minutes over the 8 days, every minute over the last 3 hours; the main metric and the battery. */
function samples(): Sample[] {
  const out: Sample[] = [];
  for (const [i, d] of fleet.entries())
    for (let t = longStart; t < now - MINUTE; t += t < now - 3 * HOUR ? 10 * MINUTE : MINUTE) {
      const base = { client: d.client, device: d.id, type: d.type, timeMs: t };
      const value = Math.round((20 + 5 * Math.sin(t / HOUR / 5 + i)) * 4) / 4;
      out.push({ ...base, metric: HISTORY_METRIC[d.type], value });
      out.push({ ...base, metric: "battery_level", value: 100 - ((t / HOUR + i) % 90) });
    }
  return out;
}

const data = samples();
/** What the Anomalies table and the annotation show at most: the newest events. */
const EVENTS_SHOWN = 500;
/** Anomaly event times, newest first, one each 15 minutes back over 6.5 days. */
const stormTimes = Array.from({ length: EVENTS_SHOWN + 120 }, (_, k) => now - 2 * MINUTE - k * 15 * MINUTE);
const one = fleet[0]!;
const log = createLogger("dashboard-longrange-test", "silent");
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  if (!influxServer) return;
  const client = bucket.current.client;
  const org = influxServer.org;
  const write = client.getWriteApi(org, bucket.current.name, "ms");
  write.writeRecords(
    data.map(
      (s) =>
        `${MEASUREMENT.reading},client=${s.client},device=${s.device},type=${s.type} ${s.metric}=${s.value} ${s.timeMs}`,
    ),
  );
  // Rolling stats and anomalies of the chosen device in the recent (raw) part.
  for (let t = rawKeptFrom; t < now - MINUTE; t += 5 * MINUTE)
    write.writeRecord(
      `${MEASUREMENT.stats},client=${one.client},device=${one.id},type=${one.type},metric=${HISTORY_METRIC[one.type]} mean=21.5,min=20,max=23,stddev=1,count=10i,p95=22.5 ${t}`,
    );
  write.writeRecord(
    `${MEASUREMENT.anomaly},client=${one.client},device=${one.id},type=${one.type},metric=${HISTORY_METRIC[one.type]},rule=threshold_high,severity=warning value=40,threshold=35,score=5,message="above 35" ${longStart + 24 * HOUR}`,
  );
  // More anomaly events than the table and the annotations show (the newest EVENTS_SHOWN), over days.
  for (const [k, timeMs] of stormTimes.entries()) {
    const d = fleet[1 + (k % 2)]!;
    write.writeRecord(
      `${MEASUREMENT.anomaly},client=${d.client},device=${d.id},type=${d.type},metric=${HISTORY_METRIC[d.type]},rule=zscore,severity=warning value=${k},threshold=3,score=4,message="event ${k}" ${timeMs}`,
    );
  }
  await write.close();

  const plan = rollupPlan(
    { org, bucket: bucket.current.name },
    { bucket: "", rollupRetention: "", rawRetention: "", lookback: "200h" },
  );
  cleanup.push(async () => {
    const tasks = new TasksAPI(client);
    for (const t of (await tasks.getTasks({ name: rollupTaskName(plan.rawBucket) })).tasks ?? [])
      await tasks.deleteTasksID({ taskID: t.id });
    const buckets = new BucketsAPI(client);
    for (const b of (await buckets.getBuckets({ name: plan.rollupBucket })).buckets ?? [])
      await buckets.deleteBucketsID({ bucketID: b.id! });
  });
  const state = await ensureRollup(client, plan, log);
  await runTaskAt(client, state.taskID, now, 150_000);
  // Only the rollup knows the hours before the split from now on.
  await new DeleteAPI(client).postDelete({
    org,
    bucket: bucket.current.name,
    body: {
      start: new Date(0).toISOString(),
      stop: new Date(rawKeptFrom - 1).toISOString(),
      predicate: `_measurement="${MEASUREMENT.reading}"`,
    },
  });
}, 170_000);

afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined);
});

const fleetDashboard = loadDashboards().find((d) => d.uid === "iot-fleet")!;
const panelQueries = queriesOf(fleetDashboard).filter(
  (q) => q.language === "flux" && !q.where.startsWith("variable"),
);
const seriesQuery = (q: DashboardQuery) =>
  /^panel "[^"]*(fleet band|Battery level per device)[^"]*" A$/.test(q.where);
const rollingMean = (q: DashboardQuery) => q.text.includes(`"${MEASUREMENT.stats}"`);

type Selection = Record<string, string[] | "all">;
const ALL: Selection = { site: "all", client: "all", type: "all", device: "all" };
const ONE: Selection = { site: "all", client: [one.client], type: [one.type], device: [one.id] };

async function rows(
  q: DashboardQuery,
  selection: Selection,
  range: { startMs: number; stopMs: number; windowPeriod: string },
): Promise<Record<string, unknown>[]> {
  const text = substituteVariables(q.text, selection)
    .replaceAll("v.timeRangeStart", new Date(range.startMs).toISOString())
    .replaceAll("v.timeRangeStop", new Date(range.stopMs).toISOString())
    .replaceAll("v.windowPeriod", range.windowPeriod)
    .replaceAll("v.defaultBucket", JSON.stringify(bucket.current.name));
  expect(text, `${q.where}: a Grafana variable is left`).not.toMatch(/\bv\.\w+|\$\{?\w/);
  try {
    return await bucket.current.client.getQueryApi(bucket.current.server.org).collectRows(text);
  } catch (err) {
    throw new Error(`${q.where} failed: ${(err as Error).message}\n${text}`, { cause: err });
  }
}

// Grafana's windowPeriod at "Last 7 days" and 500 points is about 20m; the rollup reads whole hours.
const LONG = { startMs: longStart, stopMs: now, windowPeriod: "20m" };

describeWithInflux("IoT fleet dashboard over a long range, read from the rollup", () => {
  it("the raw bucket holds nothing before the split: what answers is the rollup", async () => {
    const [count] = await bucket.current.client
      .getQueryApi(bucket.current.server.org)
      .collectRows<{ _value: number }>(
        `from(bucket: ${JSON.stringify(bucket.current.name)}) |> range(start: ${new Date(longStart).toISOString()}, stop: ${new Date(rawKeptFrom).toISOString()}) |> filter(fn: (r) => r._measurement == "reading") |> group() |> count()`,
      );
    expect(count?._value ?? 0).toBe(0);
  });

  it("with All: every query returns rows (the per-device rolling mean none), in few series and rows", async () => {
    const empty: string[] = [];
    let total = 0;
    const t0 = performance.now();
    for (const q of panelQueries) {
      const result = await rows(q, ALL, LONG);
      total += result.length;
      if (rollingMean(q)) {
        expect(result, `${q.where}: no per-device rolling mean with All`).toEqual([]);
        continue;
      }
      if (result.length === 0) empty.push(q.where);
      if (seriesQuery(q)) {
        const series = new Set(result.map((r) => String(r._field)));
        expect(series.size, q.where).toBeLessThanOrEqual(DEVICE_TYPES.length * 3);
        for (const s of series)
          expect(s, q.where).toMatch(
            /^(temperature_sensor|humidity_sensor|activity_tracker) (mean|min|max)$/,
          );
        // Hourly points over the 8 days (the rollup), not one per minute.
        for (const s of series) {
          const n = result.filter((r) => r._field === s).length;
          expect(n, `${q.where} ${s}`).toBeGreaterThan(8 * 24 - 3);
          expect(n, `${q.where} ${s}`).toBeLessThanOrEqual(8 * 24 + 2);
        }
      }
    }
    expect(empty).toEqual([]);
    expect(total).toBeLessThan(100_000);
    console.log(
      `long range, All: ${total} rows, ${(performance.now() - t0).toFixed(0)} ms for ${panelQueries.length} queries`,
    );
  });

  it("with one device: every query returns rows of that device only", async () => {
    const empty: string[] = [];
    for (const q of panelQueries) {
      const result = await rows(q, ONE, LONG);
      const otherMetric = /^panel "(Temperature|Humidity|Activity level):/.exec(q.where);
      if (otherMetric && !q.text.includes(`"${HISTORY_METRIC[one.type]}"`)) continue;
      if (result.length === 0) empty.push(q.where);
      for (const r of result) if ("device" in r) expect(r.device, q.where).toBe(one.id);
      if (seriesQuery(q)) expect(new Set(result.map((r) => r._field))).toEqual(new Set([one.id]));
    }
    expect(empty).toEqual([]);
  });

  it("the fleet's mean, min, max and samples equal those of the raw points (count-weighted)", async () => {
    const inRange = data.filter((s) => s.timeMs >= LONG.startMs && s.timeMs < LONG.stopMs);
    const stat = async (title: string) =>
      new Map(
        (
          await rows(
            panelQueries.find((q) => q.where === `panel "${title}" A`)!,
            ALL,
            LONG,
          )
        ).map((r) => [String(r._field), Number(r._value)]),
      );
    const [means, mins, maxs] = [
      await stat("Mean per metric"),
      await stat("Min per metric"),
      await stat("Max per metric"),
    ];
    for (const metric of new Set(fleet.map((d) => HISTORY_METRIC[d.type]))) {
      const values = inRange.filter((s) => s.metric === metric).map((s) => s.value);
      expect(means.get(metric), metric).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
      expect(mins.get(metric), metric).toBe(Math.min(...values));
      expect(maxs.get(metric), metric).toBe(Math.max(...values));
    }
    const table = await rows(
      panelQueries.find((q) => q.where === 'panel "Per-client aggregates" A')!,
      ALL,
      LONG,
    );
    expect(table.length).toBeGreaterThan(0);
    for (const r of table) {
      const values = inRange
        .filter((s) => s.client === r.client && s.metric === r.metric)
        .map((s) => s.value);
      expect(r.samples, `${String(r.client)} ${String(r.metric)}`).toBe(values.length);
      expect(Number(r.mean)).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
    }
  });

  it("the Anomalies table and the annotation show the newest 500 events of the range", async () => {
    const newest = stormTimes.slice(0, EVENTS_SHOWN);
    // As instants: InfluxDB writes RFC 3339 without trailing zeros (".39Z", not ".390Z").
    const instants = (found: Record<string, unknown>[]) => found.map((r) => Date.parse(String(r._time)));
    const table = await rows(
      panelQueries.find((q) => q.where === 'panel "Anomalies" A')!,
      ALL,
      LONG,
    );
    expect(instants(table)).toEqual(newest);
    expect(table.map((r) => r.message)).toEqual(newest.map((_, k) => `event ${k}`));
    const annotation = panelQueries.find((q) => q.where.startsWith("annotation"))!;
    const marks = await rows(annotation, ALL, LONG);
    expect(instants(marks).sort((a, b) => b - a)).toEqual(newest);
  });

  it("at 1 h the series panels still show detail: a point a minute from raw data", async () => {
    const short = { startMs: now - HOUR, stopMs: now, windowPeriod: "1m" };
    for (const q of panelQueries.filter(seriesQuery)) {
      const result = await rows(q, ALL, short);
      const mean = result.filter((r) => String(r._field).endsWith(" mean"));
      expect(mean.length, q.where).toBeGreaterThanOrEqual(50);
    }
  });
});
