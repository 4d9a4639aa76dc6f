import { describe, expect, it } from "vitest";
import { webhookEventId, payloadBody, toWebhookEvent } from "../../ingest/notify/payload.js";
import { signatureHeader, verifyWebhookSignature } from "../../ingest/notify/signature.js";
import type { AnomalyEvent } from "../../ingest/transforms/anomaly-rules.js";

const secret = "test-secret-0123456789";
const now = 1_800_000_000;

const event = (over: Partial<AnomalyEvent> = {}): AnomalyEvent => ({
  device: "device_1",
  client: "client_1",
  type: "temperature_sensor",
  metric: "temperature",
  rule: "threshold_high",
  severity: "warning",
  timeUs: 1_700_000_000_123_456,
  value: 40,
  baseline: null,
  threshold: 32,
  score: 8,
  message: "temperature 40 above 32",
  ...over,
});

describe("webhook signature", () => {
  const body = payloadBody([toWebhookEvent(event())]);
  const header = signatureHeader(secret, body, now);

  it("has the documented shape and verifies", () => {
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({ body, header, secret, nowS: now })).toEqual({
      ok: true,
      timestampS: now,
    });
    expect(verifyWebhookSignature({ body: Buffer.from(body), header, secret, nowS: now + 299 }).ok).toBe(
      true,
    );
  });

  it("fails for a tampered body, another secret, or a changed timestamp", () => {
    const tampered = body.replace('"value":40', '"value":41');
    expect(tampered).not.toBe(body);
    expect(verifyWebhookSignature({ body: tampered, header, secret, nowS: now })).toEqual({
      ok: false,
      reason: "signature mismatch",
    });
    expect(verifyWebhookSignature({ body, header, secret: "another-secret-0123456", nowS: now }).ok).toBe(
      false,
    );
    const moved = header.replace(`t=${now}`, `t=${now + 10}`);
    expect(verifyWebhookSignature({ body, header: moved, secret, nowS: now }).ok).toBe(false);
  });

  it("refuses a stale (replayed) or far-future timestamp", () => {
    expect(verifyWebhookSignature({ body, header, secret, nowS: now + 301 })).toEqual({
      ok: false,
      reason: "timestamp outside tolerance",
    });
    expect(verifyWebhookSignature({ body, header, secret, nowS: now - 301 }).ok).toBe(false);
    expect(verifyWebhookSignature({ body, header, secret, nowS: now + 3600, toleranceS: 7200 }).ok).toBe(
      true,
    );
  });

  it("refuses missing or malformed headers, and accepts any of several secrets (rotation)", () => {
    expect(verifyWebhookSignature({ body, header: undefined, secret, nowS: now }).ok).toBe(false);
    expect(verifyWebhookSignature({ body, header: "v1=abc", secret, nowS: now }).ok).toBe(false);
    expect(verifyWebhookSignature({ body, header: `t=${now}`, secret, nowS: now }).ok).toBe(false);
    expect(
      verifyWebhookSignature({ body, header, secret: ["old-secret-0123456789", secret], nowS: now }).ok,
    ).toBe(true);
  });
});

describe("webhook event ids", () => {
  it("are stable for the same device, rule, metric and time, and differ otherwise", () => {
    const id = webhookEventId(event());
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(webhookEventId(event({ value: 99, severity: "critical", message: "x" }))).toBe(id);
    const others = [
      event({ device: "device_2" }),
      event({ rule: "zscore" }),
      event({ metric: "humidity" }),
      event({ timeUs: event().timeUs + 1 }),
    ].map(webhookEventId);
    expect(new Set([id, ...others]).size).toBe(5);
  });

  it("carry the site when the ingester has one: the same device and time at two sites are two events", () => {
    const plain = toWebhookEvent(event());
    expect(plain).not.toHaveProperty("site");
    expect(plain.id).toBe(webhookEventId(event()));
    const [a, b] = [toWebhookEvent(event(), "site-a"), toWebhookEvent(event(), "site-b")];
    expect(a.site).toBe("site-a");
    expect(new Set([plain.id, a.id, b.id]).size).toBe(3);
    expect(toWebhookEvent(event(), "site-a").id).toBe(a.id);
  });

  it("go into the payload with the event's fields and a batch id that depends only on the ids", () => {
    const a = JSON.parse(payloadBody([toWebhookEvent(event())])) as Record<string, unknown>;
    const b = JSON.parse(payloadBody([toWebhookEvent(event())])) as Record<string, unknown>;
    expect(a).toEqual(b);
    expect(a).toMatchObject({
      version: 1,
      events: [
        {
          id: webhookEventId(event()),
          device: "device_1",
          client: "client_1",
          rule: "threshold_high",
          severity: "warning",
          time: "2023-11-14T22:13:20.123Z",
          time_us: 1_700_000_000_123_456,
          value: 40,
        },
      ],
    });
  });
});
