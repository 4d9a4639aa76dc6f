// Anomaly webhooks: the public surface of ingest/notify.
import { join } from "node:path";
import type { Registry } from "prom-client";
import type { ConfigOf, ingestNotifyEnv } from "../../shared/config/index.js";
import type { SinkLogger } from "../sink/logger.js";
import { loadEndpoints } from "./endpoints.js";
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

/** The notifier the configuration asks for, or undefined when no webhooks are configured. Throws on a bad endpoints file. */
export async function openNotifierFromConfig(
  cfg: ConfigOf<typeof ingestNotifyEnv>,
  spoolDir: string,
  registry: Registry,
  logger: SinkLogger,
): Promise<WebhookNotifier | undefined> {
  const endpoints = loadEndpoints(cfg.webhooksFile);
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
  });
}
