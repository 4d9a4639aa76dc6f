// The webhook notifier driven directly (no InfluxDB needed) against a real
// receiver process: signatures, delivery once the receiver is back, an outbox
// that survives a notifier restart, the retry horizon, cooldown and filters.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseEndpoints } from "../../ingest/notify/endpoints.js";
import { WebhookNotifier, type WebhookNotifierOptions } from "../../ingest/notify/notifier.js";
import { payloadBody, toWebhookEvent, webhookEventId } from "../../ingest/notify/payload.js";
import { SIGNATURE_HEADER, signatureHeader } from "../../ingest/notify/signature.js";
import type { AnomalyEvent } from "../../ingest/transforms/anomaly-rules.js";
import { freePort } from "../../shared/net/free-port.js";
import type { ServiceProcess } from "../support/processes.js";
import { acknowledgedIds, readReceived, startReceiver, waitFor } from "../support/webhooks.js";

const secret = "delivery-test-secret-0123";
const logger = pino({ level: "silent" });
const T0 = Date.UTC(2026, 0, 1) * 1000; // µs

let dir: string;
let port: number;
let receiver: ServiceProcess | undefined;
let file: string;
const notifiers: WebhookNotifier[] = [];

beforeAll(async () => {
  port = await freePort();
});
afterEach(async () => {
  for (const n of notifiers.splice(0)) await n.close(100);
  await receiver?.stop("SIGKILL");
  receiver = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});
afterAll(async () => {
  await receiver?.stop("SIGKILL");
});

async function setup() {
  dir = await mkdtemp(join(tmpdir(), "notify-delivery-"));
  file = join(dir, "received.jsonl");
}

const url = (path: string) => `http://127.0.0.1:${port}${path}`;

function ev(i: number, over: Partial<AnomalyEvent> = {}): AnomalyEvent {
  return {
    device: `device_${i % 7}`,
    client: `client_${i % 3}`,
    type: "temperature_sensor",
    metric: "temperature",
    rule: "threshold_high",
    severity: "warning",
    // Ten minutes apart per event: no cooldown below that suppresses anything.
    timeUs: T0 + i * 600_000_000,
    value: 40,
    baseline: null,
    threshold: 32,
    score: 8,
    message: "temperature 40 above 32",
    ...over,
  };
}

async function openNotifier(
  endpoints: unknown[],
  over: Partial<WebhookNotifierOptions> = {},
): Promise<{ notifier: WebhookNotifier; registry: Registry }> {
  const registry = new Registry();
  const notifier = await WebhookNotifier.open({
    endpoints: parseEndpoints(endpoints, "test", {}),
    dir: join(dir, "outbox"),
    cooldownS: 0,
    horizonS: 3600,
    batchSize: 5,
    timeoutMs: 2000,
    retryBaseMs: 50,
    retryMaxMs: 200,
    intervalMs: 50,
    registry,
    logger,
    ...over,
  });
  notifiers.push(notifier);
  return { notifier, registry };
}

async function counter(registry: Registry, name: string, endpoint: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values.find((v) => v.labels.endpoint === endpoint)?.value ?? 0;
}

describe("webhook delivery (notifier and a receiver process)", () => {
  it("signs every request so the receiver verifies it; a tampered body or a stale timestamp is refused", async () => {
    await setup();
    receiver = await startReceiver(port, file, secret);
    const { notifier } = await openNotifier([{ name: "a", url: url("/a"), secret }]);
    const events = Array.from({ length: 12 }, (_, i) => ev(i));
    await notifier.notify(events);
    await waitFor(() => acknowledgedIds(file, "/a").length === 12, 20_000, "12 events");
    const received = readReceived(file);
    expect(received.map((r) => r.ids.length)).toEqual([5, 5, 2]); // batches of at most batchSize
    expect(received.every((r) => r.valid && r.status === 200)).toBe(true);
    expect(new Set(acknowledgedIds(file, "/a"))).toEqual(new Set(events.map(webhookEventId)));

    // Forged requests, straight to the receiver.
    const body = payloadBody([toWebhookEvent(ev(99))]);
    const nowS = Math.floor(Date.now() / 1000);
    const post = (b: string, header: string) =>
      fetch(url("/a"), { method: "POST", body: b, headers: { [SIGNATURE_HEADER]: header } });
    expect(
      (await post(body.replace('"value":40', '"value":4'), signatureHeader(secret, body, nowS))).status,
    ).toBe(401);
    expect((await post(body, signatureHeader(secret, body, nowS - 3600))).status).toBe(401);
    expect((await post(body, signatureHeader("not-the-secret-000000", body, nowS))).status).toBe(401);
    expect((await post(body, signatureHeader(secret, body, nowS))).status).toBe(200);
    const reasons = readReceived(file)
      .filter((r) => !r.valid)
      .map((r) => r.reason);
    expect(reasons).toEqual(["signature mismatch", "timestamp outside tolerance", "signature mismatch"]);
  });

  it("receiver down, notifier restarted, receiver up: every event arrives exactly once, acknowledged batches are not resent", async () => {
    await setup();
    const endpoints = [
      { name: "a", url: url("/a"), secret },
      { name: "b", url: url("/b"), secret },
    ];
    let { notifier, registry } = await openNotifier(endpoints);
    notifier.start();
    // Receiver down from the start: everything waits in the outbox.
    const first = Array.from({ length: 8 }, (_, i) => ev(i));
    await notifier.notify(first);
    await waitFor(
      async () => (await counter(registry, "ingest_webhook_retried_total", "a")) >= 2,
      20_000,
      "retries",
    );
    expect(await counter(registry, "ingest_webhook_failed_total", "b")).toBeGreaterThanOrEqual(2);
    expect(await counter(registry, "ingest_webhook_sent_total", "a")).toBe(0);
    expect((await readdir(join(dir, "outbox", "a"))).filter((f) => f.endsWith(".seg"))).toHaveLength(2);

    // The notifier (the ingester) restarts while the receiver is still down.
    await notifier.close(500);
    ({ notifier, registry } = await openNotifier(endpoints));
    expect(notifier.stats()).toEqual({ a: { pending: 8, attempts: 0 }, b: { pending: 8, attempts: 0 } });
    notifier.start();
    const second = Array.from({ length: 4 }, (_, i) => ev(100 + i));
    await notifier.notify(second);

    receiver = await startReceiver(port, file, secret);
    const all = [...first, ...second].map(webhookEventId);
    for (const path of ["/a", "/b"])
      await waitFor(() => acknowledgedIds(file, path).length >= all.length, 20_000, `all events on ${path}`);
    // Let the delivery loop go round a few more times: nothing may be resent.
    await new Promise((r) => setTimeout(r, 500));
    for (const path of ["/a", "/b"]) {
      const ids = acknowledgedIds(file, path);
      expect(ids.sort()).toEqual([...all].sort());
      expect(readReceived(file).filter((r) => r.path === path && r.duplicates.length > 0)).toEqual([]);
    }
    expect(await counter(registry, "ingest_webhook_sent_total", "a")).toBe(12);
    expect(notifier.stats()).toEqual({ a: { pending: 0, attempts: 0 }, b: { pending: 0, attempts: 0 } });
    // A later batch is delivered at once, once.
    await notifier.notify([ev(200)]);
    await waitFor(() => acknowledgedIds(file, "/a").length === 13, 10_000, "one more event");
  });

  it("a batch the receiver keeps refusing is retried with backoff, then dropped past the horizon and counted", async () => {
    await setup();
    receiver = await startReceiver(port, file, secret);
    await fetch(url("/_control"), { method: "POST", body: JSON.stringify({ status: 503 }) });
    let offsetMs = 0;
    const { notifier, registry } = await openNotifier([{ name: "a", url: url("/a"), secret }], {
      horizonS: 60,
      now: () => Date.now() + offsetMs,
    });
    notifier.start();
    await notifier.notify([ev(1), ev(2)]);
    // Wait on the receiver's record too: the retry counter moves before the
    // retried request has reached the receiver and been written down.
    await waitFor(
      async () =>
        (await counter(registry, "ingest_webhook_retried_total", "a")) >= 3 && readReceived(file).length >= 4,
      20_000,
      "retries",
    );
    const attempts = readReceived(file).map((r) => r.attempt);
    expect(attempts.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(await counter(registry, "ingest_webhook_dropped_total", "a")).toBe(0);
    offsetMs = 61_000; // the batch is now older than the horizon
    await waitFor(
      async () => (await counter(registry, "ingest_webhook_dropped_total", "a")) === 2,
      10_000,
      "drop",
    );
    expect(notifier.stats().a!.pending).toBe(0);
    expect(await counter(registry, "ingest_webhook_sent_total", "a")).toBe(0);
  });

  it("cooldown per device and rule suppresses a flapping sensor, counts it, and holds across a restart", async () => {
    await setup();
    receiver = await startReceiver(port, file, secret);
    const endpoints = [{ name: "a", url: url("/a"), secret }];
    let { notifier, registry } = await openNotifier(endpoints, { cooldownS: 300 });
    const minute = 60_000_000;
    const flapping = [0, 1, 2, 3, 4, 5, 6, 7, 10, 11].map((m) =>
      ev(0, { device: "device_f", timeUs: T0 + m * minute }),
    );
    const otherRule = ev(0, { device: "device_f", rule: "zscore", timeUs: T0 + minute });
    const otherDevice = ev(0, { device: "device_g", timeUs: T0 + minute });
    await notifier.notify([...flapping, otherRule, otherDevice]);
    await notifier.deliver();
    const got = () =>
      readReceived(file)
        .flatMap((r) => r.events)
        .map((e) => `${e.device}/${e.rule}/${(e.time_us - T0) / minute}`);
    // 0 passes; 1-4 within 5 minutes of it; 5 passes; 6, 7 suppressed; 10 passes; 11 suppressed.
    expect(got().sort()).toEqual(
      ["device_f/threshold_high/0", "device_f/threshold_high/5", "device_f/threshold_high/10"]
        .concat(["device_f/zscore/1", "device_g/threshold_high/1"])
        .sort(),
    );
    expect(await counter(registry, "ingest_webhook_suppressed_total", "a")).toBe(7);

    await notifier.close(500);
    ({ notifier, registry } = await openNotifier(endpoints, { cooldownS: 300 }));
    await notifier.notify([ev(0, { device: "device_f", timeUs: T0 + 12 * minute })]);
    await notifier.notify([ev(0, { device: "device_f", timeUs: T0 + 15 * minute })]);
    await notifier.deliver();
    expect(await counter(registry, "ingest_webhook_suppressed_total", "a")).toBe(1);
    expect(got()).toContain("device_f/threshold_high/15");
    expect(got()).not.toContain("device_f/threshold_high/12");
  });

  it("each endpoint gets exactly the events its client, rule and severity filters let through", async () => {
    await setup();
    receiver = await startReceiver(port, file, secret);
    const { notifier } = await openNotifier([
      { name: "all", url: url("/all"), secret },
      { name: "client", url: url("/client"), secret, clients: ["client_1", "client_2"] },
      { name: "rule", url: url("/rule"), secret, rules: ["battery_low", "silent"] },
      { name: "crit", url: url("/crit"), secret, severities: ["critical"], clients: ["client_0"] },
    ]);
    const rules = ["threshold_high", "battery_low", "zscore", "silent"] as const;
    const severities = ["warning", "critical", "info"] as const;
    const events = Array.from({ length: 60 }, (_, i) =>
      ev(i, { rule: rules[i % 4]!, severity: severities[i % 5 === 0 ? 1 : i % 3]! }),
    );
    await notifier.notify(events);
    await notifier.deliver();
    const expected = {
      "/all": events,
      "/client": events.filter((e) => e.client !== "client_0"),
      "/rule": events.filter((e) => e.rule === "battery_low" || e.rule === "silent"),
      "/crit": events.filter((e) => e.severity === "critical" && e.client === "client_0"),
    };
    for (const [path, want] of Object.entries(expected)) {
      expect(want.length, path).toBeGreaterThan(0);
      expect(acknowledgedIds(file, path).sort(), path).toEqual(want.map(webhookEventId).sort());
    }
  });
});
