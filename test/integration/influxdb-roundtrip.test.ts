// Proves the foundation: points written with the official client's WriteApi
// come back through Flux (QueryApi) exactly, on a real InfluxDB 2.x.
import { Point, flux } from "@influxdata/influxdb-client";
import { expect, it } from "vitest";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";

const bucket = useTestBucket(import.meta.url);

interface Row {
  _time: string;
  _field: string;
  _value: unknown;
  device: string;
  type: string;
}

describeWithInflux("InfluxDB 2.x round trip (WriteApi -> Flux QueryApi)", () => {
  it("runs against InfluxDB 2.7 or newer", () => {
    const [major, minor] = influxServer!.version.replace(/^v/, "").split(".").map(Number);
    console.log(`InfluxDB server version: ${influxServer!.version}`);
    expect(major).toBe(2);
    expect(minor).toBeGreaterThanOrEqual(7);
  });

  it("reads back every field type and timestamp exactly", async () => {
    const { client, server, name } = bucket.current;
    const base = Date.parse("2026-11-26T10:00:00.000Z");
    const expected = [
      {
        t: base,
        device: "temp-1",
        type: "temperature",
        float: 21.37,
        int: 42,
        str: 'a "quoted", comma=value',
        bool: true,
      },
      {
        t: base + 60_000,
        device: "temp-1",
        type: "temperature",
        float: -0.01,
        int: -7,
        str: "tab\tand\\slash",
        bool: false,
      },
      {
        t: base + 1,
        device: "hum 2",
        type: "humidity",
        float: 1e-9,
        int: 9007199254740991,
        str: "ünïcødé ✓",
        bool: true,
      },
    ];

    const writeApi = client.getWriteApi(server.org, name, "ms");
    for (const e of expected) {
      writeApi.writePoint(
        new Point("roundtrip")
          .tag("device", e.device)
          .tag("type", e.type)
          .floatField("f", e.float)
          .intField("i", e.int)
          .stringField("s", e.str)
          .booleanField("b", e.bool)
          .timestamp(new Date(e.t)),
      );
    }
    await writeApi.close();

    const rows = await client.getQueryApi(server.org).collectRows<Row>(flux`
      from(bucket: ${name})
        |> range(start: ${new Date(base - 3_600_000)}, stop: ${new Date(base + 3_600_000)})
        |> filter(fn: (r) => r._measurement == "roundtrip")`);

    // One Flux table per series and field type; order them the way `want` is.
    const got = rows
      .map((r) => ({ time: r._time, device: r.device, type: r.type, field: r._field, value: r._value }))
      .sort(
        (a, b) =>
          Date.parse(a.time) - Date.parse(b.time) ||
          a.device.localeCompare(b.device) ||
          a.field.localeCompare(b.field),
      );
    const want = [...expected]
      .sort((a, b) => a.t - b.t || a.device.localeCompare(b.device))
      .flatMap((e) =>
        (
          [
            ["b", e.bool],
            ["f", e.float],
            ["i", e.int],
            ["s", e.str],
          ] as const
        ).map(([field, value]) => ({
          time: new Date(e.t).toISOString().replace(".000Z", "Z"),
          device: e.device,
          type: e.type,
          field,
          value,
        })),
      );
    expect(got).toEqual(want);
  });

  // Known server behaviour: the annotated CSV of /api/v2/query writes a
  // newline inside a string value as CRLF. Messages the product stores (e.g.
  // anomaly texts) must therefore stay on one line.
  it("returns a newline inside a string field as CRLF", async () => {
    const { client, server, name } = bucket.current;
    const writeApi = client.getWriteApi(server.org, name, "s");
    writeApi.writePoint(
      new Point("multiline").stringField("s", "a\nb").timestamp(new Date("2026-11-26T09:00:00Z")),
    );
    await writeApi.close();
    const rows = await client.getQueryApi(server.org).collectRows<{ _value: string }>(flux`
      from(bucket: ${name})
        |> range(start: 2026-11-26T08:00:00Z, stop: 2026-11-26T10:00:00Z)
        |> filter(fn: (r) => r._measurement == "multiline")`);
    expect(rows.map((r) => r._value)).toEqual(["a\r\nb"]);
  });
});
