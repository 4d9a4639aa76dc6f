// The ingester as a real process against the simulator (faithful mode, a
// clock the test moves minute by minute) and a real InfluxDB: every sample
// the upstream served is stored exactly once, across cycles, a graceful
// restart and a SIGKILL.
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
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

const bucket = useTestBucket(import.meta.url);
const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 60 * 60_000;
let simNow = t0;
let sim: RunningSimulator;
let spoolDir: string;
let ingester: IngesterProcess | undefined;
/** Clock values the simulator showed while an ingester ran a full cycle. */
const observed: number[] = [];

const target = () => ({ ...influxServer!, bucket: bucket.current.name });
const runs: IngesterProcess[] = [];
const start = async () => {
  ingester = await startIngester(target(), sim.url, spoolDir);
  runs.push(ingester);
  await ingester.waitForCycles(1);
  observed.push(simNow);
};
/** Moves the simulated clock on by `minutes` and waits for a cycle that saw it. */
const advance = async (minutes: number) => {
  simNow += minutes * 60_000;
  if (ingester) {
    await ingester.waitForFreshCycle();
    observed.push(simNow);
  }
};

beforeAll(async () => {
  if (!influxServer) return;
  sim = await startSimulator({ seed: 11, now: () => simNow });
  spoolDir = await tempSpoolDir();
});

afterAll(async () => {
  await ingester?.stop("SIGKILL");
  await sim?.stop();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
});

/** Checks the stored history metric against the minute grid and battery against the observed clock values. */
async function expectExactlyOnce(lastMinute: number) {
  const devices = ["device_1", "device_2", "device_3", "device_4", "device_5", "device_6"];
  const types = Object.fromEntries(
    (
      (await (await fetch(`${sim.url}/iot_objects`)).json()) as {
        id: string;
        type: (typeof DEVICE_TYPES)[number];
      }[]
    ).map((d) => [d.id, d.type]),
  );
  const grid = minuteGrid(t0 - 9 * 60_000, lastMinute);
  for (const type of DEVICE_TYPES) {
    const field = HISTORY_METRIC[type];
    const stored = await storedTimes(bucket.current.client, target(), field);
    const want = Object.fromEntries(devices.filter((d) => types[d] === type).map((d) => [d, grid]));
    expect(stored, `${field} timestamps`).toEqual(want);
  }
  const battery = await storedTimes(bucket.current.client, target(), METRIC.batteryLevel);
  const distinctObserved = [...new Set(observed)].sort((a, b) => a - b);
  expect(battery).toEqual(Object.fromEntries(devices.map((d) => [d, distinctObserved])));
}

describeWithInflux("ingester: each sample written once", () => {
  it("stores exactly the distinct samples served over several cycles", async () => {
    await start();
    for (let i = 0; i < 3; i++) await advance(1);
    const run = ingester!;
    expect(await run.stop()).toBe(0);
    ingester = undefined;
    await expectExactlyOnce(simNow);

    // Each cycle's log line counts the samples it accepted: together, what is stored.
    const accepted = run.logs
      .filter((l) => l.msg === "cycle done")
      .reduce((n, l) => n + (l.samples as number), 0);
    const history = 6 * (10 + 3);
    const battery = 6 * 4;
    expect(accepted).toBe(history + battery);
  });

  it("neither duplicates nor skips across a graceful restart and a SIGKILL", async () => {
    const before = runs.length;
    await start(); // recovers watermarks from InfluxDB
    await advance(1);
    await advance(1);
    await ingester!.stop("SIGKILL");
    ingester = undefined;
    await advance(3); // down for three minutes: still inside the upstream's 10-minute history
    await start(); // same spool folder: whatever the killed one had not sent yet is sent now
    await advance(1);
    expect(await ingester!.stop()).toBe(0);
    ingester = undefined;
    await expectExactlyOnce(simNow);

    // Nothing already stored was accepted again: 6 new minutes of history per
    // device, and battery at the 4 new clock values a running ingester saw.
    const accepted = runs
      .slice(before)
      .flatMap((r) => r.logs)
      .filter((l) => l.msg === "cycle done")
      .reduce((n, l) => n + (l.samples as number), 0);
    expect(accepted).toBe(6 * 6 + 6 * 4);
  });
});
