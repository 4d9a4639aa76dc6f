// The ingester started in-process (startIngester, as main.ts does) against
// the simulator and a real InfluxDB: a cycle stores the fleet's history, a
// restart in the same process does not store it twice, and close() leaves
// nothing listening. A bad setup is refused with every problem named.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type IngesterConfig, ingesterEnvGroups } from "../../ingest/config.js";
import { type RunningIngester, startIngester } from "../../ingest/ingester.js";
import { ConfigError, readEnvGroups } from "../../shared/config/index.js";
import { createLogger } from "../../shared/log.js";
import { HISTORY_METRIC } from "../../shared/schema.js";
import { type RunningSimulator, startSimulator } from "../../simulator/server.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { minuteGrid, storedTimes, tempSpoolDir } from "../support/ingester.js";

const bucket = useTestBucket(import.meta.url);
const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;
let sim: RunningSimulator;
let spoolDir: string;
const log = createLogger("ingest", "warn");

function config(env: Record<string, string> = {}): IngesterConfig {
  return readEnvGroups(ingesterEnvGroups, {
    INFLUX_URL: influxServer!.url,
    INFLUX_TOKEN: influxServer!.token,
    INFLUX_ORG: influxServer!.org,
    INFLUX_BUCKET: bucket.current.name,
    IOT_API_URL: sim.url,
    // Cycles only when the test asks (tick); the first runs at start.
    INGEST_CRON: "0 0 1 1 *",
    INGEST_SPOOL_DIR: spoolDir,
    INGEST_METRICS_PORT: "0",
    INGEST_METRICS_HOST: "127.0.0.1",
    INGEST_FLUSH_INTERVAL_MS: "100",
    INGEST_ROLLUP: "false",
    ...env,
  });
}

beforeAll(async () => {
  if (!influxServer) return;
  sim = await startSimulator({ seed: 3, now: () => t0 });
  spoolDir = await tempSpoolDir();
});

afterAll(async () => {
  await sim?.stop();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
});

/** Stored timestamps of the history metric, by device, once the spool is drained. */
async function historyStored(): Promise<Record<string, number[]>> {
  const devices = (await (await fetch(`${sim.url}/iot_objects`)).json()) as { id: string; type: string }[];
  const out: Record<string, number[]> = {};
  for (const field of new Set(devices.map((d) => HISTORY_METRIC[d.type as keyof typeof HISTORY_METRIC])))
    Object.assign(
      out,
      await storedTimes(bucket.current.client, { ...influxServer!, bucket: bucket.current.name }, field),
    );
  return out;
}

describeWithInflux("startIngester (in-process)", () => {
  it("stores each served history sample once, across a restart, and close() frees its port", async () => {
    let ingester: RunningIngester = await startIngester(config(), log);
    await ingester.tick(); // waits for the start-up cycle if it is still in flight
    await ingester.close();
    // A second close is the same close.
    await ingester.close();
    await expect(fetch(`http://127.0.0.1:${ingester.metricsPort}/metrics`)).rejects.toThrow();

    ingester = await startIngester(config(), log);
    await ingester.tick();
    await ingester.close();

    const stored = await historyStored();
    const grid = minuteGrid(t0 - 9 * 60_000, t0);
    expect(Object.keys(stored).sort()).toEqual(
      ["device_1", "device_2", "device_3", "device_4", "device_5", "device_6"].sort(),
    );
    for (const times of Object.values(stored)) expect(times).toEqual(grid);
  });

  it("refuses a bad setup with one ConfigError naming every problem, before opening anything", async () => {
    const webhooks = join(spoolDir, "webhooks.json");
    await writeFile(webhooks, "[{ not json");
    const env = {
      INGEST_RULES_FILE: join(spoolDir, "missing-rules.json"),
      INGEST_WEBHOOKS_FILE: webhooks,
      INGEST_SHARD_FROM_HOSTNAME: "true",
      INGEST_SHARD_COUNT: "3",
    };
    const error = await startIngester(config(env), log, { HOSTNAME: "laptop" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toContain('HOSTNAME="laptop" does not end in -<ordinal>');
    expect(problems).toContain("INGEST_RULES_FILE=");
    expect(problems).toContain(`INGEST_WEBHOOKS_FILE ${webhooks} cannot be read`);
  });
});
