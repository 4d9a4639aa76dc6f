import { describe, expect, it } from "vitest";
import { Point } from "@influxdata/influxdb-client";
import { anomalyLine, readingLine, statsLine } from "../../ingest/points.js";
import { ANOMALY_FIELD, MEASUREMENT, STATS_FIELD, TAG } from "../../shared/schema.js";
import type { Sample } from "../../ingest/sample.js";
import type { AnomalyEvent } from "../../ingest/transforms/anomaly-rules.js";
import type { Summary } from "../../ingest/transforms/rolling-stats.js";

// The client library's Point is the reference encoding: the lines must be the same, byte for byte.
const atSite = (p: Point, site: string | undefined) => (site ? p.tag(TAG.site, site) : p);

const awkward = ["device_1", "dev ice,1=x", 'quote"back\\slash', "new\nline", "tab\tcr\r", "é-ü"];
const sites = [undefined, "", "lyon-1", "site with space"];
const values = [0, -0, 1, -17.25, 0.1 + 0.2, 1e21, 1e-7, 123456789.123];
const timeUs = 1_796_412_841_400_728;

describe("line protocol", () => {
  it("writes a reading as the client's Point does", () => {
    for (const device of awkward)
      for (const site of sites)
        for (const value of values) {
          const s: Sample = {
            device,
            client: `c-${device}`,
            type: "temperature_sensor",
            metric: "temperature",
            timeUs,
            value,
          };
          const reference = atSite(new Point(MEASUREMENT.reading), site)
            .tag(TAG.client, s.client)
            .tag(TAG.device, s.device)
            .tag(TAG.type, s.type)
            .floatField(s.metric, s.value)
            .timestamp(String(s.timeUs))
            .toLineProtocol();
          expect(readingLine(s, site)).toBe(reference);
        }
  });

  it("writes stats as the client's Point does", () => {
    for (const id of awkward)
      for (const site of sites) {
        const sum: Summary = {
          mean: 21.5,
          min: -3,
          max: 1e21,
          stddev: 0.1 + 0.2,
          count: 60,
          p95: 30.25,
          timeUs,
        };
        const device = { id, client: "acme", type: "humidity_sensor" };
        const reference = atSite(new Point(MEASUREMENT.stats), site)
          .tag(TAG.client, device.client)
          .tag(TAG.device, device.id)
          .tag(TAG.type, device.type)
          .tag(TAG.metric, "humidity")
          .floatField(STATS_FIELD.mean, sum.mean)
          .floatField(STATS_FIELD.min, sum.min)
          .floatField(STATS_FIELD.max, sum.max)
          .floatField(STATS_FIELD.stddev, sum.stddev)
          .intField(STATS_FIELD.count, sum.count)
          .floatField(STATS_FIELD.p95, sum.p95)
          .timestamp(String(sum.timeUs))
          .toLineProtocol();
        expect(statsLine(device, "humidity", sum, site)).toBe(reference);
      }
  });

  it("writes an anomaly as the client's Point does, with and without a baseline", () => {
    for (const message of awkward)
      for (const site of sites)
        for (const baseline of [null, 0, 19.75]) {
          const e: AnomalyEvent = {
            device: "d 1",
            client: "c,1",
            type: "temperature_sensor",
            metric: "temperature",
            rule: "zscore",
            severity: "warning",
            timeUs,
            value: 42.5,
            baseline,
            threshold: 3,
            score: 4.25,
            message,
          };
          const point = atSite(new Point(MEASUREMENT.anomaly), site)
            .tag(TAG.client, e.client)
            .tag(TAG.device, e.device)
            .tag(TAG.type, e.type)
            .tag(TAG.metric, e.metric)
            .tag(TAG.rule, e.rule)
            .tag(TAG.severity, e.severity)
            .floatField(ANOMALY_FIELD.value, e.value)
            .floatField(ANOMALY_FIELD.threshold, e.threshold)
            .floatField(ANOMALY_FIELD.score, e.score)
            .stringField(ANOMALY_FIELD.message, e.message.replace(/[\r\n]+/g, " "))
            .timestamp(String(e.timeUs));
          if (e.baseline !== null) point.floatField(ANOMALY_FIELD.baseline, e.baseline);
          expect(anomalyLine(e, site)).toBe(point.toLineProtocol());
        }
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])("refuses a %s value", (value) => {
    const s: Sample = {
      device: "d",
      client: "c",
      type: "temperature_sensor",
      metric: "temperature",
      timeUs,
      value,
    };
    expect(() => readingLine(s)).toThrow(/invalid float value for field 'temperature'/);
  });
});
