// The hourly rollup against a real InfluxDB: ensureRollup creates the rollup
// bucket and task once (re-running it, even concurrently, leaves exactly one
// of each), and a run of the task started through the tasks API turns known
// raw readings into exactly the mean/min/max/count computed here, for the
// complete hours of its lookback only.
import { randomBytes } from "node:crypto";
import { afterAll, expect, it } from "vitest";
import { BucketsAPI, TasksAPI } from "@influxdata/influxdb-client-apis";
import { ensureRollup, rollupPlan } from "../../ingest/rollup/ensure.js";
import { rollupTaskName } from "../../ingest/rollup/task.js";
import { createLogger } from "../../shared/log.js";
import { MEASUREMENT } from "../../shared/schema.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { expectedHourly, readHourly, runTaskAt, type RawSample } from "../support/rollup.js";

const bucket = useTestBucket(import.meta.url);
const log = createLogger("rollup-test", "silent");
const HOUR = 3_600_000;
// A run "now" a day back, ten minutes into an hour: the task's own hourly
// schedule (the last 6 complete hours of wall time) never touches these hours.
const runNow = Math.floor(Date.now() / HOUR) * HOUR - 24 * HOUR + 10 * 60_000;
const currentHour = Math.floor(runNow / HOUR) * HOUR;

const plan = () =>
  rollupPlan(
    { org: influxServer!.org, bucket: bucket.current.name },
    { bucket: "", rollupRetention: "", rawRetention: "", lookback: "6h" },
  );
const cleanup: (() => Promise<unknown>)[] = [];

type Sample = RawSample;

/** Seeded values on a 0.25 grid: every sum is exact in float64, so means compare exactly. */
function knownSamples(): Sample[] {
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const devices = [
    { client: "client_1", device: "device_1", type: "temperature_sensor", metric: "temperature" },
    { client: "client_1", device: "device_2", type: "humidity_sensor", metric: "humidity" },
    { client: "client_2", device: "device_3", type: "temperature_sensor", metric: "temperature" },
  ];
  const out: Sample[] = [];
  // Hours -8 (before the 6h lookback), -6..-1 (rolled up) and 0 (current, incomplete).
  for (const h of [-8, -6, -5, -3, -1, 0]) {
    for (const d of devices) {
      for (const metric of [d.metric, "battery_level"]) {
        const n = 1 + Math.floor(rnd() * 12);
        const minutes = new Set<number>();
        while (minutes.size < n) minutes.add(Math.floor(rnd() * 60));
        for (const m of minutes) {
          const timeMs = currentHour + h * HOUR + m * 60_000 + Math.floor(rnd() * 59_000);
          if (timeMs >= runNow) continue;
          out.push({ ...d, metric, timeMs, value: Math.round((10 + rnd() * 80) * 4) / 4 });
        }
      }
    }
  }
  return out;
}

afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined);
});

describeWithInflux("hourly rollup task", () => {
  it("is ensured once, idempotently, even by concurrent starts", async () => {
    const client = bucket.current.client;
    const p = plan();
    const tasks = new TasksAPI(client);
    const buckets = new BucketsAPI(client);
    cleanup.push(async () => {
      for (const t of (await tasks.getTasks({ name: rollupTaskName(p.rawBucket) })).tasks ?? [])
        await tasks.deleteTasksID({ taskID: t.id });
      const b = (await buckets.getBuckets({ name: p.rollupBucket })).buckets ?? [];
      for (const x of b) await buckets.deleteBucketsID({ bucketID: x.id! });
    });

    // Three replicas starting at once (INGEST_ROLLUP=true on each).
    const first = await Promise.all([1, 2, 3].map(() => ensureRollup(client, p, log)));
    const settled = await ensureRollup(client, p, log);
    const again = await ensureRollup(client, p, log);

    expect(first.some((s) => s.changes.includes(`created bucket ${p.rollupBucket}`))).toBe(true);
    expect(first.every((s) => s.rawBucketID === bucket.current.id)).toBe(true);
    expect(again.changes).toEqual([]);
    expect(again.taskID).toBe(settled.taskID);
    expect(again.rollupBucketID).toBe(settled.rollupBucketID);
    const named = ((await tasks.getTasks({ name: rollupTaskName(p.rawBucket) })).tasks ?? []).map(
      (t) => t.id,
    );
    expect(named).toEqual([settled.taskID]);
    const task = await tasks.getTasksID({ taskID: settled.taskID });
    expect(task.status).toBe("active");
    expect(task.every).toBe("1h");
    const rollupBuckets = (await buckets.getBuckets({ name: p.rollupBucket })).buckets ?? [];
    expect(rollupBuckets.map((b) => b.id)).toEqual([settled.rollupBucketID]);
    // Created without a configured retention: kept forever.
    expect(rollupBuckets[0]!.retentionRules.map((r) => r.everySeconds)).toEqual([0]);
    // The raw bucket, whose retention is not configured, is left as it was.
    const raw = await buckets.getBucketsID({ bucketID: bucket.current.id });
    expect(raw.retentionRules.map((r) => r.everySeconds)).toEqual([0]);
  });

  it("rolls known readings up into exact hourly mean, min, max and count", async () => {
    const client = bucket.current.client;
    const p = plan();
    const samples = knownSamples();
    const write = client.getWriteApi(influxServer!.org, bucket.current.name, "ms");
    write.writeRecords(
      samples.map(
        (s) =>
          `${MEASUREMENT.reading},client=${s.client},device=${s.device},type=${s.type} ${s.metric}=${s.value} ${s.timeMs}`,
      ),
    );
    await write.close();

    const state = await ensureRollup(client, p, log);
    await runTaskAt(client, state.taskID, runNow);
    const stored = await readHourly(client, influxServer!.org, p.rollupBucket);

    // The 6 complete hours before the run's now: not hour -8, not the current hour.
    const inWindow = samples.filter((s) => s.timeMs >= currentHour - 6 * HOUR && s.timeMs < currentHour);
    const want = expectedHourly(inWindow);
    expect(want.length).toBeGreaterThan(20);
    expect(samples.length).toBeGreaterThan(inWindow.length);
    expect(stored).toEqual(want);
    expect(stored.every((r) => Number.isInteger(r.count))).toBe(true);

    // A late point in a rolled-up hour: the next run rewrites that hour, no duplicate rows.
    const late = {
      ...inWindow[0]!,
      timeMs: Math.floor(inWindow[0]!.timeMs / HOUR) * HOUR + 1234,
      value: 99.5,
    };
    const w2 = client.getWriteApi(influxServer!.org, bucket.current.name, "ms");
    w2.writeRecord(
      `${MEASUREMENT.reading},client=${late.client},device=${late.device},type=${late.type} ${late.metric}=${late.value} ${late.timeMs}`,
    );
    await w2.close();
    await runTaskAt(client, state.taskID, runNow + 30 * 60_000);
    expect(await readHourly(client, influxServer!.org, p.rollupBucket)).toEqual(
      expectedHourly([...inWindow, late]),
    );
  });

  it("applies an explicitly configured raw retention, and only then", async () => {
    const client = bucket.current.client;
    const name = `${bucket.current.name}_ret_${randomBytes(2).toString("hex")}`;
    const p = rollupPlan(
      { org: influxServer!.org, bucket: name },
      { bucket: `${name}_r`, rollupRetention: "400d", rawRetention: "", lookback: "6h" },
    );
    const buckets = new BucketsAPI(client);
    const tasks = new TasksAPI(client);
    cleanup.push(async () => {
      for (const t of (await tasks.getTasks({ name: rollupTaskName(name) })).tasks ?? [])
        await tasks.deleteTasksID({ taskID: t.id });
      for (const n of [name, `${name}_r`])
        for (const b of (await buckets.getBuckets({ name: n })).buckets ?? [])
          await buckets.deleteBucketsID({ bucketID: b.id! });
    });
    const created = await ensureRollup(client, p, log);
    const retention = async (id: string) =>
      (await buckets.getBucketsID({ bucketID: id })).retentionRules.map((r) => r.everySeconds);
    expect(await retention(created.rollupBucketID)).toEqual([400 * 86_400]);
    expect(await retention(created.rawBucketID)).toEqual([0]);

    const configured = await ensureRollup(client, { ...p, rawRetentionS: 30 * 86_400 }, log);
    expect(configured.changes).toEqual([`retention of ${name}: 0s -> ${30 * 86_400}s`]);
    expect(await retention(created.rawBucketID)).toEqual([30 * 86_400]);
    // Unset again: the bucket keeps what it has.
    expect((await ensureRollup(client, p, log)).changes).toEqual([]);
    expect(await retention(created.rawBucketID)).toEqual([30 * 86_400]);
  });
});
