// The ingester's Prometheus metrics (prom-client), one registry per process.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { NO_EVENT_LOOP_SAMPLING, registerProcessMetrics } from "../shared/metrics/process.js";
import { CycleLoopLag } from "./loop-lag.js";
import { createReplicationMetrics } from "./replicate/metrics.js";

export function createIngestMetrics(diskPath: string) {
  const registry = new Registry();
  // The loop is sampled during cycles only (loop-lag.ts): prom-client's own sampler is left to wake once in 24.8 days.
  registerProcessMetrics(registry, diskPath, NO_EVENT_LOOP_SAMPLING);
  const loopLag = new CycleLoopLag();
  loopLag.register(registry);
  const r = [registry];
  return {
    registry,
    loopLag,
    cycles: new Counter({
      name: "ingest_cycles_total",
      help: "Ingest cycles by outcome",
      labelNames: ["outcome"],
      registers: r,
    }),
    cycleDuration: new Histogram({
      name: "ingest_cycle_duration_seconds",
      help: "Wall time of one ingest cycle",
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120],
      registers: r,
    }),
    lastCycle: new Gauge({
      name: "ingest_last_cycle_timestamp_seconds",
      help: "End time of the last completed cycle",
      registers: r,
    }),
    devices: new Gauge({
      name: "ingest_devices",
      help: "Devices in the fleet at the last discovery",
      registers: r,
    }),
    upstreamDuration: new Histogram({
      name: "ingest_upstream_request_duration_seconds",
      help: "IoT API request duration per attempt",
      labelNames: ["endpoint", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    }),
    upstreamRetries: new Counter({
      name: "ingest_upstream_retries_total",
      help: "Retried IoT API requests",
      labelNames: ["endpoint"],
      registers: r,
    }),
    deviceFailures: new Counter({
      name: "ingest_device_failures_total",
      help: "Device fetches that failed after retries",
      labelNames: ["endpoint"],
      registers: r,
    }),
    samplesAccepted: new Counter({
      name: "ingest_samples_accepted_total",
      help: "New samples accepted (after dedupe)",
      labelNames: ["metric"],
      registers: r,
    }),
    duplicatesSkipped: new Counter({
      name: "ingest_duplicates_skipped_total",
      help: "Samples already seen (watermark)",
      registers: r,
    }),
    invalidDropped: new Counter({
      name: "ingest_invalid_dropped_total",
      help: "Malformed entries dropped",
      registers: r,
    }),
    anomalies: new Counter({
      name: "ingest_anomalies_total",
      help: "Anomaly events detected",
      labelNames: ["rule"],
      registers: r,
    }),
    /** Registered always (so dashboards and tests know the names); series appear once a replication is read. */
    replication: createReplicationMetrics(registry),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
