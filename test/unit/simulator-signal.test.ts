import { describe, expect, it } from "vitest";
import { formatTimestamp, parseTimestamp, scaledClock } from "../../simulator/clock.js";
import { generatedDevice } from "../../simulator/fleet.js";
import { hash32, mulberry32 } from "../../simulator/random.js";
import { faithfulHistoryValue, faithfulMetrics, normalValue } from "../../simulator/signal.js";
import { realisticReadings } from "../../simulator/readings.js";

describe("timestamps", () => {
  it("formats ISO-8601 without a zone, with microseconds", () => {
    expect(formatTimestamp(Date.UTC(2026, 10, 26, 10, 15, 30, 123) + 0.456)).toBe(
      "2026-11-26T10:15:30.123456",
    );
    expect(formatTimestamp(Date.UTC(2026, 0, 1))).toBe("2026-01-01T00:00:00.000000");
  });

  it("parses served timestamps (naive = UTC) and zoned ones", () => {
    expect(parseTimestamp("2026-11-26T10:15:30.123456")).toBeCloseTo(
      Date.UTC(2026, 10, 26, 10, 15, 30, 123) + 0.456,
      3,
    );
    expect(parseTimestamp("2026-11-26T10:15:30Z")).toBe(Date.UTC(2026, 10, 26, 10, 15, 30));
    expect(parseTimestamp("2026-11-26T12:15:30+02:00")).toBe(Date.UTC(2026, 10, 26, 10, 15, 30));
    for (const bad of ["", "yesterday", "2026-02-30T00:00:00", "2026-11-26 10:15:30", "2026-11-26T25:00:00"])
      expect(parseTimestamp(bad), bad).toBeNull();
  });

  it("keeps years below 100 (Date.UTC would map them to 19xx)", () => {
    expect(new Date(parseTimestamp("0001-01-01T00:00:00")!).getUTCFullYear()).toBe(1);
  });

  it("round-trips", () => {
    const t = Date.UTC(2030, 5, 15, 23, 59, 59, 999) + 0.25;
    expect(parseTimestamp(formatTimestamp(t))).toBeCloseTo(t, 3);
  });
});

describe("clock", () => {
  it("runs timeScale times faster from its creation", () => {
    let t = 1_000_000;
    const now = scaledClock(() => t, 60);
    expect(now()).toBe(1_000_000);
    t += 1000;
    expect(now()).toBe(1_000_000 + 60_000);
  });
});

describe("seeded randomness", () => {
  it("mulberry32 repeats its sequence for a seed and differs across seeds", () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const c = mulberry32(2);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it("hash32 is deterministic and handles values beyond 32 bits", () => {
    expect(hash32(1, 2, 3)).toBe(hash32(1, 2, 3));
    expect(hash32(1, 2, 3)).not.toBe(hash32(1, 2, 4));
    expect(hash32(2 ** 32)).not.toBe(hash32(0));
  });
});

describe("faithful values", () => {
  it("stay in the upstream's ranges and types", () => {
    const rng = mulberry32(99);
    for (let i = 0; i < 2000; i++) {
      const t = faithfulMetrics("temperature_sensor", rng);
      expect(t.temperature! >= 20 && t.temperature! <= 30).toBe(true);
      expect(Math.round(t.temperature! * 100) / 100).toBe(t.temperature);
      expect(t.humidity).toBeNull();
      expect(Number.isInteger(t.battery_level) && t.battery_level >= 10 && t.battery_level <= 100).toBe(true);
      const a = faithfulMetrics("activity_tracker", rng);
      expect(Number.isInteger(a.activity_level) && a.activity_level! >= 0 && a.activity_level! <= 100).toBe(
        true,
      );
      const h = faithfulHistoryValue("activity_tracker", rng);
      expect(Number.isInteger(h) && h >= 40 && h <= 80).toBe(true);
    }
  });
});

describe("realistic values", () => {
  it("are a pure function of (seed, device, minute)", () => {
    const device = generatedDevice(17, 5);
    const r1 = realisticReadings(3, 0.01);
    const r2 = realisticReadings(3, 0.01);
    const t = Date.UTC(2026, 10, 26, 10, 15, 1);
    expect(r1.metrics(device, t)).toEqual(r2.metrics(device, t));
    // Anywhere in the same minute reads the same.
    expect(r1.historyValue(device, t)).toBe(r1.historyValue(device, t + 58_000));
    expect(realisticReadings(4, 0.01).historyValue(device, t)).not.toBe(r1.historyValue(device, t + 1));
  });

  it("have a daily cycle and stay in the faithful ranges without anomalies", () => {
    const day = Math.floor(Date.UTC(2026, 10, 26) / 60_000);
    const temps: number[] = [];
    for (let m = 0; m < 1440; m++) {
      const v = normalValue(1, 1, "temperature", day + m);
      temps.push(v);
      expect(v >= 20 && v <= 30).toBe(true);
      for (const metric of ["humidity", "activity_level"] as const) {
        const x = normalValue(1, 2, metric, day + m);
        expect(Number.isInteger(x) && x >= 40 && x <= 80).toBe(true);
      }
      const b = normalValue(1, 3, "battery_level", day + m);
      expect(Number.isInteger(b) && b >= 10 && b <= 100).toBe(true);
    }
    const afternoon = temps.slice(14 * 60, 16 * 60).reduce((a, b) => a + b) / 120;
    const night = temps.slice(2 * 60, 4 * 60).reduce((a, b) => a + b) / 120;
    expect(afternoon - night).toBeGreaterThan(2);
  });
});

describe("realistic integer signals", () => {
  it("never repeat a value two minutes in a row (only injected stuck episodes do)", () => {
    // Violations are collected and asserted once: 240,000 expect() calls take seconds on a loaded machine.
    const repeats: string[] = [];
    const outOfRange: string[] = [];
    let checked = 0;
    for (const metric of ["humidity", "activity_level"] as const) {
      for (let device = 1; device <= 20; device++) {
        let previous = normalValue(42, device, metric, 0);
        for (let minute = 1; minute < 2000; minute++) {
          const value = normalValue(42, device, metric, minute);
          if (value === previous) repeats.push(`${metric} device ${device} minute ${minute}`);
          if (!(value >= 40 && value <= 80))
            outOfRange.push(`${metric} device ${device} minute ${minute}: ${value}`);
          previous = value;
          checked++;
        }
      }
    }
    expect(checked).toBe(2 * 20 * 1999);
    expect(repeats).toEqual([]);
    expect(outOfRange).toEqual([]);
  });
});
