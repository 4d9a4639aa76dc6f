// Every test file gets a bucket of its own: this file writes the same series
// into its bucket and into a sibling file's bucket and shows that each sees
// only its own data, and that a new bucket starts empty although other files
// write the same measurement names.
import { Point, flux } from "@influxdata/influxdb-client";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type TestBucket,
  createTestBucket,
  deleteTestBucket,
  describeWithInflux,
  influxServer,
  testBucketName,
  useTestBucket,
} from "../support/influx.js";

const mine = useTestBucket(import.meta.url);
let sibling: TestBucket;

beforeAll(async () => {
  if (influxServer)
    sibling = await createTestBucket(influxServer, testBucketName("file:///x/sibling-file.test.ts"));
});
afterAll(async () => {
  if (sibling) await deleteTestBucket(sibling);
});

async function write(bucket: TestBucket, marker: string, value: number) {
  const api = bucket.client.getWriteApi(bucket.server.org, bucket.name, "ms");
  api.writePoint(
    new Point("roundtrip").tag("device", "shared-id").tag("marker", marker).floatField("f", value),
  );
  await api.close();
}

async function markers(bucket: TestBucket): Promise<{ marker: string; value: number }[]> {
  const rows = await bucket.client.getQueryApi(bucket.server.org).collectRows<{
    marker: string;
    _value: number;
  }>(flux`
    from(bucket: ${bucket.name})
      |> range(start: -1h)`);
  return rows.map((r) => ({ marker: r.marker, value: r._value }));
}

describeWithInflux("bucket isolation between test files", () => {
  it("names each file's bucket after the file, uniquely", () => {
    expect(mine.current.name).toMatch(/^test_bucket-isolation_[0-9a-f]{8}$/);
    expect(sibling.name).toMatch(/^test_sibling-file_[0-9a-f]{8}$/);
    expect(testBucketName(import.meta.url)).not.toBe(mine.current.name);
  });

  it("starts empty", async () => {
    expect(await markers(mine.current)).toEqual([]);
  });

  it("keeps each file's points to its own bucket", async () => {
    await write(mine.current, "mine", 1.5);
    await write(sibling, "sibling", 2.5);
    expect(await markers(mine.current)).toEqual([{ marker: "mine", value: 1.5 }]);
    expect(await markers(sibling)).toEqual([{ marker: "sibling", value: 2.5 }]);
  });
});
