// Anomaly webhooks: the pipeline hands each cycle's events over once they are
// spooled; per endpoint they are filtered, passed through a cooldown per
// device and rule, cut into small batches and stored durably in an outbox (the
// sink's write-ahead Spool, one folder per endpoint), then POSTed oldest first
// with an HMAC signature. A batch leaves the outbox only when the endpoint
// answers 2xx, or when it is older than the retry horizon (dropped, counted).
// Delivery is at-least-once: a crash between the 2xx and the delete resends
// the batch, and the stable event ids let the receiver drop it.
import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import type { Registry } from "prom-client";
import type { StageLogger } from "../../shared/log.js";
import { Spool } from "../buffer/spool.js";
import type { AnomalyEvent } from "../transforms/anomaly-rules.js";
import { type WebhookEndpoint, matches } from "./endpoints.js";
import { createNotifyMetrics, type NotifyMetrics } from "./metrics.js";
import { type WebhookEvent, batchId, payloadBody, toWebhookEvent } from "./payload.js";
import { SIGNATURE_HEADER, signatureHeader } from "./signature.js";

/** What the pipeline needs of a notifier. */
export interface AnomalyNotifier {
  /** Takes the cycle's events; resolves once they are in the outbox. Never throws. */
  notify(events: readonly AnomalyEvent[]): Promise<void>;
}

export interface WebhookNotifierOptions {
  endpoints: readonly WebhookEndpoint[];
  /** Outbox root (INGEST_SPOOL_DIR/outbox); one folder per endpoint id. */
  dir: string;
  cooldownS: number;
  horizonS: number;
  batchSize: number;
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Bound of each endpoint's outbox on disk; past it the oldest batches are dropped. */
  outboxMaxBytes?: number;
  /** How often waiting events are tried again, ms (default 500); no timer runs while every outbox is empty. */
  intervalMs?: number;
  /** The site (EDGE_SITE) every event is sent with; absent = none. */
  site?: string;
  registry: Registry;
  logger: StageLogger;
  now?: () => number;
  random?: () => number;
}

export interface DeliveryReport {
  sent: number;
  failed: number;
  dropped: number;
  pending: number;
}

const COOLDOWN_FILE = "cooldown.json";
const USER_AGENT = "iot-edge-cloud-ingest/0.1";

interface Queue {
  endpoint: WebhookEndpoint;
  outbox: Spool;
  cooldownUs: number;
  /** device NUL rule -> time (µs) of the last event let through. */
  cooldown: Map<string, number>;
  /** Consecutive failed attempts of the batch at the head. */
  attempts: number;
  nextAt: number;
  running?: Promise<DeliveryReport>;
  again: boolean;
}

export class WebhookNotifier implements AnomalyNotifier {
  /** The next pass while events wait; none while every outbox is empty. */
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;

  private constructor(
    private readonly opts: WebhookNotifierOptions,
    private readonly queues: Queue[],
    private readonly metrics: NotifyMetrics,
  ) {}

  /** Opens (creating if needed) each endpoint's outbox and recovers what it holds. */
  static async open(opts: WebhookNotifierOptions): Promise<WebhookNotifier> {
    const queues: Queue[] = [];
    const metrics = createNotifyMetrics(
      opts.registry,
      opts.endpoints.map((e) => e.id),
      () => queues.map((q) => [q.endpoint.id, q.outbox.stats().lines]),
    );
    for (const endpoint of opts.endpoints) {
      const dir = join(opts.dir, endpoint.id);
      const label = { endpoint: endpoint.id };
      const outbox = await Spool.open({
        dir,
        maxBytes: opts.outboxMaxBytes ?? 64 * 1024 * 1024,
        logger: opts.logger,
        onDropped: (n) => metrics.dropped.inc(label, n),
        onRejected: (n) => metrics.dropped.inc(label, n),
      });
      queues.push({
        endpoint,
        outbox,
        cooldownUs: (endpoint.cooldownS ?? opts.cooldownS) * 1_000_000,
        cooldown: await loadCooldown(join(dir, COOLDOWN_FILE)),
        attempts: 0,
        nextAt: 0,
        again: false,
      });
    }
    return new WebhookNotifier(opts, queues, metrics);
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  async notify(events: readonly AnomalyEvent[]): Promise<void> {
    if (events.length === 0) return;
    await Promise.all(
      this.queues.map(async (q) => {
        try {
          await this.enqueue(q, events);
        } catch (err) {
          this.opts.logger.error(
            { endpoint: q.endpoint.id, err: (err as Error).message },
            "webhook outbox write failed: events for this endpoint lost",
          );
        }
      }),
    );
    void this.deliver();
  }

  private async enqueue(q: Queue, events: readonly AnomalyEvent[]): Promise<void> {
    const label = { endpoint: q.endpoint.id };
    const chosen: WebhookEvent[] = [];
    let changed = false;
    for (const e of events) {
      if (!matches(q.endpoint, e)) continue;
      const key = `${e.device}\0${e.rule}`;
      const last = q.cooldown.get(key);
      // Event time, not wall time: a backlog pulled in one cycle is judged as
      // it happened. Either direction counts, for out-of-order history.
      if (last !== undefined && Math.abs(e.timeUs - last) < q.cooldownUs) {
        this.metrics.suppressed.inc(label);
        continue;
      }
      if (q.cooldownUs > 0) {
        q.cooldown.set(key, Math.max(last ?? e.timeUs, e.timeUs));
        changed = true;
      }
      chosen.push(toWebhookEvent(e, this.opts.site));
    }
    for (let i = 0; i < chosen.length; i += this.opts.batchSize) {
      const batch = chosen.slice(i, i + this.opts.batchSize);
      await q.outbox.append(batch.map((e) => JSON.stringify(e)));
    }
    if (changed) await saveCooldown(q, join(q.outbox.dir, COOLDOWN_FILE));
  }

  /**
   * Sends what is due, per endpoint in parallel, oldest batch first; an
   * endpoint stops at its first failure and waits out its backoff. Concurrent
   * calls share the run in flight (and make it go round once more).
   */
  async deliver(): Promise<DeliveryReport> {
    const reports = await Promise.all(this.queues.map((q) => this.deliverQueue(q)));
    this.pollLater();
    return reports.reduce(
      (a, r) => ({
        sent: a.sent + r.sent,
        failed: a.failed + r.failed,
        dropped: a.dropped + r.dropped,
        pending: a.pending + r.pending,
      }),
      { sent: 0, failed: 0, dropped: 0, pending: 0 },
    );
  }

  private deliverQueue(q: Queue): Promise<DeliveryReport> {
    if (q.running) {
      q.again = true;
      return q.running;
    }
    q.running = (async () => {
      const total: DeliveryReport = { sent: 0, failed: 0, dropped: 0, pending: 0 };
      do {
        q.again = false;
        try {
          const r = await this.deliverOnce(q);
          total.sent += r.sent;
          total.failed += r.failed;
          total.dropped += r.dropped;
        } catch (err) {
          // An outbox I/O error: back off like a failed attempt rather than crash the ingester.
          q.attempts += 1;
          q.nextAt = this.now() + this.backoffMs(q.attempts);
          this.opts.logger.error(
            { endpoint: q.endpoint.id, err: (err as Error).message },
            "webhook outbox error: will retry",
          );
        }
      } while (q.again && q.attempts === 0 && !this.closed);
      total.pending = q.outbox.stats().lines;
      return total;
    })().finally(() => {
      q.running = undefined;
    });
    return q.running;
  }

  private async deliverOnce(q: Queue): Promise<DeliveryReport> {
    const report: DeliveryReport = { sent: 0, failed: 0, dropped: 0, pending: 0 };
    const label = { endpoint: q.endpoint.id };
    for (const segment of q.outbox.segments()) {
      const now = this.now();
      const created = Number(segment.name.split("-")[1]);
      if (now - created > this.opts.horizonS * 1000) {
        await q.outbox.remove(segment);
        this.metrics.dropped.inc(label, segment.lines);
        report.dropped += segment.lines;
        this.opts.logger.warn(
          { endpoint: q.endpoint.id, events: segment.lines, ageS: Math.round((now - created) / 1000) },
          "webhook batch older than the retry horizon: dropped",
        );
        continue;
      }
      if (now < q.nextAt) break;
      const lines = await q.outbox.read(segment);
      if (!lines) continue; // moved to rejected/ and counted as dropped by the outbox
      const events = lines.map((l) => JSON.parse(l) as WebhookEvent);
      const attempt = q.attempts + 1;
      if (attempt > 1) this.metrics.retried.inc(label);
      const outcome = await this.post(q.endpoint, events, attempt);
      if (outcome.ok) {
        await q.outbox.remove(segment);
        this.metrics.sent.inc(label, events.length);
        report.sent += events.length;
        q.attempts = 0;
        q.nextAt = 0;
        continue;
      }
      this.metrics.failed.inc(label);
      report.failed += 1;
      q.attempts = attempt;
      q.nextAt = this.now() + this.backoffMs(attempt, outcome.retryAfterS);
      this.opts.logger.warn(
        {
          endpoint: q.endpoint.id,
          attempt,
          reason: outcome.reason,
          retryInMs: q.nextAt - this.now(),
          pending: q.outbox.stats().lines,
        },
        "webhook delivery failed: will retry",
      );
      break;
    }
    return report;
  }

  /** Exponential, capped, with jitter in [50 %, 100 %] so endpoints recovering together are not hit in step. */
  private backoffMs(attempt: number, retryAfterS?: number): number {
    const { retryBaseMs, retryMaxMs } = this.opts;
    const exp = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempt - 1, 30));
    const jittered = exp * (0.5 + 0.5 * (this.opts.random ?? Math.random)());
    const asked = retryAfterS === undefined ? 0 : Math.min(retryMaxMs, retryAfterS * 1000);
    return Math.max(jittered, asked);
  }

  private async post(
    endpoint: WebhookEndpoint,
    events: WebhookEvent[],
    attempt: number,
  ): Promise<{ ok: true } | { ok: false; reason: string; retryAfterS?: number }> {
    const body = payloadBody(events);
    const timestampS = Math.floor(this.now() / 1000);
    try {
      const res = await fetch(endpoint.url, {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          "user-agent": USER_AGENT,
          [SIGNATURE_HEADER]: signatureHeader(endpoint.secret, body, timestampS),
          "x-iot-batch-id": batchId(events),
          "x-iot-delivery-attempt": String(attempt),
        },
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        // A redirect is a failure: the signed body is not re-sent elsewhere.
        redirect: "manual",
      });
      // Read the answer to the end so the keep-alive socket is reusable.
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true };
      const retryAfter = Number(res.headers.get("retry-after"));
      return {
        ok: false,
        reason: `HTTP ${res.status}`,
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterS: retryAfter } : {}),
      };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return { ok: false, reason: e.cause?.code ?? e.name ?? e.message };
    }
  }

  /** Delivers what the outboxes hold, then after every notify, and every intervalMs while events wait. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.deliver();
  }

  /**
   * While events wait (a receiver down or backing off), another pass in
   * intervalMs; no timer runs while every outbox is empty, so an idle
   * ingester is not woken for nothing (as the sink does).
   */
  private pollLater(): void {
    if (!this.started || this.closed || this.timer) return;
    if (this.queues.every((q) => q.outbox.stats().lines === 0)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.deliver();
    }, this.opts.intervalMs ?? 500);
    this.timer.unref();
  }

  /** Stops the timer and waits (at most timeoutMs) for deliveries in flight; the outbox keeps the rest. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.queues.map((q) => q.running ?? Promise.resolve())),
      new Promise((r) => (timeout = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timeout);
  }

  stats(): Record<string, { pending: number; attempts: number }> {
    return Object.fromEntries(
      this.queues.map((q) => [q.endpoint.id, { pending: q.outbox.stats().lines, attempts: q.attempts }]),
    );
  }
}

async function loadCooldown(path: string): Promise<Map<string, number>> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Record<string, number>;
    return new Map(Object.entries(parsed).filter(([, v]) => typeof v === "number"));
  } catch {
    // Absent or damaged: start without cooldowns (at worst one extra notification per device and rule).
    return new Map();
  }
}

/** Atomic replace, pruning entries that can no longer suppress anything. */
async function saveCooldown(q: Queue, path: string): Promise<void> {
  let newest = 0;
  for (const v of q.cooldown.values()) newest = Math.max(newest, v);
  for (const [k, v] of q.cooldown) if (v < newest - 2 * q.cooldownUs) q.cooldown.delete(k);
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(JSON.stringify(Object.fromEntries(q.cooldown)));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}
