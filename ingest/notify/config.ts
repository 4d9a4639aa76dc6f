// Anomaly webhooks' configuration.
import { z } from "zod";
import { envVar, intInRange } from "../../shared/config/index.js";

/** Anomaly webhooks of the ingester (ingest/notify); off while INGEST_WEBHOOKS_FILE is empty. */
export const notifyEnv = {
  webhooksFile: envVar("INGEST_WEBHOOKS_FILE", z.string(), {
    default: "",
    doc: "JSON list of webhook endpoints `{url, secret or secret_env, name?, clients?, rules?, severities?, cooldown_s?}` (see ingest/notify/README.md); empty = no webhooks",
  }),
  retryHorizonS: envVar("INGEST_WEBHOOK_RETRY_HORIZON_S", intInRange(1, 30 * 86_400), {
    default: "86400",
    doc: "Undelivered webhook batches older than this many seconds are dropped (counted)",
  }),
  cooldownS: envVar("INGEST_WEBHOOK_COOLDOWN_S", intInRange(0, 7 * 86_400), {
    default: "300",
    doc: "Per endpoint, device and rule: events within this many seconds (event time) of the last one sent are suppressed; 0 = off",
  }),
  batchSize: envVar("INGEST_WEBHOOK_BATCH_SIZE", intInRange(1, 1000), {
    default: "20",
    doc: "Most anomaly events per webhook request",
  }),
  timeoutMs: envVar("INGEST_WEBHOOK_TIMEOUT_MS", intInRange(100, 120_000), {
    default: "5000",
    doc: "Timeout of one webhook request, in ms",
  }),
  retryBaseMs: envVar("INGEST_WEBHOOK_RETRY_BASE_MS", intInRange(10, 3_600_000), {
    default: "1000",
    doc: "First webhook retry delay in ms; doubles per failed attempt, with jitter",
  }),
  retryMaxMs: envVar("INGEST_WEBHOOK_RETRY_MAX_MS", intInRange(10, 86_400_000), {
    default: "300000",
    doc: "Longest delay between webhook retries, in ms",
  }),
};
