// Prometheus series of the sink. The spool gauges are read at scrape time so
// they can never disagree with the spool itself.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { SpoolStats } from "../buffer/spool.js";
import type { FailureReason } from "./write.js";

export interface SinkMetrics {
  pointsWritten: Counter;
  writeFailures: Counter<"reason">;
  droppedPoints: Counter;
  rejectedPoints: Counter;
  writeDuration: Histogram;
  failure(reason: FailureReason): void;
}

export function createSinkMetrics(registry: Registry, spoolStats: () => SpoolStats): SinkMetrics {
  const registers = [registry];
  const gauge = (name: string, help: string, key: keyof SpoolStats) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(spoolStats()[key]);
      },
    });
  gauge("ingest_spool_segments", "Segments waiting in the on-disk spool", "segments");
  gauge("ingest_spool_points", "Points waiting in the on-disk spool", "lines");
  gauge("ingest_spool_bytes", "Bytes of the on-disk spool", "bytes");

  const writeFailures = new Counter({
    name: "ingest_write_failures_total",
    help: "Failed write requests to InfluxDB (each attempt), by reason: network, server, auth, rejected",
    labelNames: ["reason"] as const,
    registers,
  });
  // Zero-initialised so every reason is visible before its first failure.
  for (const reason of ["network", "server", "auth", "rejected"] as const) writeFailures.inc({ reason }, 0);

  return {
    pointsWritten: new Counter({
      name: "ingest_points_written_total",
      help: "Points acknowledged by InfluxDB",
      registers,
    }),
    writeFailures,
    droppedPoints: new Counter({
      name: "ingest_spool_dropped_points_total",
      help: "Points dropped, oldest first, because the spool reached its bound",
      registers,
    }),
    rejectedPoints: new Counter({
      name: "ingest_points_rejected_total",
      help: "Points moved to the spool's rejected/ directory (refused by InfluxDB as invalid, or corrupt on disk)",
      registers,
    }),
    writeDuration: new Histogram({
      name: "ingest_write_duration_seconds",
      help: "Duration of one write request to InfluxDB",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    failure(reason) {
      writeFailures.inc({ reason });
    },
  };
}
