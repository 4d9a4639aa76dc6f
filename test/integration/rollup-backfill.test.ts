// `npm run rollup -- --backfill` against a real InfluxDB: backfillRollup fills
// the hourly rollup for raw data already stored with exactly the figures the
// task computes, resumes an interrupted run from its state file (the hours
// done are not read again), and a second full run rewrites the same rows.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { BucketsAPI, TasksAPI } from "@influxdata/influxdb-client-apis";
import { backfillRollup } from "../../ingest/rollup/backfill.js";
import { ensureRollup, rollupPlan } from "../../ingest/rollup/ensure.js";
import { rollupTaskName } from "../../ingest/rollup/task.js";
import { createLogger } from "../../shared/log.js";
import { mulberry32 } from "../../simulator/random.js";
import { MEASUREMENT } from "../../shared/schema.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { type RawSample, expectedHourly, readHourly } from "../support/rollup.js";

const bucket = useTestBucket(import.meta.url);
const log = createLogger("rollup-backfill-test", "silent");
const HOUR = 3_600_000;
// Two days back: the hourly task ensured here (its last 6 hours of wall time) never touches these hours.
const stopMs = Math.floor(Date.now() / HOUR) * HOUR - 48 * HOUR;
const startMs = stopMs - 8 * HOUR;
const cleanup: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined);
});

/** Seeded readings on a 0.25 grid (exact sums) over the 8 hours, and one hour either side of them. */
function knownSamples(): RawSample[] {
  const rnd = mulberry32(777);
  const devices = [
    { client: "client_1", device: "device_1", type: "temperature_sensor", metric: "temperature" },
    { client: "client_2", device: "device_2", type: "humidity_sensor", metric: "humidity" },
  ];
  const out: RawSample[] = [];
  for (let h = -1; h <= 8; h++)
    for (const d of devices)
      for (let i = 0; i < 1 + Math.floor(rnd() * 6); i++)
        out.push({
          ...d,
          timeMs: startMs + h * HOUR + Math.floor(rnd() * HOUR),
          value: Math.round((10 + rnd() * 80) * 4) / 4,
        });
  return out;
}

describeWithInflux("rollup backfill", () => {
  it("fills stored hours exactly, resumes an interrupted run, and rewrites the same rows when run again", async () => {
    const client = bucket.current.client;
    const org = influxServer!.org;
    const plan = rollupPlan(
      { org, bucket: bucket.current.name },
      { bucket: "", rollupRetention: "", rawRetention: "", lookback: "6h" },
    );
    const tasks = new TasksAPI(client);
    const buckets = new BucketsAPI(client);
    const stateDir = await mkdtemp(join(tmpdir(), "rollup-backfill-"));
    cleanup.push(async () => {
      await rm(stateDir, { recursive: true, force: true });
      for (const t of (await tasks.getTasks({ name: rollupTaskName(plan.rawBucket) })).tasks ?? [])
        await tasks.deleteTasksID({ taskID: t.id });
      for (const b of (await buckets.getBuckets({ name: plan.rollupBucket })).buckets ?? [])
        await buckets.deleteBucketsID({ bucketID: b.id! });
    });
    await ensureRollup(client, plan, log);

    const samples = knownSamples();
    const write = client.getWriteApi(org, bucket.current.name, "ms");
    write.writeRecords(
      samples.map(
        (s) =>
          `${MEASUREMENT.reading},client=${s.client},device=${s.device},type=${s.type} ${s.metric}=${s.value} ${s.timeMs}`,
      ),
    );
    await write.close();
    const within = (from: number, to: number) =>
      expectedHourly(samples.filter((s) => s.timeMs >= from && s.timeMs < to));

    const stateFile = join(stateDir, "state.json");
    const options = { client, target: plan, startMs, stopMs, chunkHours: 2, stateFile };

    // Interrupted after its second chunk (the state file is written before progress is told).
    const interrupted: string[] = [];
    await expect(
      backfillRollup({
        ...options,
        progress: (line) => {
          interrupted.push(line);
          if (interrupted.length === 2) throw new Error("interrupted");
        },
      }),
    ).rejects.toThrow("interrupted");
    expect(interrupted).toEqual([
      expect.stringMatching(/^2\/8 hours \(25 %\), through /),
      expect.stringMatching(/^4\/8 hours \(50 %\), through /),
    ]);
    const half = startMs + 4 * HOUR;
    expect(await readHourly(client, org, plan.rollupBucket)).toEqual(within(startMs, half));

    // Run again with the same state file: it goes on from the fifth hour.
    const resumed: string[] = [];
    const report = await backfillRollup({ ...options, progress: (line) => resumed.push(line) });
    expect(report).toMatchObject({ hours: 8, chunks: 2, resumedFromMs: half });
    expect(resumed[0]).toBe(`resuming at ${new Date(half).toISOString()} (${stateFile})`);
    expect(resumed.at(-1)).toMatch(/^8\/8 hours \(100 %\), through /);
    const full = within(startMs, stopMs);
    expect(full.length).toBeGreaterThanOrEqual(16);
    expect(await readHourly(client, org, plan.rollupBucket)).toEqual(full);

    // A second whole run (a fresh state file) rewrites every hour: the same rows, none doubled.
    const again = await backfillRollup({
      ...options,
      stateFile: join(stateDir, "again.json"),
      progress: () => undefined,
    });
    expect(again).toMatchObject({ hours: 8, chunks: 4 });
    expect(again.resumedFromMs).toBeUndefined();
    expect(await readHourly(client, org, plan.rollupBucket)).toEqual(full);
  });
});
