// Anomaly webhooks: the public surface of ingest/notify.
import { join } from "node:path";
import type { Registry } from "prom-client";
import type { ConfigOf } from "../../shared/config/index.js";
import type { notifyEnv } from "./config.js";
import type { StageLogger } from "../../shared/log.js";
import type { WebhookEndpoint } from "./endpoints.js";
import { WebhookNotifier } from "./notifier.js";

export { loadEndpoints, parseEndpoints, matches, type WebhookEndpoint } from "./endpoints.js";
export { WebhookNotifier, type AnomalyNotifier, type WebhookNotifierOptions } from "./notifier.js";
export {
  webhookEventId,
  toWebhookEvent,
  payloadBody,
  type WebhookEvent,
  type WebhookPayload,
} from "./payload.js";
export {
  SIGNATURE_HEADER,
  signatureHeader,
  verifyWebhookSignature,
  type VerifyOptions,
  type VerifyResult,
} from "./signature.js";

export const OUTBOX_DIR = "outbox";

/** The notifier for these endpoints (loaded by ingest/setup.ts), or undefined when there are none. */
export async function openNotifier(
  endpoints: WebhookEndpoint[],
  cfg: ConfigOf<typeof notifyEnv>,
  spoolDir: string,
  registry: Registry,
  logger: StageLogger,
  site?: string,
): Promise<WebhookNotifier | undefined> {
  if (endpoints.length === 0) return undefined;
  return WebhookNotifier.open({
    endpoints,
    dir: join(spoolDir, OUTBOX_DIR),
    cooldownS: cfg.cooldownS,
    horizonS: cfg.retryHorizonS,
    batchSize: cfg.batchSize,
    timeoutMs: cfg.timeoutMs,
    retryBaseMs: cfg.retryBaseMs,
    retryMaxMs: cfg.retryMaxMs,
    registry,
    logger,
    ...(site ? { site } : {}),
  });
}
