// The edge tier's configuration without any InfluxDB: EDGE_SITE and the
// EDGE_REPLICATE_* variables (all four or none; partial is one clear error
// among the ingester's others), the site tag on every line, the remote's
// fingerprint, and a held sink that writes nothing until released.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ingesterEnvGroups } from "../../ingest/config.js";
import { anomalyLine, readingLine, statsLine } from "../../ingest/points.js";
import { remoteFingerprint, replicationPlan } from "../../ingest/replicate/ensure.js";
import { resolveSetup } from "../../ingest/setup.js";
import { createInfluxSink } from "../../ingest/sink/influx-sink.js";
import { ConfigError, readEnvGroups } from "../../shared/config/index.js";
import { createLogger } from "../../shared/log.js";

const BASE = { INFLUX_TOKEN: "t" };
const CENTRAL = {
  EDGE_REPLICATE_URL: "https://central.example:8086/",
  EDGE_REPLICATE_TOKEN: "secret-central-token",
  EDGE_REPLICATE_ORG: "iot",
  EDGE_REPLICATE_BUCKET: "all_sites",
};

function problems(env: Record<string, string>): string[] {
  try {
    resolveSetup(readEnvGroups(ingesterEnvGroups, env), env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

describe("EDGE_REPLICATE_*: all four or none", () => {
  it("none: no replication, as before", () => {
    const cfg = readEnvGroups(ingesterEnvGroups, BASE);
    expect(replicationPlan(cfg.influx, cfg.edge)).toBeUndefined();
    expect(resolveSetup(cfg, BASE).replication).toBeUndefined();
  });

  it("all four: a plan named after the local bucket, with the queue bound", () => {
    const env = { ...BASE, ...CENTRAL, INFLUX_BUCKET: "site_a", EDGE_REPLICATE_MAX_QUEUE_BYTES: "40000000" };
    const setup = resolveSetup(readEnvGroups(ingesterEnvGroups, env), env);
    expect(setup.replication).toEqual({
      org: "iot",
      localBucket: "site_a",
      central: {
        url: "https://central.example:8086",
        token: "secret-central-token",
        org: "iot",
        bucket: "all_sites",
        caFile: "",
      },
      maxQueueBytes: 40_000_000,
      remoteName: "iot-central:site_a",
      replicationName: "iot-replicate:site_a",
    });
  });

  it("some of them: one problem naming the missing ones, reported with the ingester's others", () => {
    const found = problems({
      ...BASE,
      EDGE_REPLICATE_URL: CENTRAL.EDGE_REPLICATE_URL,
      INGEST_SHARD_INDEX: "5",
    });
    expect(found).toHaveLength(2);
    expect(found).toContainEqual(
      "replication to a central InfluxDB needs EDGE_REPLICATE_URL, EDGE_REPLICATE_TOKEN, EDGE_REPLICATE_ORG, EDGE_REPLICATE_BUCKET: EDGE_REPLICATE_TOKEN, EDGE_REPLICATE_ORG, EDGE_REPLICATE_BUCKET are not set",
    );
    const one = problems({ ...BASE, ...CENTRAL, EDGE_REPLICATE_BUCKET: "" });
    expect(one).toEqual([expect.stringMatching(/: EDGE_REPLICATE_BUCKET is not set$/)]);
  });

  it("bad values are named, secrets hidden", () => {
    let error: unknown;
    try {
      readEnvGroups(ingesterEnvGroups, {
        ...BASE,
        ...CENTRAL,
        EDGE_SITE: "site a!",
        EDGE_REPLICATE_URL: "central:8086",
        EDGE_REPLICATE_MAX_QUEUE_BYTES: "1000",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).problems.join("\n");
    expect(text).toMatch(/EDGE_SITE="site a!" is invalid: expected a site name/);
    expect(text).toMatch(
      /EDGE_REPLICATE_URL="central:8086" is invalid: expected an http:\/\/ or https:\/\/ URL/,
    );
    expect(text).toMatch(
      /EDGE_REPLICATE_MAX_QUEUE_BYTES="1000" is invalid: expected an integer in 33554430\.\./,
    );
  });

  it("the remote's fingerprint changes with the URL, organization or token, and does not show the token", () => {
    const central = { url: "http://c:8086", token: "tok-1", org: "iot", bucket: "b", caFile: "" };
    const fp = remoteFingerprint(central);
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(remoteFingerprint({ ...central, bucket: "other" })).toBe(fp);
    for (const change of [{ token: "tok-2" }, { url: "http://d:8086" }, { org: "x" }])
      expect(remoteFingerprint({ ...central, ...change })).not.toBe(fp);
  });
});

describe("EDGE_SITE: the site tag", () => {
  const device = { client: "client_1", device: "device_1", type: "temperature_sensor" as const };
  it("is on every reading, stats and anomaly line when set, on none when not", () => {
    const reading = { ...device, metric: "temperature" as const, timeUs: 1_000_000, value: 21.5 };
    const summary = { mean: 1, min: 1, max: 1, stddev: 0, count: 1, p95: 1, timeUs: 1_000_000 };
    const event = {
      ...device,
      metric: "temperature" as const,
      rule: "zscore" as const,
      severity: "warning" as const,
      timeUs: 1_000_000,
      value: 1,
      threshold: 2,
      baseline: null,
      score: 3,
      message: "m",
    };
    const withSite = [
      readingLine(reading, "site-a"),
      statsLine(
        { id: "device_1", client: "client_1", type: "temperature_sensor" },
        "temperature",
        summary,
        "site-a",
      ),
      anomalyLine(event, "site-a"),
    ];
    for (const line of withSite) expect(line).toMatch(/^\w+(,[^ ]*)?,site=site-a[, ]/);
    const without = [
      readingLine(reading),
      statsLine({ id: "device_1", client: "client_1", type: "temperature_sensor" }, "temperature", summary),
      anomalyLine(event, ""),
    ];
    for (const line of without) expect(line).not.toContain("site=");
  });
});

describe("a held sink", () => {
  it("writes nothing until released: the points wait in the spool", async () => {
    const dir = await mkdtemp(join(tmpdir(), "held-sink-"));
    try {
      const sink = await createInfluxSink({
        // Nothing listens here: a write attempt would fail the drain.
        url: "http://127.0.0.1:9",
        token: "t",
        org: "iot",
        bucket: "iot",
        timeoutMs: 200,
        spoolDir: dir,
        spoolMaxBytes: 1 << 20,
        batchSize: 100,
        flushIntervalMs: 60_000,
        writeMaxRetries: 0,
        gzipThreshold: 1000,
        registry: new Registry(),
        logger: createLogger("test", "silent"),
        held: true,
      });
      await sink.enqueue(["m v=1 1000000"]);
      expect(await sink.drain()).toEqual({ written: 0, pending: 1, failed: false, rejected: 0 });
      sink.release();
      const after = await sink.drain();
      expect(after).toMatchObject({ written: 0, pending: 1, failed: true });
      await sink.close(200);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
