// A device is (client, id): two clients hold points under device_1 in a real
// InfluxDB. An admin lists both, never mixes their data, names one with
// ?client= (without it: 409 listing both); a client key keeps seeing only its
// own, and naming another client is the usual 404.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningApi } from "../../api/server.js";
import { anomalyLine, readingLine } from "../../ingest/points.js";
import { type Metric, METRIC } from "../../shared/schema.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { type TestKeys, get, makeKeys, startTestApi } from "./api-helpers.js";

const bucket = useTestBucket(import.meta.url);
const keys: TestKeys = makeKeys("device-clients");
let api: RunningApi;

const MINUTE_US = 60_000_000;
const nowUs = Date.now() * 1000;

/** What each (client, device) holds: minutes of temperature, a level, anomaly events. */
const HELD = [
  { client: "client_1", device: "device_1", minutes: 60, base: 20, battery: 90, events: 1 },
  { client: "client_2", device: "device_1", minutes: 30, base: 40, battery: 50, events: 2 },
  { client: "client_2", device: "device_9", minutes: 10, base: 60, battery: 70, events: 0 },
] as const;

function lines(): string[] {
  const out: string[] = [];
  for (const h of HELD) {
    for (let i = 1; i <= h.minutes; i++) {
      const sample = (metric: Metric, value: number) =>
        readingLine({
          client: h.client,
          device: h.device,
          type: "temperature_sensor",
          metric,
          timeUs: nowUs - i * MINUTE_US,
          value,
        });
      out.push(sample(METRIC.temperature, h.base + (i % 5) / 10));
      if (i === 1) out.push(sample(METRIC.batteryLevel, h.battery));
    }
    for (let e = 0; e < h.events; e++)
      out.push(
        anomalyLine({
          client: h.client,
          device: h.device,
          type: "temperature_sensor",
          metric: METRIC.temperature,
          rule: "zscore",
          severity: "warning",
          timeUs: nowUs - (5 + e) * MINUTE_US,
          value: h.base + 9,
          baseline: null,
          threshold: h.base,
          score: 4,
          message: `spike on ${h.client}`,
        }),
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

/** Every route that names one device, with `client` appended when given. */
function deviceRoutes(id: string, client?: string): string[] {
  const c = client === undefined ? "" : `client=${client}`;
  const q = (rest: string) => `?${[rest, c].filter(Boolean).join("&")}`.replace(/\?$/, "");
  return [
    `/v1/devices/${id}${q("")}`,
    `/v1/devices/${id}/stats${q("start=-2h")}`,
    `/v1/devices/${id}/series${q("start=-2h&every=10m")}`,
    `/v1/devices/${id}/trend${q("start=-2h&every=10m")}`,
    `/v1/devices/${id}/anomalies${q("start=-2h")}`,
    `/processed_data${q(`object_id=${id}&start=-2h`)}`,
  ];
}

interface Stats {
  client: string;
  metrics: Record<string, { count: number; min: number; max: number }>;
}

describeWithInflux("a device is (client, id)", () => {
  it("the admin lists device_1 once per client holding it", async () => {
    const a = await get(api, "/v1/devices", keys.admin);
    expect(a.status).toBe(200);
    const body = a.body as {
      count: number;
      devices: { id: string; client: string; last_reading: unknown }[];
    };
    expect(body.devices.map((d) => [d.id, d.client])).toEqual([
      ["device_1", "client_1"],
      ["device_1", "client_2"],
      ["device_9", "client_2"],
    ]);
    expect(body.count).toBe(3);
    // Each entry carries its own client's last reading, not the other's.
    const battery = (client: string) =>
      (
        body.devices.find((d) => d.id === "device_1" && d.client === client)!.last_reading as Record<
          string,
          { value: number }
        >
      ).battery_level!.value;
    expect(battery("client_1")).toBe(90);
    expect(battery("client_2")).toBe(50);
  });

  it("an admin naming device_1 without client gets a JSON 409 listing both clients, on every device route", async () => {
    for (const path of deviceRoutes("device_1")) {
      const a = await get(api, path, keys.admin);
      expect(a.status, path).toBe(409);
      expect(a.headers.get("content-type"), path).toMatch(/application\/json/);
      expect(a.body, path).toMatchObject({
        error: "ambiguous_device",
        parameter: "client",
        clients: ["client_1", "client_2"],
      });
      expect((a.body as { message: string }).message).toMatch(/client=client_1/);
    }
  });

  it("with ?client= the admin gets only that client's points", async () => {
    for (const h of HELD.filter((x) => x.device === "device_1")) {
      for (const path of deviceRoutes("device_1", h.client)) {
        const a = await get(api, path, keys.admin);
        expect(a.status, path).toBe(200);
        // No string of the answer names the other client.
        const other = h.client === "client_1" ? "client_2" : "client_1";
        expect(a.text, path).not.toContain(other);
      }
      const stats = (await get(api, `/v1/devices/device_1/stats?start=-2h&client=${h.client}`, keys.admin))
        .body as Stats;
      expect(stats.client).toBe(h.client);
      expect(stats.metrics.temperature!.count).toBe(h.minutes);
      expect(stats.metrics.temperature!.min).toBe(h.base);
      expect(stats.metrics.temperature!.max).toBeCloseTo(h.base + 0.4, 9);
      expect(stats.metrics.battery_level!.count).toBe(1);

      const series = (
        await get(api, `/v1/devices/device_1/series?start=-2h&every=10m&client=${h.client}`, keys.admin)
      ).body as { client: string; points: { value: number }[] };
      expect(series.client).toBe(h.client);
      expect(series.points.length).toBeGreaterThan(0);
      for (const p of series.points) {
        expect(p.value).toBeGreaterThanOrEqual(h.base);
        expect(p.value).toBeLessThanOrEqual(h.base + 0.4 + 1e-9);
      }

      const anomalies = (
        await get(api, `/v1/devices/device_1/anomalies?start=-2h&client=${h.client}`, keys.admin)
      ).body as { client: string; total: number; events: { client: string }[] };
      expect(anomalies.client).toBe(h.client);
      expect(anomalies.total).toBe(h.events);
      expect(anomalies.events.every((e) => e.client === h.client)).toBe(true);

      const processed = (
        await get(api, `/processed_data?object_id=device_1&start=-2h&client=${h.client}`, keys.admin)
      ).body as { client: string; metrics: Record<string, { count: number }>; anomaly_count: number };
      expect(processed.client).toBe(h.client);
      expect(processed.metrics.temperature!.count).toBe(h.minutes);
      expect(processed.anomaly_count).toBe(h.events);

      const trend = (
        await get(api, `/v1/devices/device_1/trend?start=-2h&every=10m&client=${h.client}`, keys.admin)
      ).body as { client: string; points: number };
      expect(trend.client).toBe(h.client);
      // 10-minute windows over this client's minutes only (the other's would add none here, but
      // mixed values would move the slope): as many windows as its minutes span.
      expect(trend.points).toBeGreaterThanOrEqual(h.minutes / 10);
      expect(trend.points).toBeLessThanOrEqual(h.minutes / 10 + 1);
    }
  });

  it("an id only one client holds needs no client parameter; a client not holding it is a 404", async () => {
    for (const path of deviceRoutes("device_9")) {
      const a = await get(api, path, keys.admin);
      expect(a.status, path).toBe(200);
      expect(a.text).toContain('"client_2"');
    }
    for (const path of deviceRoutes("device_1", "client_3")) {
      const a = await get(api, path, keys.admin);
      expect(a.status, path).toBe(404);
      expect(a.body).toEqual({ error: "not_found", message: "device not found" });
    }
  });

  it("a client key: unchanged without the parameter, its own client accepted, another client a 404 like any foreign device", async () => {
    const key = keys.byClient.client_1!;
    const unknown = await get(api, "/v1/devices/device_999", key);
    for (const [i, path] of deviceRoutes("device_1").entries()) {
      const plain = await get(api, path, key);
      expect(plain.status, path).toBe(200);
      expect(plain.text).not.toContain("client_2");
      const own = await get(api, deviceRoutes("device_1", "client_1")[i]!, key);
      expect(own.status, path).toBe(200);
      const foreign = await get(api, deviceRoutes("device_1", "client_2")[i]!, key);
      expect(foreign.status, path).toBe(404);
      expect(foreign.text).toBe(unknown.text);
    }
    const stats = (await get(api, "/v1/devices/device_1/stats?start=-2h", key)).body as Stats;
    expect(stats.client).toBe("client_1");
    expect(stats.metrics.temperature!.count).toBe(60);
    const list = (await get(api, "/v1/devices", keys.byClient.client_2)).body as {
      devices: { id: string; client: string }[];
    };
    expect(list.devices.map((d) => `${d.client}/${d.id}`)).toEqual([
      "client_2/device_1",
      "client_2/device_9",
    ]);
    const c2 = (await get(api, "/v1/devices/device_1/stats?start=-2h", keys.byClient.client_2)).body as Stats;
    expect(c2.metrics.temperature!.count).toBe(30);
  });

  it("fleet answers count (client, id) pairs: three devices for the admin", async () => {
    const summary = (await get(api, "/v1/summary?start=-2h", keys.admin)).body as {
      devices: { total: number; by_type: Record<string, number> };
      metrics: { type: string; metric: string; devices: number; count: number }[];
    };
    expect(summary.devices.total).toBe(3);
    expect(summary.devices.by_type).toEqual({ temperature_sensor: 3 });
    const temperature = summary.metrics.find((m) => m.metric === "temperature")!;
    expect(temperature.devices).toBe(3);
    expect(temperature.count).toBe(60 + 30 + 10);
    const cs = (await get(api, "/client_statistics?start=-2h", keys.admin)).body as {
      statistics: { metric: string; objects: number }[];
    };
    expect(cs.statistics.find((s) => s.metric === "temperature")!.objects).toBe(3);
  });
});
