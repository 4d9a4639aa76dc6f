// HTTPS end to end for the ingester: the real ingester process reads the
// simulator and writes InfluxDB, both behind TLS-terminating proxies serving
// the dev certificate. Without IOT_API_CA_FILE the cycle fails on the
// certificate; without INFLUX_CA_FILE the writes fail and the spool keeps the
// points; restarted with the CA, everything arrives in InfluxDB.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { METRIC } from "../../shared/schema.js";
import { type RunningSimulator, startSimulator } from "../../simulator/server.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { type IngesterProcess, startIngester, storedTimes, tempSpoolDir } from "../support/ingester.js";
import { type TlsProxy, devCerts, startTlsProxy } from "../support/tls-proxy.js";
import { scrapeMetric, waitFor } from "../support/webhooks.js";

const bucket = useTestBucket(import.meta.url);
const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;
let simNow = t0;
let sim: RunningSimulator;
let dir: string;
let certs: Awaited<ReturnType<typeof devCerts>>;
let influxProxy: TlsProxy;
let simProxy: TlsProxy;
let ingester: IngesterProcess | undefined;
const spools: string[] = [];

beforeAll(async () => {
  if (!influxServer) return;
  dir = await mkdtemp(join(tmpdir(), "tls-ingester-"));
  certs = await devCerts(join(dir, "certs"));
  sim = await startSimulator({ seed: 3, now: () => simNow });
  influxProxy = await startTlsProxy(influxServer.url, certs.cert, certs.key);
  simProxy = await startTlsProxy(sim.url, certs.cert, certs.key);
});

afterAll(async () => {
  await ingester?.stop("SIGKILL");
  await influxProxy?.close();
  await simProxy?.close();
  await sim?.stop();
  for (const s of spools) await rm(s, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function spool(): Promise<string> {
  const s = await tempSpoolDir();
  spools.push(s);
  return s;
}

describeWithInflux("HTTPS: the ingester", () => {
  it("refuses an IoT API whose certificate it cannot verify without IOT_API_CA_FILE", async () => {
    const b = bucket.current;
    const target = { url: b.server.url, token: b.server.token, org: b.server.org, bucket: b.name };
    ingester = await startIngester(target, `https://localhost:${simProxy.port}`, await spool(), {
      IOT_API_CA_FILE: "",
    });
    const failed = await ingester.waitForLog((l) => l.msg === "cycle failed");
    expect(String(failed.err)).toMatch(/certificate|UNABLE_TO_VERIFY|SELF_SIGNED/i);
    expect(await ingester.stop()).toBe(0);
    ingester = undefined;
  });

  it("writes to InfluxDB over HTTPS with INFLUX_CA_FILE; without it the spool keeps the points until a restart with the CA", async () => {
    const b = bucket.current;
    const target = {
      url: `https://localhost:${influxProxy.port}`,
      token: b.server.token,
      org: b.server.org,
      bucket: b.name,
    };
    const spoolDir = await spool();
    const iotApi = `https://localhost:${simProxy.port}`;
    const battery: number[] = [];

    // Both over HTTPS; the IoT API's CA is trusted, InfluxDB's is not.
    ingester = await startIngester(target, iotApi, spoolDir, {
      IOT_API_CA_FILE: certs.ca,
      INFLUX_CA_FILE: "",
    });
    await ingester.waitForCycles(1);
    battery.push(simNow);
    simNow += 60_000;
    await ingester.waitForFreshCycle();
    battery.push(simNow);
    const writeFailed = await ingester.waitForLog((l) => l.msg === "InfluxDB write failed");
    expect(JSON.stringify(writeFailed)).toMatch(/certificate|UNABLE_TO_VERIFY|SELF_SIGNED/i);
    expect(await scrapeMetric(ingester.metricsPort, "ingest_spool_points")).toBeGreaterThan(0);
    expect(await ingester.stop()).toBe(0);

    // Restarted with the CA: the spooled points and the new ones arrive.
    ingester = await startIngester(target, iotApi, spoolDir, {
      IOT_API_CA_FILE: certs.ca,
      INFLUX_CA_FILE: certs.ca,
    });
    simNow += 60_000;
    await ingester.waitForCycles(2);
    battery.push(simNow);
    await waitFor(
      async () => (await scrapeMetric(ingester!.metricsPort, "ingest_spool_points")) === 0,
      30_000,
      "an empty spool",
    );
    expect(await ingester.stop()).toBe(0);
    ingester = undefined;

    const stored = await storedTimes(b.client, { ...target, url: b.server.url }, METRIC.batteryLevel);
    const devices = (await (await fetch(`${sim.url}/iot_objects`)).json()) as { id: string }[];
    expect(devices.length).toBeGreaterThan(0);
    for (const d of devices) expect(stored[d.id], `${d.id} battery`).toEqual(battery);
  });
});
