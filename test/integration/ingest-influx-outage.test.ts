// InfluxDB really stops (its process exits) for longer than two cycles; the
// ingester is restarted while it is down; InfluxDB comes back: every sample
// is stored, once. Uses a dedicated influxd that the test can stop.
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createInfluxClient } from "../../shared/influx/client.js";
import { HISTORY_METRIC, METRIC } from "../../shared/schema.js";
import { type RunningSimulator, startSimulator } from "../../simulator/server.js";
import { type DedicatedInflux, startDedicatedInflux } from "../support/influx-instance.js";
import { describeWithInflux, influxServer } from "../support/influx.js";
import {
  type IngesterProcess,
  minuteGrid,
  startIngester,
  storedTimes,
  tempSpoolDir,
} from "../support/ingester.js";

const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 60 * 60_000;
let simNow = t0;
let sim: RunningSimulator;
let influx: DedicatedInflux;
let spoolDir: string;
let ingester: IngesterProcess | undefined;

beforeAll(async () => {
  if (!influxServer) return;
  influx = await startDedicatedInflux();
  sim = await startSimulator({ seed: 5, now: () => simNow });
  spoolDir = await tempSpoolDir();
});

afterAll(async () => {
  await ingester?.stop("SIGKILL");
  await sim?.stop();
  await influx?.destroy();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
});

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(" ").pop()) : NaN;
}

describeWithInflux("ingester: InfluxDB outage plus an ingester restart loses nothing", () => {
  it("spools while InfluxDB is down, across a restart, and writes everything once when it returns", async () => {
    const target = { url: influx.url, token: influx.token, org: influx.org, bucket: influx.bucket };
    const battery: number[] = [];
    ingester = await startIngester(target, sim.url, spoolDir);
    await ingester.waitForCycles(1);
    battery.push(simNow);

    await influx.stop();
    for (let i = 0; i < 3; i++) {
      simNow += 60_000;
      await ingester.waitForFreshCycle();
      battery.push(simNow);
    }
    expect(await metric(ingester.metricsPort, "ingest_spool_points")).toBeGreaterThan(0);
    expect(await ingester.stop()).toBe(0); // restart while InfluxDB is still down

    ingester = await startIngester(target, sim.url, spoolDir);
    simNow += 60_000;
    await ingester.waitForCycles(2);
    battery.push(simNow);
    expect(
      ingester.logs.some((l) => l.msg === "InfluxDB unreachable at start: using the local checkpoint only"),
    ).toBe(true);

    await influx.start();
    simNow += 60_000;
    await ingester.waitForFreshCycle();
    battery.push(simNow);
    expect(await ingester.stop()).toBe(0);
    ingester = undefined;

    const client = createInfluxClient(influx);
    const grid = minuteGrid(t0 - 9 * 60_000, simNow);
    const devices = (await (await fetch(`${sim.url}/iot_objects`)).json()) as {
      id: string;
      type: keyof typeof HISTORY_METRIC;
    }[];
    for (const d of devices) {
      const stored = await storedTimes(client, target, HISTORY_METRIC[d.type]);
      expect(stored[d.id], `${d.id} history`).toEqual(grid);
    }
    const storedBattery = await storedTimes(client, target, METRIC.batteryLevel);
    for (const d of devices) expect(storedBattery[d.id], `${d.id} battery`).toEqual(battery);
  });
});
