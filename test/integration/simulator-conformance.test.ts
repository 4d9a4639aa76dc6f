// Faithful mode against every point of docs/upstream-iot-api.md (the upstream's contract),
// over real HTTP.
import { describe, expect, it } from "vitest";
import {
  type History,
  type Reading,
  TIMESTAMP,
  getJson,
  isTwoDecimalFloat,
  parseServed,
  testClock,
  useSimulator,
} from "./simulator-helpers.js";

const REFERENCE = [
  { id: "device_1", client: "client_1", type: "temperature_sensor" },
  { id: "device_2", client: "client_1", type: "humidity_sensor" },
  { id: "device_3", client: "client_2", type: "activity_tracker" },
  { id: "device_4", client: "client_2", type: "temperature_sensor" },
  { id: "device_5", client: "client_3", type: "humidity_sensor" },
  { id: "device_6", client: "client_3", type: "activity_tracker" },
];
const SAMPLES = 60;

const clock = testClock();
const sim = useSimulator({ now: clock.now });
const url = (path: string) => `${sim.current.url}${path}`;

function checkReadingMetrics(r: Reading): void {
  const m = r.metrics;
  expect(Object.keys(m).sort()).toEqual(["activity_level", "battery_level", "humidity", "temperature"]);
  expect(Number.isInteger(m.battery_level)).toBe(true);
  expect(m.battery_level).toBeGreaterThanOrEqual(10);
  expect(m.battery_level).toBeLessThanOrEqual(100);
  if (r.type === "temperature_sensor") {
    expect(isTwoDecimalFloat(m.temperature)).toBe(true);
    expect(m.temperature).toBeGreaterThanOrEqual(20);
    expect(m.temperature).toBeLessThanOrEqual(30);
  } else expect(m.temperature).toBeNull();
  if (r.type === "humidity_sensor") {
    expect(Number.isInteger(m.humidity)).toBe(true);
    expect(m.humidity).toBeGreaterThanOrEqual(40);
    expect(m.humidity).toBeLessThanOrEqual(80);
  } else expect(m.humidity).toBeNull();
  if (r.type === "activity_tracker") {
    expect(Number.isInteger(m.activity_level)).toBe(true);
    expect(m.activity_level).toBeGreaterThanOrEqual(0);
    expect(m.activity_level).toBeLessThanOrEqual(100);
  } else expect(m.activity_level).toBeNull();
}

describe("simulator conformance (faithful mode)", () => {
  it("GET / answers a French welcome with message and hint", async () => {
    const { status, body, type } = await getJson<Record<string, unknown>>(url("/"));
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    expect(Object.keys(body).sort()).toEqual(["hint", "message"]);
    expect(typeof body.message).toBe("string");
    expect(typeof body.hint).toBe("string");
    expect(String(body.message)).toMatch(/Bienvenue/);
  });

  it("GET /iot_objects lists exactly the reference fleet", async () => {
    const { status, body, type } = await getJson(url("/iot_objects"));
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    expect(body).toEqual(REFERENCE);
    for (const entry of body as Record<string, unknown>[])
      expect(Object.keys(entry)).toEqual(["id", "client", "type"]);
  });

  it("GET /iot_objects/by_client/{client} lists that client's two objects of different types", async () => {
    for (const client of ["client_1", "client_2", "client_3"]) {
      const { status, body } = await getJson<typeof REFERENCE>(url(`/iot_objects/by_client/${client}`));
      expect(status).toBe(200);
      expect(body).toEqual(REFERENCE.filter((d) => d.client === client));
      expect(new Set(body.map((d) => d.type)).size).toBe(2);
    }
  });

  it("unknown client -> 404 with the upstream's body", async () => {
    for (const client of ["client_4", "client_0", "nobody", "client_01"]) {
      const res = await getJson(url(`/iot_objects/by_client/${client}`));
      expect(res.status).toBe(404);
      expect(res.type).toMatch(/^application\/json/);
      expect(res.body).toEqual({ error: "No devices found for this client" });
    }
  });

  it("GET /iot_objects/{id} serves the current reading with the reference's fields, types and ranges", async () => {
    for (const device of REFERENCE) {
      for (let i = 0; i < SAMPLES; i++) {
        const { status, body } = await getJson<Reading>(url(`/iot_objects/${device.id}`));
        expect(status).toBe(200);
        expect(Object.keys(body)).toEqual(["id", "client", "type", "metrics", "timestamp"]);
        expect({ id: body.id, client: body.client, type: body.type }).toEqual(device);
        checkReadingMetrics(body);
        expect(body.timestamp).toMatch(TIMESTAMP);
        expect(Math.abs(parseServed(body.timestamp) - clock.now())).toBeLessThan(1000);
      }
    }
  });

  it("GET /iot_data/{id} answers the same shape as /iot_objects/{id}", async () => {
    for (const device of REFERENCE) {
      const a = await getJson<Reading>(url(`/iot_objects/${device.id}`));
      const b = await getJson<Reading>(url(`/iot_data/${device.id}`));
      expect(b.status).toBe(200);
      expect(Object.keys(b.body)).toEqual(Object.keys(a.body));
      expect(Object.keys(b.body.metrics)).toEqual(Object.keys(a.body.metrics));
      expect({ ...b.body, metrics: null, timestamp: null }).toEqual({
        ...a.body,
        metrics: null,
        timestamp: null,
      });
      checkReadingMetrics(b.body);
      for (const key of Object.keys(a.body.metrics) as (keyof Reading["metrics"])[])
        expect(b.body.metrics[key] === null).toBe(a.body.metrics[key] === null);
    }
  });

  it("unknown device -> 404 {error: Device not found} on every device endpoint", async () => {
    for (const id of ["device_7", "device_0", "device_01", "foo"]) {
      for (const path of [`/iot_objects/${id}`, `/iot_data/${id}`, `/iot_objects/${id}/history`]) {
        const res = await getJson(url(path));
        expect(res.status).toBe(404);
        expect(res.type).toMatch(/^application\/json/);
        expect(res.body).toEqual({ error: "Device not found" });
      }
    }
  });

  it("history: exactly 10 entries, newest first, 60 s apart, ending at the clock's now", async () => {
    for (const device of REFERENCE) {
      for (let i = 0; i < SAMPLES / 6; i++) {
        clock.advance(1234.567);
        const { status, body } = await getJson<History>(url(`/iot_objects/${device.id}/history`));
        expect(status).toBe(200);
        expect(Object.keys(body)).toEqual(["id", "client", "type", "history"]);
        expect({ id: body.id, client: body.client, type: body.type }).toEqual(device);
        expect(body.history).toHaveLength(10);
        const times = body.history.map((e) => {
          expect(Object.keys(e)).toEqual(["timestamp", "value"]);
          expect(e.timestamp).toMatch(TIMESTAMP);
          return parseServed(e.timestamp);
        });
        expect(Math.abs(times[0]! - clock.now())).toBeLessThan(1000);
        for (let k = 1; k < times.length; k++) expect(times[k - 1]! - times[k]!).toBeCloseTo(60_000, 3);
        for (const { value } of body.history) {
          if (device.type === "temperature_sensor") {
            expect(isTwoDecimalFloat(value)).toBe(true);
            expect(value).toBeGreaterThanOrEqual(20);
            expect(value).toBeLessThanOrEqual(30);
          } else {
            // Activity trackers included: the upstream keeps them in [40, 80] too.
            expect(Number.isInteger(value)).toBe(true);
            expect(value).toBeGreaterThanOrEqual(40);
            expect(value).toBeLessThanOrEqual(80);
          }
        }
      }
    }
  });

  it("history timestamps carry the clock's microseconds", async () => {
    clock.set(Date.UTC(2026, 10, 26, 10, 15, 30) + 123.456);
    const { body } = await getJson<History>(url("/iot_objects/device_1/history"));
    expect(body.history[0]!.timestamp).toBe("2026-11-26T10:15:30.123456");
    expect(body.history[9]!.timestamp).toBe("2026-11-26T10:06:30.123456");
  });

  it("values are drawn afresh on every call", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const { body } = await getJson<History>(url("/iot_objects/device_1/history"));
      seen.add(JSON.stringify(body.history.map((e) => e.value)));
    }
    expect(seen.size).toBe(10);
    const temps = new Set<number | null>();
    for (let i = 0; i < 20; i++)
      temps.add((await getJson<Reading>(url("/iot_objects/device_4"))).body.metrics.temperature);
    expect(temps.size).toBeGreaterThan(10);
  });

  it("value distributions cover their ranges (uniform noise, not a constant)", async () => {
    const humidity: number[] = [];
    for (let i = 0; i < 200; i++)
      humidity.push((await getJson<Reading>(url("/iot_objects/device_2"))).body.metrics.humidity!);
    expect(Math.min(...humidity)).toBeLessThan(45);
    expect(Math.max(...humidity)).toBeGreaterThan(75);
  });

  it("query strings are ignored like the upstream does (extras are off by default)", async () => {
    const { status, body } = await getJson<History>(
      url("/iot_objects/device_1/history?limit=3&since=garbage"),
    );
    expect(status).toBe(200);
    expect(body.history).toHaveLength(10);
  });

  it("unknown paths -> 404 JSON, never 500", async () => {
    for (const path of [
      "/nope",
      "/iot_objects/device_1/history/extra",
      "/_sim/nope",
      "/iot_objects/%E0%A4%A",
    ]) {
      const res = await fetch(url(path));
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await res.json()).toHaveProperty("error");
    }
  });

  it("a wrong method is a 404 JSON, not a 500", async () => {
    const res = await fetch(url("/iot_objects"), { method: "POST", body: "x" });
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty("error");
  });

  it("counts the requests its upstream endpoints receive, by kind, in /_sim/requests", async () => {
    const before = (await getJson<Record<string, number>>(url("/_sim/requests"))).body;
    for (const path of [
      "/iot_objects",
      "/iot_objects/by_client/client_1",
      "/iot_objects/device_1",
      "/iot_data/device_2",
      "/iot_objects/device_1/history",
      "/iot_objects/device_3/history",
      "/_sim/config",
    ])
      await (await fetch(url(path))).arrayBuffer();
    const after = (await getJson<Record<string, number>>(url("/_sim/requests"))).body;
    const delta = (k: string) => after[k]! - before[k]!;
    expect({ list: delta("list"), current: delta("current"), history: delta("history") }).toEqual({
      list: 2,
      current: 2,
      history: 2,
    });
    expect(after.total).toBe(after.list! + after.current! + after.history!);
  });
});

describe("simulator history catch-up (?limit= / ?since=, opt-in)", () => {
  const clock2 = testClock(Date.UTC(2026, 0, 1, 12, 0, 0) + 0.5);
  const sim2 = useSimulator({ now: clock2.now, historyQuery: true, seed: 3 });
  const u = (p: string) => `${sim2.current.url}${p}`;

  it("limit returns that many entries, newest first", async () => {
    const { body } = await getJson<History>(u("/iot_objects/device_2/history?limit=500"));
    expect(body.history).toHaveLength(500);
    expect(body.history[0]!.timestamp).toBe("2026-01-01T12:00:00.000500");
    expect(body.history[499]!.timestamp).toBe("2026-01-01T03:41:00.000500");
  });

  it("since returns the minutes after it, newest first, capped by limit", async () => {
    const { body } = await getJson<History>(u("/iot_objects/device_2/history?since=2026-01-01T11:30:00"));
    expect(body.history).toHaveLength(31);
    expect(body.history.at(-1)!.timestamp).toBe("2026-01-01T11:30:00.000500");
    const capped = await getJson<History>(
      u("/iot_objects/device_2/history?since=2026-01-01T11:30:00&limit=5"),
    );
    expect(capped.body.history.map((e) => e.timestamp.slice(11, 16))).toEqual([
      "12:00",
      "11:59",
      "11:58",
      "11:57",
      "11:56",
    ]);
  });

  it("invalid values -> 400 JSON", async () => {
    for (const q of [
      "limit=0",
      "limit=10001",
      "limit=abc",
      "limit=-1",
      "limit=1.5",
      "since=yesterday",
      "since=2026-02-30T00:00:00",
    ]) {
      const res = await fetch(u(`/iot_objects/device_2/history?${q}`));
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/limit|since/);
    }
  });
});
