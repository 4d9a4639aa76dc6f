// A device is (site, client, id) once edge sites feed one InfluxDB: the same
// (client, device_1) is held without a site tag (data older than EDGE_SITE),
// at site-a and at site-b, written through the ingester's own line encoders
// into a real InfluxDB. Each is a device of its own, never mixed: listed
// three times, named with ?site= (empty: the untagged one), 409 listing the
// sites without it; fleet routes filter by site; a client key sees its own
// devices at every site and nothing of another client's.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningApi } from "../../api/server.js";
import { anomalyLine, readingLine } from "../../ingest/points.js";
import { METRIC } from "../../shared/schema.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { type TestKeys, get, makeKeys, startTestApi } from "./api-helpers.js";

const bucket = useTestBucket(import.meta.url);
const keys: TestKeys = makeKeys("device-sites");
let api: RunningApi;

const MINUTE_US = 60_000_000;
const nowUs = Date.now() * 1000;

/** What each (site, client, device) holds: minutes of temperature around a level, anomaly events. */
const HELD = [
  { site: "", client: "client_1", device: "device_1", minutes: 20, base: 10, events: 0 },
  { site: "site-a", client: "client_1", device: "device_1", minutes: 30, base: 20, events: 1 },
  { site: "site-b", client: "client_1", device: "device_1", minutes: 40, base: 30, events: 2 },
  { site: "site-b", client: "client_2", device: "device_7", minutes: 10, base: 50, events: 0 },
] as const;

function lines(): string[] {
  const out: string[] = [];
  for (const h of HELD) {
    const device = { client: h.client, device: h.device, type: "temperature_sensor" as const };
    for (let i = 1; i <= h.minutes; i++)
      out.push(
        readingLine(
          {
            ...device,
            metric: METRIC.temperature,
            timeUs: nowUs - i * MINUTE_US,
            value: h.base + (i % 3) / 10,
          },
          h.site,
        ),
      );
    for (let e = 0; e < h.events; e++)
      out.push(
        anomalyLine(
          {
            ...device,
            metric: METRIC.temperature,
            rule: "zscore",
            severity: "warning",
            timeUs: nowUs - (3 + e) * MINUTE_US,
            value: h.base + 9,
            threshold: h.base,
            baseline: null,
            score: 4,
            message: `spike at ${h.site || "no site"}`,
          },
          h.site,
        ),
      );
  }
  return out;
}

beforeAll(async () => {
  if (!influxServer) return;
  const write = bucket.current.client.getWriteApi(bucket.current.server.org, bucket.current.name, "us");
  write.writeRecords(lines());
  await write.close();
  api = await startTestApi(bucket.current, { API_KEYS: keys.env, API_RATE_LIMIT_PER_MIN: "100000" });
});

afterAll(async () => {
  await api?.close();
});

interface Device {
  id: string;
  client: string;
  site?: string;
}

describeWithInflux("a device is (site, client, id) when sites are present", () => {
  it("the admin lists device_1 once per site holding it, the untagged one without a site field", async () => {
    const a = await get(api, "/v1/devices", keys.admin);
    expect(a.status).toBe(200);
    const devices = (a.body as { devices: Device[] }).devices;
    expect(devices.map((d) => [d.id, d.client, d.site])).toEqual([
      ["device_1", "client_1", undefined],
      ["device_1", "client_1", "site-a"],
      ["device_1", "client_1", "site-b"],
      ["device_7", "client_2", "site-b"],
    ]);
    expect(devices[0]).not.toHaveProperty("site");
  });

  it("naming device_1 without a site is a 409 listing the sites (empty: no site tag), for a client key too", async () => {
    for (const key of [keys.admin, keys.byClient.client_1!]) {
      const a = await get(api, "/v1/devices/device_1/stats?start=-2h", key);
      expect(a.status).toBe(409);
      expect(a.body).toMatchObject({
        error: "ambiguous_device",
        parameter: "site",
        clients: ["client_1"],
        sites: ["", "site-a", "site-b"],
      });
    }
  });

  it("?site= picks one: its own points only (counts and levels), its own anomalies", async () => {
    for (const h of HELD.filter((x) => x.device === "device_1")) {
      const site = `site=${h.site}`;
      const stats = await get(api, `/v1/devices/device_1/stats?start=-2h&${site}`, keys.byClient.client_1);
      expect(stats.status, site).toBe(200);
      const t = (stats.body as { metrics: Record<string, { count: number; min: number; max: number }> })
        .metrics.temperature!;
      expect(t.count, site).toBe(h.minutes);
      expect(t.min, site).toBeGreaterThanOrEqual(h.base);
      expect(t.max, site).toBeLessThan(h.base + 1);
      const anomalies = await get(api, `/v1/devices/device_1/anomalies?start=-2h&${site}`, keys.admin);
      expect((anomalies.body as { total: number }).total, site).toBe(h.events);
      const one = await get(api, `/v1/devices/device_1?${site}`, keys.admin);
      expect((one.body as { device: Device }).device.site, site).toBe(h.site || undefined);
    }
  });

  it("fleet routes filter by site; a client key sees its own devices at every site, never another client's", async () => {
    const onlyB = (await get(api, "/v1/devices?site=site-b", keys.admin)).body as { devices: Device[] };
    expect(onlyB.devices.map((d) => `${d.site}/${d.client}/${d.id}`)).toEqual([
      "site-b/client_1/device_1",
      "site-b/client_2/device_7",
    ]);
    const untagged = (await get(api, "/v1/devices?site=", keys.admin)).body as { devices: Device[] };
    expect(untagged.devices.map((d) => d.site ?? "")).toEqual([""]);
    const summary = (await get(api, "/v1/summary?start=-2h&site=site-b", keys.admin)).body as {
      devices: { total: number };
      metrics: { devices: number; count: number }[];
    };
    expect(summary.devices.total).toBe(2);
    expect(summary.metrics).toEqual([expect.objectContaining({ devices: 2, count: 40 + 10 })]);
    const stats = (await get(api, "/client_statistics?start=-2h", keys.byClient.client_1)).body as {
      statistics: { objects: number; count: number }[];
    };
    // Three devices (the same id at two sites and untagged), all of client_1's points.
    expect(stats.statistics).toEqual([expect.objectContaining({ objects: 3, count: 20 + 30 + 40 })]);
    const mine = (await get(api, "/v1/devices", keys.byClient.client_1)).body as { devices: Device[] };
    expect(mine.devices.map((d) => d.site ?? "")).toEqual(["", "site-a", "site-b"]);
    const foreign = await get(api, "/v1/devices/device_7?site=site-b", keys.byClient.client_1);
    expect(foreign.status).toBe(404);
    expect((await get(api, "/v1/devices/device_1?site=site-c", keys.admin)).status).toBe(404);
    expect((await get(api, "/v1/devices?site=bad%20site", keys.admin)).status).toBe(400);
  });
});
