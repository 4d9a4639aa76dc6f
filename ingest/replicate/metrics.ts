// The replication's status as Prometheus gauges: read from the edge
// InfluxDB's replication API (status.ts), labelled with the replication's
// name and the site (EDGE_SITE, "" when unset: a central Prometheus scraping
// several sites tells their queues apart); absent while no replication is
// configured or read yet.
import { Counter, Gauge, type Registry } from "prom-client";

export function createReplicationMetrics(registry: Registry) {
  const r = [registry];
  const labelNames = ["replication", "site"] as const;
  return {
    queueBytes: new Gauge({
      name: "ingest_replication_queue_bytes",
      help: "Bytes in the edge InfluxDB's durable replication queue (currentQueueSizeBytes)",
      labelNames,
      registers: r,
    }),
    remainingBytes: new Gauge({
      name: "ingest_replication_remaining_bytes",
      help: "Queued bytes the central InfluxDB has not acknowledged yet (remainingBytesToBeSynced); 0 = caught up",
      labelNames,
      registers: r,
    }),
    maxQueueBytes: new Gauge({
      name: "ingest_replication_max_queue_bytes",
      help: "Bound of the replication queue (EDGE_REPLICATE_MAX_QUEUE_BYTES)",
      labelNames,
      registers: r,
    }),
    lastResponseCode: new Gauge({
      name: "ingest_replication_last_response_code",
      help: "HTTP status of the replication's latest write to the central InfluxDB (204 = accepted, 0 = none yet or no answer)",
      labelNames,
      registers: r,
    }),
    statusFailures: new Counter({
      name: "ingest_replication_status_failures_total",
      help: "Reads of the replication's status from the edge InfluxDB that failed",
      labelNames,
      registers: r,
    }),
  };
}

export type ReplicationMetrics = ReturnType<typeof createReplicationMetrics>;
