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

  it("fires thresholds outside the upstream's normal range only", () => {
    const d = new AnomalyDetector(DEFAULT_RULES);
    expect(d.evaluate(sample(1, 29.99), fresh())).toEqual([]);
    const [high] = d.evaluate(sample(2, 40), fresh());
    expect(high).toMatchObject({ rule: "threshold_high", threshold: 32, value: 40, score: 8 });
    expect(d.evaluate(sample(3, 5), fresh())[0]).toMatchObject({ rule: "threshold_low", threshold: 15 });
  });

  it("flags low battery, critical below half the bound", () => {
    const d = new AnomalyDetector(DEFAULT_RULES);
    expect(d.evaluate(sample(1, 14, "device_1", "battery_level"), fresh())[0]).toMatchObject({
      rule: "battery_low",
      severity: "warning",
    });
    expect(d.evaluate(sample(2, 5, "device_1", "battery_level"), fresh())[0]).toMatchObject({
      severity: "critical",
    });
  });

  it("flags a z-score outlier against the past once the window is full enough", () => {
    const d = new AnomalyDetector({ ...DEFAULT_RULES, thresholds: {} });
    const w = fresh();
    for (let i = 0; i < 30; i++) {
      const s = sample(i, 25 + (i % 2 ? 0.5 : -0.5));
      expect(d.evaluate(s, w)).toEqual([]);
      w.push(s.timeUs, s.value);
    }
    const events = d.evaluate(sample(31, 29), w);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ rule: "zscore", threshold: 25 });
    expect(events[0]!.score).toBeGreaterThan(4);
  });

  it("flags a stuck sensor once per run", () => {
    const d = new AnomalyDetector(DEFAULT_RULES);
    const rules = [21, 22, 22, 22, 22, 22, 22, 22, 23, 23].map((v, i) =>
      d.evaluate(sample(i, v), fresh()).map((e) => e.rule),
    );
    expect(rules.flat()).toEqual(["stuck"]);
    expect(rules[5]).toEqual(["stuck"]);
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
