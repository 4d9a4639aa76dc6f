// Generated data encoded with the ingester's own encoders (ingest/points.ts):
// a generated fleet (simulator/fleet.ts) with the simulator's realistic
// signal, so the lines are the ones the ingester would write.
import type { AnomalyEvent } from "../../ingest/transforms/anomaly-rules.js";
import { anomalyLine, readingLine, statsLine } from "../../ingest/points.js";
import { HISTORY_METRIC } from "../../shared/schema.js";
import { realisticValue } from "../../simulator/anomalies.js";
import { generatedDevice } from "../../simulator/fleet.js";

export interface FleetData {
  devices: number;
  clients: number;
  /** First device index (default 1): the lines of devices firstDevice..devices only. */
  firstDevice?: number;
  /** Last minute (ms, whole minute) of the data. */
  endMs: number;
  minutes: number;
  seed: number;
}

/**
 * Lines device by device, minute by minute, in the mix of the ingester's
 * cycles: the main metric every minute (history), battery every 10 minutes
 * (current reading), a stats line per device and 10 minutes, and now and then
 * an anomaly event. Yields chunks of about `chunkLines` lines.
 */
export function* fleetLines(d: FleetData, chunkLines = 50_000): Generator<string[]> {
  let chunk: string[] = [];
  const startMinute = Math.floor(d.endMs / 60_000) - d.minutes + 1;
  for (let i = d.firstDevice ?? 1; i <= d.devices; i++) {
    const dev = generatedDevice(i, d.clients);
    const metric = HISTORY_METRIC[dev.type];
    const base = { device: dev.id, client: dev.client, type: dev.type };
    let window: number[] = [];
    for (let m = startMinute; m < startMinute + d.minutes; m++) {
      const timeUs = m * 60_000_000;
      const value = realisticValue(d.seed, dev, metric, m, 0.005);
      chunk.push(readingLine({ ...base, metric, timeUs, value }));
      window.push(value);
      if ((m - startMinute) % 10 === 9) {
        const battery = realisticValue(d.seed, dev, "battery_level", m, 0.005);
        chunk.push(readingLine({ ...base, metric: "battery_level", timeUs, value: battery }));
        const sorted = [...window].sort((a, b) => a - b);
        const mean = window.reduce((s, v) => s + v, 0) / window.length;
        const sd = Math.sqrt(
          window.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, window.length - 1),
        );
        chunk.push(
          statsLine({ id: dev.id, client: dev.client, type: dev.type }, metric, {
            mean,
            min: sorted[0]!,
            max: sorted[sorted.length - 1]!,
            stddev: sd,
            count: window.length,
            p95: sorted[Math.floor(0.95 * (sorted.length - 1))]!,
            timeUs,
          }),
        );
        window = [];
        if ((m + i) % 120 === 0) {
          const event: AnomalyEvent = {
            ...base,
            metric,
            rule: "threshold_high",
            severity: "warning",
            timeUs,
            value: value + 10,
            baseline: null,
            threshold: value + 5,
            score: 5,
            message: `${metric} above bound`,
          };
          chunk.push(anomalyLine(event));
        }
      }
      if (chunk.length >= chunkLines) {
        yield chunk;
        chunk = [];
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** All lines of `d` in one array (fine up to a few million lines). */
export function allFleetLines(d: FleetData): string[] {
  const out: string[] = [];
  for (const c of fleetLines(d)) for (const l of c) out.push(l);
  return out;
}
