// Value generation without anomalies: the upstream's uniform noise (faithful
// mode) and a smooth per-device signal (realistic mode) that is a pure
// function of (seed, device, minute), so the same minute always reads the same.
import type { DeviceType } from "./fleet.js";
import { hashUnit, randFloat2, randInt, round2, type Rng } from "./random.js";

import type { Metric } from "../shared/schema.js";

export type { Metric };

export interface Metrics {
  temperature: number | null;
  humidity: number | null;
  battery_level: number;
  activity_level: number | null;
}

/** The metric a history entry's bare `value` stands for, decided by the object's type. */
export function historyMetric(type: DeviceType): Metric {
  if (type === "temperature_sensor") return "temperature";
  if (type === "humidity_sensor") return "humidity";
  return "activity_level";
}

// ---- faithful: fresh uniform values on every call, the upstream's ranges ----

export function faithfulMetrics(type: DeviceType, rng: Rng): Metrics {
  return {
    temperature: type === "temperature_sensor" ? randFloat2(rng, 20, 30) : null,
    humidity: type === "humidity_sensor" ? randInt(rng, 40, 80) : null,
    battery_level: randInt(rng, 10, 100),
    activity_level: type === "activity_tracker" ? randInt(rng, 0, 100) : null,
  };
}

/** The upstream draws history values in [40, 80] for every type but temperature sensors. */
export function faithfulHistoryValue(type: DeviceType, rng: Rng): number {
  return type === "temperature_sensor" ? randFloat2(rng, 20, 30) : randInt(rng, 40, 80);
}

// ---- realistic: daily cycle + slow wander + small jitter, per device ----

const DAY_MINUTES = 1440;
const KNOT_MINUTES = 30;
const SALT = { base: 1, wander: 2, jitter: 3, phase: 4, period: 5 } as const;
const METRIC_ID: Record<Metric, number> = {
  temperature: 11,
  humidity: 12,
  activity_level: 13,
  battery_level: 14,
};

/** Smooth noise in [-1, 1]: hashed knots every 30 minutes, smoothstep-interpolated. */
function wander(seed: number, device: number, metric: number, minute: number): number {
  const k = Math.floor(minute / KNOT_MINUTES);
  const t = (minute - k * KNOT_MINUTES) / KNOT_MINUTES;
  const a = hashUnit(seed, device, metric, SALT.wander, k) * 2 - 1;
  const b = hashUnit(seed, device, metric, SALT.wander, k + 1) * 2 - 1;
  const s = t * t * (3 - 2 * t);
  return a + (b - a) * s;
}

function jitter(seed: number, device: number, metric: number, minute: number): number {
  return hashUnit(seed, device, metric, SALT.jitter, minute) * 2 - 1;
}

/** cos of the time of day, peaking at `peakMinute` (UTC), shifted per device by up to an hour. */
function daily(seed: number, device: number, metric: number, minute: number, peakMinute: number): number {
  const shift = (hashUnit(seed, device, metric, SALT.phase) - 0.5) * 120;
  const mod = (((minute - peakMinute - shift) % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES;
  return Math.cos((2 * Math.PI * mod) / DAY_MINUTES);
}

function clamp(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, x));
}

/**
 * Rounds `x` (already in [40, 80]) to an integer whose parity follows the
 * minute's, so an integer sensor never reads the same value two minutes in a
 * row by chance: only an injected "stuck" episode repeats a value, which keeps
 * the ground truth for stuck detection unambiguous. Off by at most 1.
 */
function alternatingInt(x: number, minute: number): number {
  const parity = ((minute % 2) + 2) % 2;
  let r = Math.round(x);
  if (((r % 2) + 2) % 2 !== parity) r += x >= r ? 1 : -1;
  if (r > 80) r -= 2;
  if (r < 40) r += 2;
  return r;
}

/**
 * The normal (anomaly-free) value of `metric` for a device at a minute. Ranges
 * stay inside the faithful ones: temperature [20, 30] 2 decimals, humidity
 * [40, 80], activity [40, 80] (so a tracker's history value, which the
 * upstream keeps in [40, 80], is the same number as its activity level),
 * battery [10, 100] as a slow discharge with a recharge every 2 to 4 days.
 */
export function normalValue(seed: number, device: number, metric: Metric, minute: number): number {
  const id = METRIC_ID[metric];
  const base = hashUnit(seed, device, id, SALT.base) - 0.5;
  switch (metric) {
    case "temperature":
      return round2(
        clamp(
          25 +
            base * 1.5 +
            2.5 * daily(seed, device, id, minute, 15 * 60) +
            wander(seed, device, id, minute) +
            0.15 * jitter(seed, device, id, minute),
          20,
          30,
        ),
      );
    case "humidity":
      return alternatingInt(
        clamp(
          60 +
            base * 6 -
            10 * daily(seed, device, id, minute, 15 * 60) +
            4 * wander(seed, device, id, minute) +
            jitter(seed, device, id, minute),
          40,
          80,
        ),
        minute,
      );
    case "activity_level":
      return alternatingInt(
        clamp(
          60 +
            base * 4 +
            12 * daily(seed, device, id, minute, 14 * 60) +
            5 * wander(seed, device, id, minute) +
            2 * jitter(seed, device, id, minute),
          40,
          80,
        ),
        minute,
      );
    case "battery_level": {
      const period = Math.round((2 + 2 * hashUnit(seed, device, id, SALT.period)) * DAY_MINUTES);
      const phase = Math.floor((base + 0.5) * period);
      const elapsed = (((minute + phase) % period) + period) % period;
      return 100 - Math.floor((90 * elapsed) / period);
    }
  }
}
