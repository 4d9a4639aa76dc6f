// Per-file InfluxDB buckets: every integration test file works in a bucket of
// its own, named after the file plus a random suffix, created before its
// tests and deleted after, so files never see each other's data.
import { randomBytes } from "node:crypto";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import type { InfluxDB } from "@influxdata/influxdb-client";
import { BucketsAPI } from "@influxdata/influxdb-client-apis";
import { afterAll, beforeAll, describe, inject } from "vitest";
import { createInfluxClient } from "../../shared/influx/client.js";
import type { ProvidedInflux } from "./provided.js";

export const influxServer: ProvidedInflux | null = inject("influx");

/** `describe` when a real InfluxDB is available, else skipped (global setup said why, loudly). */
export const describeWithInflux = influxServer ? describe : describe.skip;

export interface TestBucket {
  readonly name: string;
  readonly id: string;
  readonly server: ProvidedInflux;
  readonly client: InfluxDB;
}

export function testBucketName(fileUrl: string): string {
  const stem = basename(fileURLToPath(fileUrl))
    .replace(/\.test\.ts$/, "")
    .replace(/[^A-Za-z0-9_-]/g, "_");
  return `test_${stem}_${randomBytes(4).toString("hex")}`;
}

export async function createTestBucket(server: ProvidedInflux, name: string): Promise<TestBucket> {
  const client = createInfluxClient(server);
  const bucket = await new BucketsAPI(client).postBuckets({
    body: { orgID: server.orgID, name, retentionRules: [] },
  });
  return { name, id: bucket.id!, server, client };
}

export async function deleteTestBucket(bucket: TestBucket): Promise<void> {
  await new BucketsAPI(bucket.client).deleteBucketsID({ bucketID: bucket.id });
}

/**
 * Registers beforeAll/afterAll hooks giving the calling file its own bucket.
 * Read `.current` inside tests (it is set once beforeAll has run).
 */
export function useTestBucket(fileUrl: string): { readonly current: TestBucket } {
  let bucket: TestBucket | undefined;
  beforeAll(async () => {
    if (!influxServer) return;
    bucket = await createTestBucket(influxServer, testBucketName(fileUrl));
  });
  afterAll(async () => {
    if (bucket) await deleteTestBucket(bucket);
  });
  return {
    get current(): TestBucket {
      if (!bucket) throw new Error("test bucket not ready: use it inside a test or hook");
      return bucket;
    },
  };
}
