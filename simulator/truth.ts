// Ground truth: the anomaly episodes of a time window, recomputed from the
// seed (never stored), in the served timestamp format.
import { episodesBetween, realisticValue, type AnomalyKind } from "./anomalies.js";
import { MINUTE_MS, formatTimestamp } from "./clock.js";
import type { SimDevice, DeviceType } from "./fleet.js";
import type { Metric } from "./signal.js";

export interface TruthEntry {
  device: string;
  client: string;
  type: DeviceType;
  metric: Metric;
  kind: AnomalyKind;
  /** The episode's first minute, `YYYY-MM-DDTHH:MM:00.000000`. */
  timestamp: string;
  /** Length in minutes: 1 for a spike, 1-3 drop, 5-8 stuck, 8-15 battery_drain. */
  minutes: number;
  /** The value served for `metric` at `timestamp`'s minute. */
  value: number;
}

export function truthEntries(
  seed: number,
  devices: Iterable<SimDevice>,
  fromMinute: number,
  toMinute: number,
  rate: number,
): TruthEntry[] {
  const out: { start: number; index: number; entry: TruthEntry }[] = [];
  for (const device of devices) {
    for (const ep of episodesBetween(seed, device, fromMinute, toMinute, rate)) {
      out.push({
        start: ep.start,
        index: device.index,
        entry: {
          device: device.id,
          client: device.client,
          type: device.type,
          metric: ep.metric,
          kind: ep.kind,
          timestamp: formatTimestamp(ep.start * MINUTE_MS),
          minutes: ep.minutes,
          value: realisticValue(seed, device, ep.metric, ep.start, rate),
        },
      });
    }
  }
  out.sort((a, b) => a.start - b.start || a.index - b.index);
  return out.map((o) => o.entry);
}
