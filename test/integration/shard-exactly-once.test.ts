// Sharded ingestion: three real ingester processes (INGEST_SHARD_INDEX 0..2 of
// INGEST_SHARD_COUNT 3, each with its own spool, one bucket) over a 300-device
// simulator store every sample exactly once between them: the stored times
// match the minute grid for every device, and the samples the three accepted
// add up to the points stored, so no device was pulled by two replicas (a
// second write of the same point would overwrite it and hide in the grid).
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ownerOf } from "../../ingest/shard.js";
import { DEVICE_TYPES, HISTORY_METRIC, METRIC } from "../../shared/schema.js";
import { type RunningSimulator, startSimulator } from "../../simulator/server.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import {
  type IngesterProcess,
  minuteGrid,
  startIngester,
  storedTimes,
  tempSpoolDir,
} from "../support/ingester.js";

const DEVICES = 300;
const SHARDS = 3;
const bucket = useTestBucket(import.meta.url);
const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 60 * 60_000;
let simNow = t0;
let sim: RunningSimulator;
const spoolDirs: string[] = [];
const ingesters: IngesterProcess[] = [];
/** Clock values every replica saw in a full cycle. */
const observed: number[] = [];

const target = () => ({ ...influxServer!, bucket: bucket.current.name });

beforeAll(async () => {
  if (!influxServer) return;
  // 100 clients: types cycle every 100 devices, so all three types are in the fleet.
  sim = await startSimulator({ devices: DEVICES, clients: 100, seed: 23, now: () => simNow });
  for (let i = 0; i < SHARDS; i++) spoolDirs.push(await tempSpoolDir());
});

afterAll(async () => {
  await Promise.all(ingesters.map((p) => p.stop("SIGKILL")));
  await sim?.stop();
  await Promise.all(spoolDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describeWithInflux("sharded ingestion: three replicas, each sample once", () => {
  it(
    "stores every device's samples exactly once between the three shards",
    { timeout: 240_000 },
    async () => {
      for (let i = 0; i < SHARDS; i++)
        ingesters.push(
          await startIngester(target(), sim.url, spoolDirs[i]!, {
            INGEST_SHARD_INDEX: String(i),
            INGEST_SHARD_COUNT: String(SHARDS),
            INGEST_CONCURRENCY: "32",
          }),
        );
      // Three processes start on a shared, busy machine: generous waits, no upper bound asserted.
      await Promise.all(ingesters.map((p) => p.waitForCycles(1, 120_000)));
      observed.push(simNow);
      for (let step = 0; step < 2; step++) {
        simNow += 60_000;
        await Promise.all(ingesters.map((p) => p.waitForFreshCycle(120_000)));
        observed.push(simNow);
      }
      for (const p of ingesters) expect(await p.stop()).toBe(0);

      // Every device of the fleet, with its type, from the simulator itself.
      const listed = (await (await fetch(`${sim.url}/iot_objects`)).json()) as {
        id: string;
        type: (typeof DEVICE_TYPES)[number];
      }[];
      expect(listed).toHaveLength(DEVICES);

      // Exactly the minute grid of history per device, and battery at each observed clock value.
      const grid = minuteGrid(t0 - 9 * 60_000, simNow);
      let storedPoints = 0;
      for (const type of DEVICE_TYPES) {
        const field = HISTORY_METRIC[type];
        const stored = await storedTimes(bucket.current.client, target(), field);
        const want = Object.fromEntries(listed.filter((d) => d.type === type).map((d) => [d.id, grid]));
        expect(Object.keys(want).length).toBeGreaterThan(0);
        expect(stored, `${field} timestamps`).toEqual(want);
        storedPoints += Object.values(stored).reduce((n, l) => n + l.length, 0);
      }
      const battery = await storedTimes(bucket.current.client, target(), METRIC.batteryLevel);
      const distinctObserved = [...new Set(observed)].sort((a, b) => a - b);
      expect(battery).toEqual(Object.fromEntries(listed.map((d) => [d.id, distinctObserved])));
      storedPoints += Object.values(battery).reduce((n, l) => n + l.length, 0);
      expect(storedPoints).toBe(DEVICES * (grid.length + distinctObserved.length));

      // What the replicas accepted adds up to what is stored: no sample was taken twice.
      const cycleLines = ingesters.map((p) => p.logs.filter((l) => l.msg === "cycle done"));
      const accepted = cycleLines.flat().reduce((n, l) => n + (l.samples as number), 0);
      expect(accepted).toBe(storedPoints);

      // Each replica pulled exactly the devices rendezvous hashing gives it, and they cover the fleet.
      const owned = ingesters.map((_, i) => listed.filter((d) => ownerOf(d.id, SHARDS) === i).length);
      for (const [i, lines] of cycleLines.entries()) {
        expect(owned[i]).toBeGreaterThan(0);
        for (const l of lines) {
          expect(l.devices, `shard ${i} devices`).toBe(owned[i]);
          expect(l.fleet, `shard ${i} fleet`).toBe(DEVICES);
        }
      }
      expect(owned.reduce((a, b) => a + b, 0)).toBe(DEVICES);
    },
  );
});
