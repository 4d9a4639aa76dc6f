// Realistic mode: seeded, consistent over time, and its ground truth matches
// what it serves.
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../simulator/server.js";
import {
  type History,
  type Reading,
  getJson,
  parseServed,
  testClock,
  useSimulator,
} from "./simulator-helpers.js";

const START = Date.UTC(2026, 10, 26, 10, 15, 30, 250);
const DEVICES = ["device_1", "device_2", "device_3", "device_4", "device_5", "device_6"];

interface Truth {
  device: string;
  client: string;
  type: string;
  metric: string;
  kind: string;
  timestamp: string;
  minutes: number;
  value: number;
}

const minuteOf = (ts: string) => Math.floor(parseServed(ts) / 60_000);

describe("realistic mode: determinism", () => {
  const clockA = testClock(START);
  const clockB = testClock(START);
  const a = useSimulator({ signal: "realistic", seed: 42, now: clockA.now });
  const b = useSimulator({ signal: "realistic", seed: 42, now: clockB.now });
  const c = useSimulator({ signal: "realistic", seed: 43, now: clockA.now });

  it("the same seed gives the same answers, call after call", async () => {
    for (const id of DEVICES) {
      for (const path of [`/iot_objects/${id}`, `/iot_data/${id}`, `/iot_objects/${id}/history`]) {
        const first = await getJson(`${a.current.url}${path}`);
        expect(first.status).toBe(200);
        expect((await getJson(`${a.current.url}${path}`)).body).toEqual(first.body);
        expect((await getJson(`${b.current.url}${path}`)).body).toEqual(first.body);
      }
    }
    const truth = (s: { url: string }) =>
      getJson(`${s.url}/_sim/truth?from=2026-11-25T00:00:00&to=2026-11-26T10:00:00`);
    expect((await truth(a.current)).body).toEqual((await truth(b.current)).body);
  });

  it("different seeds give different values", async () => {
    const x = await getJson<History>(`${a.current.url}/iot_objects/device_1/history`);
    const y = await getJson<History>(`${c.current.url}/iot_objects/device_1/history`);
    expect(y.body.history.map((e) => e.timestamp)).toEqual(x.body.history.map((e) => e.timestamp));
    expect(y.body.history.map((e) => e.value)).not.toEqual(x.body.history.map((e) => e.value));
  });

  it("overlapping history windows agree on their common minutes", async () => {
    for (const id of DEVICES) {
      clockA.set(START);
      const first = (await getJson<History>(`${a.current.url}/iot_objects/${id}/history`)).body.history;
      clockA.advance(3 * 60_000 + 17_345.5); // 3 minutes and some seconds later
      const second = (await getJson<History>(`${a.current.url}/iot_objects/${id}/history`)).body.history;
      const byMinute = new Map(first.map((e) => [minuteOf(e.timestamp), e.value]));
      let common = 0;
      for (const e of second) {
        const earlier = byMinute.get(minuteOf(e.timestamp));
        if (earlier === undefined) continue;
        common++;
        expect(e.value, `${id} at ${e.timestamp}`).toBe(earlier);
      }
      expect(common).toBeGreaterThanOrEqual(6);
    }
  });

  it("the current reading equals the newest history value of the same minute", async () => {
    for (const id of DEVICES) {
      const reading = (await getJson<Reading>(`${a.current.url}/iot_objects/${id}`)).body;
      const history = (await getJson<History>(`${a.current.url}/iot_objects/${id}/history`)).body;
      const m = reading.metrics;
      const value = m.temperature ?? m.humidity ?? m.activity_level;
      expect(value).toBe(history.history[0]!.value);
    }
  });

  it("the signal is smooth: consecutive normal temperatures differ by little", async () => {
    clockA.set(START);
    const url = a.current.url;
    const { body } = await getJson<History>(`${url}/iot_objects/device_4/history`);
    const truth = (
      await getJson<{ anomalies: Truth[] }>(
        `${url}/_sim/truth?device=device_4&from=2026-11-26T09:50:00&to=2026-11-26T10:16:00`,
      )
    ).body.anomalies;
    const covered = new Set<number>();
    for (const t of truth) for (let k = 0; k < t.minutes; k++) covered.add(minuteOf(t.timestamp) + k);
    let pairs = 0;
    for (let k = 1; k < body.history.length; k++) {
      const [newer, older] = [body.history[k - 1]!, body.history[k]!];
      if (covered.has(minuteOf(newer.timestamp)) || covered.has(minuteOf(older.timestamp))) continue;
      pairs++;
      expect(Math.abs(newer.value - older.value)).toBeLessThan(1);
    }
    expect(pairs).toBeGreaterThan(0);
  });
});

describe("realistic mode: ground truth matches what was served", () => {
  const RATE = 0.02;
  const clock = testClock(Date.UTC(2026, 10, 26, 18, 0, 30));
  const sim = useSimulator({
    signal: "realistic",
    seed: 7,
    anomalyRate: RATE,
    now: clock.now,
    historyQuery: true,
  });
  const url = (p: string) => `${sim.current.url}${p}`;
  const FROM = "2026-11-26T12:00:00";
  const TO = "2026-11-26T18:00:00";

  const NORMAL: Record<string, [number, number]> = {
    temperature: [20, 30],
    humidity: [40, 80],
    activity_level: [40, 80],
    battery_level: [10, 100],
  };

  async function servedByMinute(device: string): Promise<Map<number, number>> {
    clock.set(Date.UTC(2026, 10, 26, 18, 0, 30));
    const { body } = await getJson<History>(url(`/iot_objects/${device}/history?limit=400`));
    return new Map(body.history.map((e) => [minuteOf(e.timestamp), e.value]));
  }

  async function batteryAt(device: string, minute: number): Promise<number> {
    clock.set(minute * 60_000 + 30_000);
    return (await getJson<Reading>(url(`/iot_objects/${device}`))).body.metrics.battery_level;
  }

  it("lists episodes of every kind, with the documented shape", async () => {
    const { status, body } = await getJson<{ anomalies: Truth[] }>(url(`/_sim/truth?from=${FROM}&to=${TO}`));
    expect(status).toBe(200);
    expect(body.anomalies.length).toBeGreaterThan(20);
    expect(new Set(body.anomalies.map((t) => t.kind))).toEqual(
      new Set(["spike", "stuck", "drop", "battery_drain"]),
    );
    for (const t of body.anomalies) {
      expect(Object.keys(t)).toEqual([
        "device",
        "client",
        "type",
        "metric",
        "kind",
        "timestamp",
        "minutes",
        "value",
      ]);
      expect(t.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000000$/);
    }
  });

  it("every truth entry is visible, in the stated way, in the served values", async () => {
    const { body } = await getJson<{ anomalies: Truth[] }>(url(`/_sim/truth?from=${FROM}&to=${TO}`));
    const checked: Record<string, number> = {};
    for (const id of DEVICES) {
      const served = await servedByMinute(id);
      const mine = body.anomalies.filter((t) => t.device === id);
      const covered = new Set<number>();
      for (const t of mine) for (let k = 0; k < t.minutes; k++) covered.add(minuteOf(t.timestamp) + k);

      for (const t of mine) {
        const start = minuteOf(t.timestamp);
        const last = start + t.minutes - 1;
        if (start < minuteOf(FROM) || last > minuteOf(`${TO}:00.000000`) - 1) continue; // clipped at the edges
        checked[t.kind] = (checked[t.kind] ?? 0) + 1;
        if (t.metric === "battery_level") {
          expect(t.kind).toBe("battery_drain");
          const first = await batteryAt(id, start);
          expect(first).toBe(t.value);
          const end = await batteryAt(id, last);
          expect(end).toBeLessThanOrEqual(Math.max(0, first - 3 * (t.minutes - 1)));
          continue;
        }
        const value = served.get(start);
        expect(value, `${t.kind} ${id} ${t.timestamp}`).toBe(t.value);
        const [lo, hi] = NORMAL[t.metric]!;
        if (t.kind === "spike") {
          const far = t.metric === "temperature" ? value! > 35 || value! < 10 : value! > 95 || value! < 20;
          expect(far, `spike ${value}`).toBe(true);
          expect(value! > hi || value! < lo).toBe(true);
        } else if (t.kind === "stuck") {
          expect(t.minutes).toBeGreaterThanOrEqual(5);
          for (let k = 1; k < t.minutes; k++) expect(served.get(start + k)).toBe(value);
        } else if (t.kind === "drop" && !covered.has(start - 1)) {
          const before = served.get(start - 1)!;
          expect(before - value!).toBeGreaterThanOrEqual(t.metric === "temperature" ? 7 : 20);
        }
      }

      // Outside the truth, values stay in the upstream's ranges.
      for (const [minute, value] of served) {
        if (covered.has(minute) || minute < minuteOf(FROM) || minute > minuteOf(TO)) continue;
        const metric = id === "device_1" || id === "device_4" ? "temperature" : "humidity";
        const [lo, hi] = NORMAL[metric]!;
        expect(value).toBeGreaterThanOrEqual(lo);
        expect(value).toBeLessThanOrEqual(hi);
      }
    }
    expect(Object.keys(checked).sort()).toEqual(["battery_drain", "drop", "spike", "stuck"]);
  });

  it("truth filters by device, and a rate of 0 injects nothing", async () => {
    const one = await getJson<{ anomalies: Truth[] }>(
      url(`/_sim/truth?device=device_3&from=${FROM}&to=${TO}`),
    );
    expect(one.body.anomalies.length).toBeGreaterThan(0);
    expect(one.body.anomalies.every((t) => t.device === "device_3" && t.client === "client_2")).toBe(true);
    const quiet = await startSimulator({ signal: "realistic", seed: 7, anomalyRate: 0, now: clock.now });
    try {
      const none = await getJson<{ anomalies: Truth[] }>(`${quiet.url}/_sim/truth?from=${FROM}&to=${TO}`);
      expect(none.body).toEqual({ anomalies: [] });
    } finally {
      await quiet.stop();
    }
  });

  it("bad truth queries -> 400/404 JSON", async () => {
    expect((await getJson(url("/_sim/truth?from=nope"))).status).toBe(400);
    expect((await getJson(url(`/_sim/truth?from=${TO}&to=${FROM}`))).status).toBe(400);
    expect((await getJson(url("/_sim/truth?device=device_99"))).body).toEqual({ error: "Device not found" });
    const huge = await getJson<{ error: string }>(
      url("/_sim/truth?from=1970-01-01T00:00:00&to=2026-01-01T00:00:00"),
    );
    expect(huge.status).toBe(400);
    expect(huge.body.error).toMatch(/window/);
  });
});
