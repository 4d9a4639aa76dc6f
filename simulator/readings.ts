// What a device reads at an instant, in either signal mode.
import { minuteOf } from "./clock.js";
import type { SimDevice } from "./fleet.js";
import { realisticValue } from "./anomalies.js";
import type { Rng } from "./random.js";
import { faithfulHistoryValue, faithfulMetrics, historyMetric, type Metrics } from "./signal.js";

export interface Readings {
  /** The current reading's metrics at `ms`. */
  metrics(device: SimDevice, ms: number): Metrics;
  /** A history entry's value at `ms`. */
  historyValue(device: SimDevice, ms: number): number;
}

/** Fresh uniform draws on every call, as the upstream does. */
export function faithfulReadings(rng: Rng): Readings {
  return {
    metrics: (device) => faithfulMetrics(device.type, rng),
    historyValue: (device) => faithfulHistoryValue(device.type, rng),
  };
}

/** Values are functions of (seed, device, minute): the same minute reads the same on every call. */
export function realisticReadings(seed: number, anomalyRate: number): Readings {
  const value = (device: SimDevice, metric: Parameters<typeof realisticValue>[2], ms: number) =>
    realisticValue(seed, device, metric, minuteOf(ms), anomalyRate);
  return {
    metrics: (device, ms) => ({
      temperature: device.type === "temperature_sensor" ? value(device, "temperature", ms) : null,
      humidity: device.type === "humidity_sensor" ? value(device, "humidity", ms) : null,
      battery_level: value(device, "battery_level", ms),
      activity_level: device.type === "activity_tracker" ? value(device, "activity_level", ms) : null,
    }),
    historyValue: (device, ms) => value(device, historyMetric(device.type), ms),
  };
}
