// Anomaly injection with ground truth. Time is cut into 20-minute slots per
// device; a hash of (seed, device, slot) decides whether the slot holds one
// anomaly episode, its kind, start and length. Nothing is stored: the truth
// for any window, and the anomalous value of any minute, are recomputed.
import type { SimDevice } from "./fleet.js";
import { hash32, hashUnit, round2 } from "./random.js";
import { historyMetric, normalValue, type Metric } from "./signal.js";

export const ANOMALY_KINDS = ["spike", "stuck", "drop", "battery_drain"] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** At most one episode per slot: episodes never overlap, and rates above 1/20 saturate. */
export const SLOT_MINUTES = 20;

/** Episode lengths in minutes, [min, max]; every one fits in a slot. */
const LENGTH: Record<AnomalyKind, readonly [number, number]> = {
  spike: [1, 1],
  drop: [1, 3],
  stuck: [5, 8],
  battery_drain: [8, 15],
};

export interface Episode {
  readonly kind: AnomalyKind;
  readonly metric: Metric;
  /** First minute (minutes since the epoch, simulated time). */
  readonly start: number;
  readonly minutes: number;
  /** Draws in [0, 1) fixing the episode's magnitude and direction. */
  readonly size: number;
  readonly up: boolean;
}

const SALT = 0xa70a;

export function episodeInSlot(
  seed: number,
  device: SimDevice,
  slot: number,
  rate: number,
): Episode | undefined {
  if (rate <= 0 || slot < 0) return undefined;
  const chance = Math.min(1, rate * SLOT_MINUTES);
  if (hashUnit(seed, device.index, slot, SALT, 0) >= chance) return undefined;
  const kind = ANOMALY_KINDS[hash32(seed, device.index, slot, SALT, 1) % ANOMALY_KINDS.length]!;
  const [min, max] = LENGTH[kind];
  const minutes = min + (hash32(seed, device.index, slot, SALT, 2) % (max - min + 1));
  const offset = hash32(seed, device.index, slot, SALT, 3) % (SLOT_MINUTES - minutes + 1);
  return {
    kind,
    metric: kind === "battery_drain" ? "battery_level" : historyMetric(device.type),
    start: slot * SLOT_MINUTES + offset,
    minutes,
    size: hashUnit(seed, device.index, slot, SALT, 4),
    up: hash32(seed, device.index, slot, SALT, 5) % 2 === 0,
  };
}

/** The episode covering `minute` for this device, if any. */
export function episodeAt(
  seed: number,
  device: SimDevice,
  minute: number,
  rate: number,
): Episode | undefined {
  const ep = episodeInSlot(seed, device, Math.floor(minute / SLOT_MINUTES), rate);
  return ep && minute >= ep.start && minute < ep.start + ep.minutes ? ep : undefined;
}

/** Episodes overlapping [fromMinute, toMinute] (inclusive), oldest first. */
export function episodesBetween(
  seed: number,
  device: SimDevice,
  fromMinute: number,
  toMinute: number,
  rate: number,
): Episode[] {
  const out: Episode[] = [];
  for (
    let slot = Math.floor(fromMinute / SLOT_MINUTES);
    slot <= Math.floor(toMinute / SLOT_MINUTES);
    slot++
  ) {
    const ep = episodeInSlot(seed, device, slot, rate);
    if (ep && ep.start <= toMinute && ep.start + ep.minutes - 1 >= fromMinute) out.push(ep);
  }
  return out;
}

/**
 * The served value of `metric` at `minute` with anomalies applied: only here
 * may values leave the faithful ranges.
 *  - spike: temperature > 35 or < 10, humidity > 95 or < 20, activity > 95 or < 20;
 *  - stuck: the episode's first value repeated for its 5 to 8 minutes;
 *  - drop: 8-12 degrees C, 25-35 % humidity or 30-40 activity points below normal;
 *  - battery_drain: battery falls 3 to 6 points a minute from its level at the start.
 */
export function realisticValue(
  seed: number,
  device: SimDevice,
  metric: Metric,
  minute: number,
  rate: number,
): number {
  const normal = normalValue(seed, device.index, metric, minute);
  const ep = episodeAt(seed, device, minute, rate);
  if (!ep || ep.metric !== metric) return normal;
  const { size, up } = ep;
  switch (ep.kind) {
    case "spike":
      if (metric === "temperature") return up ? round2(36 + size * 9) : round2(9 - size * 9);
      return up ? 96 + Math.floor(size * 5) : (metric === "humidity" ? 5 : 0) + Math.floor(size * 15);
    case "stuck":
      return normalValue(seed, device.index, metric, ep.start);
    case "drop":
      if (metric === "temperature") return round2(normal - (8 + size * 4));
      return Math.max(0, normal - (metric === "humidity" ? 25 : 30) - Math.floor(size * 11));
    case "battery_drain": {
      const perMinute = 3 + Math.floor(size * 4);
      const startLevel = normalValue(seed, device.index, "battery_level", ep.start);
      return Math.max(0, startLevel - perMinute * (minute - ep.start + 1));
    }
  }
}
