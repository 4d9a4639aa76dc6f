// Reads the replication's status from the edge InfluxDB every interval
// (GET /api/v2/replications/{id}) into the ingester's gauges, and logs when
// the central side starts or stops accepting writes: the queue's size is then
// visible beside the ingester's own metrics, wherever Prometheus scrapes it.
import type { InfluxDB } from "@influxdata/influxdb-client";
import { type Replication, ReplicationsAPI } from "@influxdata/influxdb-client-apis";
import type { Logger } from "../../shared/log.js";
import type { ReplicationMetrics } from "./metrics.js";

/** What GET /api/v2/replications/{id} answers in 2.8 beyond the client library's type. */
export interface ReplicationStatus {
  currentQueueSizeBytes: number;
  remainingBytesToBeSynced: number;
  maxQueueSizeBytes: number;
  latestResponseCode?: number | undefined;
  latestErrorMessage?: string | undefined;
}

export async function readReplicationStatus(
  client: InfluxDB,
  replicationID: string,
): Promise<ReplicationStatus> {
  const r = (await new ReplicationsAPI(client).getReplicationByID({ replicationID })) as Replication & {
    remainingBytesToBeSynced?: number;
  };
  return {
    currentQueueSizeBytes: r.currentQueueSizeBytes,
    // Older servers lack the field: the whole queue is then the best estimate.
    remainingBytesToBeSynced: r.remainingBytesToBeSynced ?? r.currentQueueSizeBytes,
    maxQueueSizeBytes: r.maxQueueSizeBytes,
    latestResponseCode: r.latestResponseCode,
    latestErrorMessage: r.latestErrorMessage,
  };
}

export class ReplicationMonitor {
  private timer: NodeJS.Timeout | undefined;
  private lastState: "ok" | "failing" | "unknown" | undefined;
  private reading = false;

  constructor(
    private readonly client: InfluxDB,
    private readonly name: string,
    private readonly metrics: ReplicationMetrics,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly site = "",
  ) {}

  /** Starts polling the replication `id` (once it is ensured). */
  start(replicationID: string): void {
    this.stop();
    const poll = () => void this.poll(replicationID);
    poll();
    this.timer = setInterval(poll, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(replicationID: string): Promise<void> {
    // A slow edge InfluxDB must not pile up reads.
    if (this.reading) return;
    this.reading = true;
    const labels = { replication: this.name, site: this.site };
    try {
      const s = await readReplicationStatus(this.client, replicationID);
      this.metrics.queueBytes.set(labels, s.currentQueueSizeBytes);
      this.metrics.remainingBytes.set(labels, s.remainingBytesToBeSynced);
      this.metrics.maxQueueBytes.set(labels, s.maxQueueSizeBytes);
      const code = s.latestResponseCode ?? 0;
      this.metrics.lastResponseCode.set(labels, code);
      // No answer at all (connection refused, timeout) is code 0 with an error message.
      const state = code === 204 ? "ok" : code === 0 && !s.latestErrorMessage ? "unknown" : "failing";
      if (state !== this.lastState && state !== "unknown") {
        const fields = { replication: this.name, code, remainingBytes: s.remainingBytesToBeSynced };
        if (state === "ok") this.log.info(fields, "replication: central InfluxDB accepts writes");
        else
          this.log.warn(
            { ...fields, err: s.latestErrorMessage },
            "replication: central InfluxDB refuses or is unreachable; points wait in the edge queue",
          );
      }
      this.lastState = state;
    } catch (err) {
      this.metrics.statusFailures.inc(labels);
      this.log.debug({ err: (err as Error).message }, "replication status not read");
    } finally {
      this.reading = false;
    }
  }
}
