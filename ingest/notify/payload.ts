// What a webhook receives: a small batch of anomaly events as JSON. Each event
// carries a stable id (a hash of device, rule, metric and time), so a receiver
// can drop the duplicates that at-least-once delivery may produce.
import { createHash } from "node:crypto";
import type { AnomalyEvent } from "../transforms/anomaly-rules.js";

export const PAYLOAD_VERSION = 1;

export interface WebhookEvent {
  /** Stable: the same detection always gets the same id, across retries and restarts. */
  id: string;
  /** The sending ingester's site (EDGE_SITE); absent for a single site. */
  site?: string;
  device: string;
  client: string;
  type: string;
  metric: string;
  rule: string;
  severity: string;
  /** The sample's time, RFC 3339 (millisecond precision); `time_us` keeps the microseconds. */
  time: string;
  time_us: number;
  value: number;
  /** What the value was judged against (rolling mean, recent median, previous reading); null for fixed bounds. */
  baseline: number | null;
  threshold: number;
  score: number;
  message: string;
}

export interface WebhookPayload {
  version: typeof PAYLOAD_VERSION;
  /** Hash of the batch's event ids: the same batch keeps its id on every attempt. */
  batch_id: string;
  events: WebhookEvent[];
}

export function webhookEventId(e: {
  device: string;
  rule: string;
  metric: string;
  timeUs: number;
  site?: string | undefined;
}): string {
  // NUL cannot occur in the ids the upstream serves, so the fields cannot run into each other.
  // The site joins only when there is one, so a single site's ids stay what they were.
  const site = e.site ? `\0${e.site}` : "";
  return createHash("sha256")
    .update(`${e.device}\0${e.rule}\0${e.metric}\0${e.timeUs}${site}`)
    .digest("hex")
    .slice(0, 32);
}

/** `site`: the ingester's EDGE_SITE, when it has one (two sites may hold the same device id). */
export function toWebhookEvent(e: AnomalyEvent, site?: string): WebhookEvent {
  return {
    id: webhookEventId({ ...e, site }),
    ...(site ? { site } : {}),
    device: e.device,
    client: e.client,
    type: e.type,
    metric: e.metric,
    rule: e.rule,
    severity: e.severity,
    time: new Date(Math.floor(e.timeUs / 1000)).toISOString(),
    time_us: e.timeUs,
    value: e.value,
    baseline: e.baseline,
    threshold: e.threshold,
    score: e.score,
    message: e.message,
  };
}

export function batchId(events: readonly WebhookEvent[]): string {
  return createHash("sha256")
    .update(events.map((e) => e.id).join(","))
    .digest("hex")
    .slice(0, 32);
}

/** The exact body sent; built from the stored events, so every attempt sends the same bytes. */
export function payloadBody(events: WebhookEvent[]): string {
  return JSON.stringify({
    version: PAYLOAD_VERSION,
    batch_id: batchId(events),
    events,
  } satisfies WebhookPayload);
}
