// Prometheus metrics of webhook delivery, by endpoint. Events for sent,
// dropped and suppressed; HTTP attempts for failed and retried.
import { Counter, Gauge, type Registry } from "prom-client";

export function createNotifyMetrics(
  registry: Registry,
  endpoints: readonly string[],
  /** Events waiting per endpoint id, read at each scrape. */
  pendingOf: () => Iterable<[string, number]>,
) {
  const r = [registry];
  const labelNames = ["endpoint"] as const;
  const m = {
    sent: new Counter({
      name: "ingest_webhook_sent_total",
      help: "Anomaly events delivered (the endpoint answered 2xx)",
      labelNames,
      registers: r,
    }),
    failed: new Counter({
      name: "ingest_webhook_failed_total",
      help: "Webhook requests that failed (network error, timeout or non-2xx answer)",
      labelNames,
      registers: r,
    }),
    retried: new Counter({
      name: "ingest_webhook_retried_total",
      help: "Webhook requests that were retries of a batch that failed before",
      labelNames,
      registers: r,
    }),
    dropped: new Counter({
      name: "ingest_webhook_dropped_total",
      help: "Anomaly events given up: older than the retry horizon, outbox bound reached, or unreadable",
      labelNames,
      registers: r,
    }),
    suppressed: new Counter({
      name: "ingest_webhook_suppressed_total",
      help: "Anomaly events not sent because the same device and rule fired within the cooldown",
      labelNames,
      registers: r,
    }),
    pending: new Gauge({
      name: "ingest_webhook_pending_events",
      help: "Anomaly events waiting in the outbox",
      labelNames,
      registers: r,
      collect() {
        for (const [endpoint, n] of pendingOf()) this.set({ endpoint }, n);
      },
    }),
  };
  // Zero series from the start, so rate() and alerts see every endpoint.
  for (const endpoint of endpoints)
    for (const c of [m.sent, m.failed, m.retried, m.dropped, m.suppressed]) c.inc({ endpoint }, 0);
  return m;
}

export type NotifyMetrics = ReturnType<typeof createNotifyMetrics>;
