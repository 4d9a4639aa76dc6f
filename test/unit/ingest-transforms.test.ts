import * as ss from "simple-statistics";
import { describe, expect, it } from "vitest";
import type { Sample } from "../../ingest/sample.js";
import { AnomalyDetector, DEFAULT_RULES, SilenceTracker } from "../../ingest/transforms/anomaly-rules.js";
import { RollingWindow } from "../../ingest/transforms/rolling-stats.js";
import { parseWindowSpec } from "../../ingest/transforms/window-spec.js";
import { Watermarks } from "../../ingest/transforms/watermark.js";

const MIN_US = 60_000_000;
const sample = (
  timeUs: number,
  value: number,
  device = "device_1",
  metric: Sample["metric"] = "temperature",
): Sample => ({
  device,
  client: "client_1",
  type: "temperature_sensor",
  metric,
  timeUs,
  value,
});

describe("Watermarks", () => {
  it("yields each sample once over overlapping, shuffled and duplicated windows", () => {
    const marks = new Watermarks();
    const window = (endMin: number) =>
      Array.from({ length: 10 }, (_, i) => sample((endMin - i) * MIN_US, endMin - i));
    const seen: number[] = [];
    for (const batch of [
      window(10),
      window(12),
      [...window(12)].reverse(),
      [...window(13), ...window(13)],
      window(11),
    ]) {
      const { fresh } = marks.select(batch);
      marks.advance(fresh);
      seen.push(...fresh.map((s) => s.timeUs / MIN_US));
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });

  it("counts duplicates and keeps devices and metrics apart", () => {
    const marks = new Watermarks();
    marks.raise("device_1", "temperature", 5 * MIN_US);
    const { fresh, duplicates } = marks.select([
      sample(5 * MIN_US, 1),
      sample(6 * MIN_US, 2),
      sample(6 * MIN_US, 2),
      sample(1 * MIN_US, 3, "device_2"),
      sample(1 * MIN_US, 4, "device_1", "battery_level"),
    ]);
    expect(fresh.map((s) => [s.device, s.metric, s.timeUs / MIN_US])).toEqual([
      ["device_2", "temperature", 1],
      ["device_1", "battery_level", 1],
      ["device_1", "temperature", 6],
    ]);
    expect(duplicates).toBe(2);
  });

  it("never lowers a watermark", () => {
    const marks = new Watermarks();
    marks.raise("d", "m", 10);
    marks.raise("d", "m", 5);
    expect(marks.get("d", "m")).toBe(10);
  });
});

describe("RollingWindow", () => {
  it("parses window specs", () => {
    expect(parseWindowSpec("60")).toEqual({ kind: "count", size: 60 });
    expect(parseWindowSpec("15m")).toEqual({ kind: "duration", us: 900e6 });
    expect(parseWindowSpec("1")).toBeNull();
    expect(parseWindowSpec("1y")).toBeNull();
    expect(parseWindowSpec("-5m")).toBeNull();
  });

  it("keeps the last N samples", () => {
    const w = new RollingWindow({ kind: "count", size: 3 });
    [1, 2, 3, 4, 5].forEach((v, i) => w.push(i, v));
    expect(w.values()).toEqual([3, 4, 5]);
    const { p95, ...rest } = w.summary()!;
    expect(rest).toEqual({ mean: 4, min: 3, max: 5, stddev: 1, count: 3, timeUs: 4 });
    expect(p95).toBeCloseTo(4.9, 12); // simple-statistics interpolates between ranks
  });

  it("summarises values in any order without reordering the window", () => {
    const w = new RollingWindow({ kind: "count", size: 10 });
    const values = [5, -2, 9.5, 0, 7, 7, 1e-3, 3];
    values.forEach((v, i) => w.push(i, v));
    const { p95, ...rest } = w.summary()!;
    expect(rest).toEqual({
      mean: ss.mean(values),
      min: -2,
      max: 9.5,
      stddev: ss.sampleStandardDeviation(values),
      count: 8,
      timeUs: 7,
    });
    expect(p95).toBe(
      ss.quantileSorted(
        [...values].sort((a, b) => a - b),
        0.95,
      ),
    );
    expect(w.values()).toEqual(values);
  });

  it("keeps the last duration of samples", () => {
    const w = new RollingWindow({ kind: "duration", us: 3 * MIN_US });
    for (let m = 0; m < 10; m++) w.push(m * MIN_US, m);
    expect(w.values()).toEqual([7, 8, 9]);
  });

  it("stays correct past compaction", () => {
    const w = new RollingWindow({ kind: "count", size: 10 });
    for (let i = 0; i < 5000; i++) w.push(i, i);
    expect(w.values()).toEqual(Array.from({ length: 10 }, (_, i) => 4990 + i));
  });
});

describe("AnomalyDetector", () => {
  const fresh = () => new RollingWindow({ kind: "count", size: 60 });
  /** Runs values through one detector, one per minute, each judged then joined to `window`; the rules each fired. */
  const run = (d: AnomalyDetector, values: number[], metric: Sample["metric"] = "temperature", w = fresh()) =>
    values.map((v, i) => {
      const s = sample(i * MIN_US, v, "device_1", metric);
      const events = d.evaluate(s, w);
      w.push(s.timeUs, s.value);
      return events.map((e) => e.rule);
    });

  it("fires a threshold when it is crossed, not again until the value is back inside by the hysteresis", () => {
    const d = new AnomalyDetector(DEFAULT_RULES);
    expect(d.evaluate(sample(1, 29.99), fresh())).toEqual([]);
    const [high] = d.evaluate(sample(2, 40), fresh());
    expect(high).toMatchObject({
      rule: "threshold_high",
      threshold: 32,
      value: 40,
      score: 8,
      baseline: null,
    });
    expect(d.evaluate(sample(3, 5), fresh())[0]).toMatchObject({ rule: "threshold_low", threshold: 15 });
    // Hovering at the bound (hysteresis 1 degree): one event per real excursion.
    const fired = [33, 31.5, 33, 31.9, 30.9, 33].map((v, i) =>
      d.evaluate(sample(10 + i, v, "device_2"), fresh()).map((e) => e.rule),
    );
    expect(fired).toEqual([["threshold_high"], [], [], [], [], ["threshold_high"]]);
  });

  it("reports a low battery once when it starts, again only after it recovered past the hysteresis", () => {
    const d = new AnomalyDetector({
      ...DEFAULT_RULES,
      batteryDrain: { ...DEFAULT_RULES.batteryDrain, points: 100 },
    });
    const levels = [16, 14, 13, 14, 16, 19, 14, 12, 30, 14, 5];
    const events = levels.map((v, i) =>
      d.evaluate(sample(i * MIN_US, v, "device_1", "battery_level"), fresh()),
    );
    expect(events.map((e) => e.map((x) => x.rule))).toEqual([
      [],
      ["battery_low"],
      [],
      [],
      [],
      [],
      [],
      [],
      [],
      ["battery_low"],
      [],
    ]);
    expect(events[1]![0]).toMatchObject({ severity: "warning", threshold: 15, score: 1 });
    const critical = new AnomalyDetector(DEFAULT_RULES).evaluate(
      sample(0, 5, "device_1", "battery_level"),
      fresh(),
    );
    expect(critical[0]).toMatchObject({ rule: "battery_low", severity: "critical" });
  });

  it("flags a fast battery discharge once per episode, never the slow normal one or a recharge", () => {
    const d = new AnomalyDetector(DEFAULT_RULES);
    // Normal: a point every half hour or so (one minute apart here: a 1-point step is still normal).
    const normal = [80, 80, 79, 79, 79, 78];
    const drain = [74, 70, 66, 62];
    const after = [78, 78, 100, 100];
    const fired = run(d, [...normal, ...drain, ...after], "battery_level");
    expect(fired.flat()).toEqual(["battery_drain"]);
    expect(fired[normal.length]).toEqual(["battery_drain"]);
    const w = fresh();
    for (let i = -4; i <= 0; i++) w.push(i * 10 * MIN_US, 50);
    const [e] = new AnomalyDetector(DEFAULT_RULES).evaluate(
      sample(10 * MIN_US, 46, "device_1", "battery_level"),
      w,
    );
    // 4 points in 10 minutes: 24 points an hour, judged against the previous reading.
    expect(e).toMatchObject({ rule: "battery_drain", baseline: 50, threshold: 12, score: 24, value: 46 });
    // A battery served as noise (uniform values, as the upstream's own API does) never drains.
    const noise = [80, 12, 55, 97, 31, 64, 7, 88, 45, 70, 20, 93, 38, 61, 5, 77, 50, 29];
    expect(run(new AnomalyDetector(DEFAULT_RULES), noise, "battery_level").flat()).not.toContain(
      "battery_drain",
    );
    // 3 points over 3 hours is a normal discharge, whatever the gap between readings.
    const slow = fresh();
    for (let i = -4; i <= 0; i++) slow.push(i * 180 * MIN_US, 50);
    expect(
      new AnomalyDetector(DEFAULT_RULES).evaluate(
        sample(180 * MIN_US, 47, "device_1", "battery_level"),
        slow,
      ),
    ).toEqual([]);
  });

  it("flags a z-score outlier against the past once the window is full enough, and no small change", () => {
    const d = new AnomalyDetector({ ...DEFAULT_RULES, thresholds: {}, minChange: { temperature: 2 } });
    const w = fresh();
    for (let i = 0; i < 30; i++) {
      const s = sample(i, 25 + (i % 2 ? 0.05 : -0.05));
      expect(d.evaluate(s, w)).toEqual([]);
      w.push(s.timeUs, s.value);
    }
    // 1.5 degrees is 29 standard deviations here, but under the metric's minimum change.
    expect(d.evaluate(sample(31, 26.5), w).map((e) => e.rule)).toEqual([]);
    const events = d.evaluate(sample(31, 29), w);
    expect(events.map((e) => e.rule)).toEqual(["zscore", "level_shift"]);
    expect(events[0]).toMatchObject({ rule: "zscore", baseline: 25, threshold: 4 });
    expect(events[0]!.score).toBeGreaterThan(4);
  });

  it("flags a departure from the device's own recent level, even inside the normal range and after an outlier", () => {
    const d = new AnomalyDetector({ ...DEFAULT_RULES, thresholds: {} });
    // Humidity 60 +- 1 with a spike in its recent past; a drop to 33 stays inside [30, 85].
    // (A full window, ten samples, is needed before a level is known.)
    const fired = run(
      d,
      [60, 61, 60, 61, 60, 61, 60, 61, 60, 61, 99, 61, 60, 59, 60, 61, 60, 33, 34, 60, 61],
      "humidity",
    );
    const at = [10, 17, 18];
    for (const i of at) expect(fired[i]).toEqual(["level_shift"]);
    expect(fired.filter((_, i) => !at.includes(i)).flat()).toEqual([]);
    const w = fresh();
    for (const v of [60, 61, 60, 61, 60, 61, 60, 61, 60, 61]) w.push(w.count * MIN_US, v);
    const [e] = d.evaluate(sample(10 * MIN_US, 40, "device_1", "humidity"), w);
    expect(e).toMatchObject({ rule: "level_shift", baseline: 60.5, threshold: 12, score: 20.5 });
    // A slow trend (the daily cycle) never departs from its recent level.
    const trend = Array.from({ length: 120 }, (_, i) => Math.round(50 + i / 4));
    expect(run(new AnomalyDetector({ ...DEFAULT_RULES, thresholds: {} }), trend, "humidity").flat()).toEqual(
      [],
    );
  });

  it("flags a stuck sensor once per run", () => {
    const d = new AnomalyDetector(DEFAULT_RULES);
    const rules = [21, 22, 22, 22, 22, 22, 22, 22, 23, 23].map((v, i) =>
      d.evaluate(sample(i, v), fresh()).map((e) => e.rule),
    );
    expect(rules.flat()).toEqual(["stuck"]);
    expect(rules[5]).toEqual(["stuck"]);
  });

  it("forgets a device's conditions with the device", () => {
    const d = new AnomalyDetector(DEFAULT_RULES);
    expect(d.evaluate(sample(0, 10, "device_1", "battery_level"), fresh()).map((e) => e.rule)).toEqual([
      "battery_low",
    ]);
    expect(d.evaluate(sample(1, 10, "device_1", "battery_level"), fresh())).toEqual([]);
    d.forget("device_1");
    expect(d.evaluate(sample(2, 10, "device_1", "battery_level"), fresh()).map((e) => e.rule)).toEqual([
      "battery_low",
    ]);
  });
});

describe("SilenceTracker", () => {
  it("emits silent once after K quiet cycles and back once data returns", () => {
    const t = new SilenceTracker(3);
    const dev = { id: "device_1", client: "client_1", type: "temperature_sensor" };
    const rules = [true, false, false, false, false, true, true].map(
      (got, i) => t.observe(dev, got, i)?.rule ?? null,
    );
    expect(rules).toEqual([null, null, null, "silent", null, "back", null]);
  });
});

describe("RollingWindow memory", () => {
  it("holds at most about twice its size however long it runs (a day of minutes, and a week)", () => {
    for (const minutes of [1440, 10_080]) {
      const window = new RollingWindow({ kind: "count", size: 60 });
      let most = 0;
      for (let m = 0; m < minutes; m++) {
        window.push(m * MIN_US, m % 7);
        most = Math.max(most, window.retained);
      }
      expect(window.count).toBe(60);
      expect(most).toBeLessThanOrEqual(2 * 60 + 16);
    }
    const timed = new RollingWindow({ kind: "duration", us: 60 * MIN_US });
    let most = 0;
    for (let m = 0; m < 10_080; m++) {
      timed.push(m * MIN_US, 1);
      most = Math.max(most, timed.retained);
    }
    expect(timed.count).toBe(60);
    expect(most).toBeLessThanOrEqual(2 * 60 + 16);
  });
});
