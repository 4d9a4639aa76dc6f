// The sink against a real InfluxDB 2.x: every spooled line is written exactly
// once, outages (refused connections, 5xx, bad token) keep the data spooled
// across a simulated restart, invalid data is set aside without blocking.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flux } from "@influxdata/influxdb-client";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { type InfluxSink, type InfluxSinkOptions, createInfluxSink } from "../../ingest/sink/influx-sink.js";
import { REJECTED_DIR } from "../../ingest/buffer/spool.js";
import { freePort } from "../../shared/net/free-port.js";
import { describeWithInflux, useTestBucket } from "../support/influx.js";

const bucket = useTestBucket(import.meta.url);
const BASE_US = Date.parse("2026-11-20T00:00:00Z") * 1000;

let root: string;
const opened: InfluxSink[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "influx-sink-test-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(async () => {
  // Short: a sink pointed at a dead server must not hold the suite up.
  await Promise.all(opened.splice(0).map((s) => s.close(200)));
});

let dirCount = 0;
const newSpoolDir = () => join(root, `spool-${++dirCount}`);

async function openSink(overrides: Partial<InfluxSinkOptions> & { spoolDir: string }) {
  const { server, name } = bucket.current;
  const registry = new Registry();
  const sink = await createInfluxSink({
    url: server.url,
    token: server.token,
    org: server.org,
    bucket: name,
    timeoutMs: 10_000,
    spoolMaxBytes: 64 << 20,
    batchSize: 50,
    flushIntervalMs: 50,
    writeMaxRetries: 3,
    gzipThreshold: 1000,
    registry,
    logger: pino({ level: "silent" }),
    minRetryDelayMs: 10,
    maxRetryDelayMs: 50,
    ...overrides,
  });
  opened.push(sink);
  return { sink, registry };
}

/** Lines of measurement `m`, values from..from+n-1, one microsecond apart. */
function lines(m: string, from: number, n: number): string[] {
  return Array.from(
    { length: n },
    (_, k) => `${m},device=d${(from + k) % 7} v=${from + k}i,label="point ${from + k}" ${BASE_US + from + k}`,
  );
}

/** Every value of measurement `m` stored in the bucket, sorted. */
async function stored(m: string): Promise<number[]> {
  const { client, server, name } = bucket.current;
  const rows = await client.getQueryApi(server.org).collectRows<{ _value: number }>(flux`
    from(bucket: ${name})
      |> range(start: 2026-11-19T00:00:00Z, stop: 2026-11-21T00:00:00Z)
      |> filter(fn: (r) => r._measurement == ${m} and r._field == "v")`);
  return rows.map((r) => r._value).sort((a, b) => a - b);
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, k) => from + k);

async function metric(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const found = registry.getSingleMetric(name);
  if (!found) throw new Error(`metric ${name} not registered`);
  const { values } = await found.get();
  const match = values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want));
  return match?.value ?? 0;
}

/** An HTTP server in front of InfluxDB: answers with `statuses` first, then proxies. */
async function faultyProxy(target: string, statuses: number[]) {
  const seen: number[] = [];
  const encodings: (string | undefined)[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    encodings.push(req.headers["content-encoding"]);
    const status = statuses.shift();
    if (status !== undefined) {
      seen.push(status);
      req.resume();
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "unavailable", message: `injected ${status}` }));
      return;
    }
    seen.push(0);
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Status answered per request; 0 = proxied to InfluxDB. */
    seen,
    /** Content-Encoding of each request. */
    encodings,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describeWithInflux("InfluxSink against InfluxDB 2.x", () => {
  it("writes every enqueued line exactly once, in batches, oldest first", async () => {
    const { sink, registry } = await openSink({ spoolDir: newSpoolDir() });
    // Small segments share a request; a big one is split into batches of 50.
    await sink.enqueue(lines("once", 0, 3));
    await sink.enqueue(lines("once", 3, 20));
    await sink.enqueue(lines("once", 23, 177));
    await sink.enqueue(lines("once", 200, 1));
    expect(sink.stats()).toMatchObject({ segments: 4, lines: 201 });

    const [a, b] = [sink.drain(), sink.drain()];
    expect(b).toBe(a); // one drain in flight, shared
    expect(await a).toEqual({ written: 201, pending: 0, failed: false, rejected: 0 });
    expect(await sink.drain()).toEqual({ written: 0, pending: 0, failed: false, rejected: 0 });

    expect(await stored("once")).toEqual(range(0, 201));
    expect(await metric(registry, "ingest_points_written_total")).toBe(201);
    expect(await metric(registry, "ingest_spool_points")).toBe(0);
    expect(await metric(registry, "ingest_spool_segments")).toBe(0);
  });

  it("keeps everything spooled while InfluxDB is unreachable, and a restarted sink writes it once", async () => {
    const spoolDir = newSpoolDir();
    const dead = `http://127.0.0.1:${await freePort()}`;
    const first = await openSink({ spoolDir, url: dead, writeMaxRetries: 2 });
    await first.sink.enqueue(lines("outage", 0, 120));
    await first.sink.enqueue(lines("outage", 120, 5));

    const result = await first.sink.drain();
    expect(result).toEqual({ written: 0, pending: 125, failed: true, rejected: 0 });
    // One request, retried twice, all refused.
    expect(await metric(first.registry, "ingest_write_failures_total", { reason: "network" })).toBe(3);
    expect(await metric(first.registry, "ingest_spool_points")).toBe(125);
    await first.sink.close(200);
    expect(await stored("outage")).toEqual([]);

    // Same spool directory, real server: what a restart after the outage sees.
    const second = await openSink({ spoolDir });
    expect(second.sink.stats()).toMatchObject({ lines: 125, segments: 2 });
    expect(await second.sink.drain()).toEqual({ written: 125, pending: 0, failed: false, rejected: 0 });
    expect(await stored("outage")).toEqual(range(0, 125));
  });

  it("retries 5xx with backoff within one drain and then succeeds", async () => {
    const proxy = await faultyProxy(bucket.current.server.url, [503, 500, 503]);
    try {
      const { sink, registry } = await openSink({ spoolDir: newSpoolDir(), url: proxy.url });
      await sink.enqueue(lines("flaky", 0, 30));
      expect(await sink.drain()).toEqual({ written: 30, pending: 0, failed: false, rejected: 0 });
      expect(proxy.seen).toEqual([503, 500, 503, 0]);
      // 30 lines are well over the 1000-byte gzip threshold.
      expect(proxy.encodings).toEqual(["gzip", "gzip", "gzip", "gzip"]);
      expect(await metric(registry, "ingest_write_failures_total", { reason: "server" })).toBe(3);
      expect(await stored("flaky")).toEqual(range(0, 30));
    } finally {
      await proxy.close();
    }
  });

  it("gives up after the retry bound, keeps the segment, and writes it on a later drain", async () => {
    const proxy = await faultyProxy(bucket.current.server.url, [503, 503, 429]);
    try {
      const { sink } = await openSink({ spoolDir: newSpoolDir(), url: proxy.url, writeMaxRetries: 2 });
      await sink.enqueue(lines("later", 0, 10));
      expect(await sink.drain()).toEqual({ written: 0, pending: 10, failed: true, rejected: 0 });
      expect(await stored("later")).toEqual([]);
      expect(await sink.drain()).toEqual({ written: 10, pending: 0, failed: false, rejected: 0 });
      expect(proxy.seen).toEqual([503, 503, 429, 0]);
      expect(await stored("later")).toEqual(range(0, 10));
    } finally {
      await proxy.close();
    }
  });

  it("moves a segment InfluxDB refuses as bad line protocol to rejected/ without blocking the next", async () => {
    const spoolDir = newSpoolDir();
    const { sink, registry } = await openSink({ spoolDir });
    await sink.enqueue(lines("badlp", 0, 4));
    await sink.enqueue(["badlp v== 1", "badlp,device=x v=1i"]);
    await sink.enqueue(lines("badlp", 4, 6));

    expect(await sink.drain()).toEqual({ written: 10, pending: 0, failed: false, rejected: 2 });
    expect(await stored("badlp")).toEqual(range(0, 10));
    expect(await readdir(join(spoolDir, REJECTED_DIR))).toHaveLength(1);
    expect(sink.stats()).toMatchObject({ rejectedLines: 2, lines: 0 });
    expect(await metric(registry, "ingest_points_rejected_total")).toBe(2);
    expect(
      await metric(registry, "ingest_write_failures_total", { reason: "rejected" }),
    ).toBeGreaterThanOrEqual(1);
  });

  it("keeps the segment when the token is refused (401), without retrying it", async () => {
    const spoolDir = newSpoolDir();
    const bad = await openSink({ spoolDir, token: "not-a-valid-token" });
    await bad.sink.enqueue(lines("token", 0, 8));
    expect(await bad.sink.drain()).toEqual({ written: 0, pending: 8, failed: true, rejected: 0 });
    expect(await metric(bad.registry, "ingest_write_failures_total", { reason: "auth" })).toBe(1);
    expect(await readdir(join(spoolDir, REJECTED_DIR))).toEqual([]);
    await bad.sink.close(200);

    const good = await openSink({ spoolDir });
    expect(await good.sink.drain()).toMatchObject({ written: 8, pending: 0 });
    expect(await stored("token")).toEqual(range(0, 8));
  });

  it("drops the oldest points past the spool bound, counted by the metric", async () => {
    const probe = await openSink({ spoolDir: newSpoolDir() });
    await probe.sink.enqueue(lines("bound", 0, 10));
    const segBytes = probe.sink.stats().bytes;

    // Room for about three segments of ten lines; five are enqueued.
    const { sink, registry } = await openSink({
      spoolDir: newSpoolDir(),
      spoolMaxBytes: Math.ceil(segBytes * 3.5),
    });
    for (let k = 0; k < 5; k++) await sink.enqueue(lines("bound", k * 10, 10));
    expect(sink.stats().droppedLines).toBe(20);
    expect(await metric(registry, "ingest_spool_dropped_points_total")).toBe(20);

    expect(await sink.drain()).toMatchObject({ written: 30, failed: false });
    expect(await stored("bound")).toEqual(range(20, 30));
  });

  it("once started, drains what an earlier run left, and tries again every flushIntervalMs while points wait", async () => {
    const spoolDir = newSpoolDir();
    const earlier = await openSink({
      spoolDir,
      url: `http://127.0.0.1:${await freePort()}`,
      writeMaxRetries: 0,
    });
    await earlier.sink.enqueue(lines("timer", 0, 5));
    await earlier.sink.close(200);
    const proxy = await faultyProxy(bucket.current.server.url, [503, 503]);
    try {
      const { sink, registry } = await openSink({ spoolDir, url: proxy.url, writeMaxRetries: 0 });
      sink.start();
      await vi.waitFor(() => expect(sink.stats().lines).toBe(0), { timeout: 20_000, interval: 20 });
      expect(proxy.seen).toEqual([503, 503, 0]);
      expect(await metric(registry, "ingest_write_failures_total", { reason: "server" })).toBe(2);
      expect(await stored("timer")).toEqual(range(0, 5));
    } finally {
      await proxy.close();
    }
  });

  it("once started, writes what is enqueued without waiting for its timer; close() makes a final drain", async () => {
    const { sink } = await openSink({ spoolDir: newSpoolDir(), flushIntervalMs: 3_600_000 });
    sink.start();
    await sink.enqueue(lines("enqueued", 0, 12));
    await vi.waitFor(() => expect(sink.stats().lines).toBe(0), { timeout: 20_000, interval: 20 });
    expect(await stored("enqueued")).toEqual(range(0, 12));

    const other = await openSink({ spoolDir: newSpoolDir(), flushIntervalMs: 3_600_000 });
    await other.sink.enqueue(lines("closing", 0, 5));
    await other.sink.close(10_000);
    expect(await stored("closing")).toEqual(range(0, 5));
    await expect(other.sink.enqueue(lines("closing", 5, 1))).rejects.toThrow(/closed/);
  });
});
