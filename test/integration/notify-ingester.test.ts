// End to end: the real ingester process pulls a 60-device faithful simulator
// (battery_low fires on about 5 % of current readings), writes to a real
// InfluxDB bucket and posts anomalies to a real receiver process. The
// receiver is killed, the ingester restarted while it is down, the receiver
// comes back: every anomaly stored in InfluxDB reaches each endpoint exactly
// once (through its filters), the cooldown endpoint once per device and rule.
import { writeFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { flux } from "@influxdata/influxdb-client";
import { afterAll, beforeAll, expect, it } from "vitest";
import { webhookEventId } from "../../ingest/notify/payload.js";
import { freePort } from "../../shared/net/free-port.js";
import { ANOMALY_FIELD, MEASUREMENT } from "../../shared/schema.js";
import { type RunningSimulator, startSimulator } from "../../simulator/server.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { type IngesterProcess, startIngester, tempSpoolDir } from "../support/ingester.js";
import type { ServiceProcess } from "../support/processes.js";
import { acknowledgedIds, readReceived, scrapeMetric, startReceiver, waitFor } from "../support/webhooks.js";

const secret = "ingester-webhook-secret-0123";
const bucket = useTestBucket(import.meta.url);
const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 60 * 60_000;
let simNow = t0;
let sim: RunningSimulator;
let spoolDir: string;
let ingester: IngesterProcess | undefined;
let receiver: ServiceProcess | undefined;
let port: number;

beforeAll(async () => {
  if (!influxServer) return;
  sim = await startSimulator({ seed: 11, devices: 60, clients: 6, now: () => simNow });
  spoolDir = await tempSpoolDir();
  port = await freePort();
});

afterAll(async () => {
  await ingester?.stop("SIGKILL");
  await receiver?.stop("SIGKILL");
  await sim?.stop();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
});

/** RFC 3339 with up to nanoseconds -> microseconds since the epoch, exactly. */
function timeUs(rfc3339: string): number {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(rfc3339)!;
  const frac = (m[2] ?? "").padEnd(9, "0");
  return Date.parse(`${m[1]}Z`) * 1000 + Math.floor(Number(frac) / 1000);
}

interface StoredAnomaly {
  id: string;
  device: string;
  client: string;
  rule: string;
}

async function storedAnomalies(): Promise<StoredAnomaly[]> {
  const b = bucket.current;
  const rows = await b.client.getQueryApi(b.server.org).collectRows<{
    device: string;
    client: string;
    rule: string;
    metric: string;
    _time: string;
  }>(flux`
    from(bucket: ${b.name})
      |> range(start: -30d, stop: 1d)
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.anomaly} and r._field == ${ANOMALY_FIELD.value})
      |> keep(columns: ["device", "client", "rule", "metric", "_time"])`);
  return rows.map((r) => ({
    id: webhookEventId({ device: r.device, rule: r.rule, metric: r.metric, timeUs: timeUs(r._time) }),
    device: r.device,
    client: r.client,
    rule: r.rule,
  }));
}

async function step(n: number) {
  for (let i = 0; i < n; i++) {
    simNow += 60_000;
    await ingester!.waitForFreshCycle();
  }
}

describeWithInflux("ingester webhooks end to end", () => {
  it("delivers every stored anomaly exactly once per endpoint across a receiver outage and an ingester restart", async () => {
    const b = bucket.current;
    const target = { url: b.server.url, token: b.server.token, org: b.server.org, bucket: b.name };
    const file = join(spoolDir, "received.jsonl");
    const hooks = join(spoolDir, "webhooks.json");
    const url = (path: string) => `http://127.0.0.1:${port}${path}`;
    await writeFile(
      hooks,
      JSON.stringify([
        { name: "all", url: url("/all"), secret },
        {
          name: "filtered",
          url: url("/filtered"),
          secret,
          clients: ["client_1", "client_2"],
          rules: ["battery_low"],
        },
        { name: "cool", url: url("/cool"), secret, cooldown_s: 86_400 },
      ]),
    );
    const env = {
      INGEST_WEBHOOKS_FILE: hooks,
      INGEST_WEBHOOK_COOLDOWN_S: "0",
      INGEST_WEBHOOK_RETRY_BASE_MS: "100",
      INGEST_WEBHOOK_RETRY_MAX_MS: "500",
      INGEST_WEBHOOK_BATCH_SIZE: "3",
    };

    receiver = await startReceiver(port, file, secret);
    ingester = await startIngester(target, sim.url, spoolDir, env);
    await ingester.waitForCycles(1);
    await step(3);
    await waitFor(() => acknowledgedIds(file, "/all").length > 0, 20_000, "first deliveries");

    // Receiver down: events pile up in the outbox.
    await receiver.stop("SIGKILL");
    await step(3);
    await waitFor(
      async () =>
        (await scrapeMetric(ingester!.metricsPort, "ingest_webhook_failed_total", { endpoint: "all" })) > 0,
      20_000,
      "failed deliveries",
    );
    expect(
      await scrapeMetric(ingester.metricsPort, "ingest_webhook_pending_events", { endpoint: "all" }),
    ).toBeGreaterThan(0);

    // Ingester restarts while the receiver is still down; the outbox is on disk meanwhile.
    expect(await ingester.stop()).toBe(0);
    const waiting = (await readdir(join(spoolDir, "outbox", "all"))).filter((f) => f.endsWith(".seg"));
    expect(waiting.length).toBeGreaterThan(0);
    ingester = await startIngester(target, sim.url, spoolDir, env);
    await ingester.waitForCycles(1);
    await step(2);

    receiver = await startReceiver(port, file, secret);
    await step(1);
    // Quiet: two cycles in a row found nothing new (a device whose fetch
    // failed under load comes in late), so no anomaly can still be on its way.
    const quietSince = ingester.cycles();
    await ingester.waitForLog(() => {
      const done = ingester!.logs.filter((l) => l.msg === "cycle done" || l.msg === "cycle failed");
      const last = done.slice(-2);
      return (
        done.length >= quietSince + 2 &&
        last.every((l) => l.msg === "cycle done" && l.samples === 0 && l.failedDevices === 0)
      );
    }, 60_000);
    for (const endpoint of ["all", "filtered", "cool"])
      await waitFor(
        async () =>
          (await scrapeMetric(ingester!.metricsPort, "ingest_webhook_pending_events", { endpoint })) === 0,
        30_000,
        `outbox of ${endpoint} empty`,
      );
    await waitFor(
      async () => (await scrapeMetric(ingester!.metricsPort, "ingest_spool_points")) === 0,
      30_000,
      "an empty spool",
    );
    // More cycles with nothing new: acknowledged batches must not come again.
    await ingester.waitForFreshCycle();
    const logs = [...ingester.logs];
    expect(await ingester.stop()).toBe(0);
    ingester = undefined;

    const stored = await storedAnomalies();
    expect(stored.length).toBeGreaterThan(10);
    const received = readReceived(file);
    expect(received.every((r) => r.valid)).toBe(true);
    expect(received.filter((r) => r.duplicates.length > 0)).toEqual([]);

    const sorted = (xs: string[]) => [...xs].sort();
    const all = new Set(acknowledgedIds(file, "/all"));
    const missing = stored.filter((s) => !all.has(s.id));
    const webhookLogs = logs.filter((l) => String(l.msg).includes("webhook")).slice(-20);
    expect(missing, `not delivered; last webhook logs: ${JSON.stringify(webhookLogs)}`).toEqual([]);
    expect(sorted(acknowledgedIds(file, "/all"))).toEqual(sorted(stored.map((s) => s.id)));
    const filtered = stored.filter(
      (s) => ["client_1", "client_2"].includes(s.client) && s.rule === "battery_low",
    );
    expect(filtered.length).toBeGreaterThan(0);
    expect(sorted(acknowledgedIds(file, "/filtered"))).toEqual(sorted(filtered.map((s) => s.id)));

    // Cooldown of a day: one event per device and rule, across the restart too.
    const groups = new Map<string, Set<string>>();
    for (const s of stored) {
      const key = `${s.device}/${s.rule}`;
      (groups.get(key) ?? groups.set(key, new Set()).get(key)!).add(s.id);
    }
    const cool = acknowledgedIds(file, "/cool");
    expect(cool.length).toBe(groups.size);
    expect(groups.size).toBeLessThan(stored.length); // some device fired twice: the cooldown had work to do
    const byId = new Map(stored.map((s) => [s.id, `${s.device}/${s.rule}`]));
    expect(new Set(cool.map((id) => byId.get(id))).size).toBe(groups.size);
  }, 180_000);
});
