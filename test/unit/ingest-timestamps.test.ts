import { describe, expect, it } from "vitest";
import { formatUs, parseLocalTimestampUs } from "../../ingest/source/timestamps.js";
import { rfc3339ToUs } from "../../ingest/state/recover.js";

describe("parseLocalTimestampUs", () => {
  it("keeps all six fractional digits", () => {
    const us = parseLocalTimestampUs("2026-11-26T10:15:30.123456");
    expect(us).toBe(Date.UTC(2026, 10, 26, 10, 15, 30) * 1000 + 123456);
    expect(formatUs(us!)).toBe("2026-11-26T10:15:30.123456Z");
  });

  it("pads shorter fractions and accepts none", () => {
    expect(parseLocalTimestampUs("2026-01-01T00:00:00.5")).toBe(Date.UTC(2026, 0, 1) * 1000 + 500000);
    expect(parseLocalTimestampUs("2026-01-01T00:00:00")).toBe(Date.UTC(2026, 0, 1) * 1000);
  });

  it("reads the wall time in the configured zone, across DST", () => {
    // Paris is UTC+1 in winter, UTC+2 in summer.
    expect(parseLocalTimestampUs("2026-01-15T12:00:00.000000", "Europe/Paris")).toBe(
      Date.UTC(2026, 0, 15, 11) * 1000,
    );
    expect(parseLocalTimestampUs("2026-07-15T12:00:00.000000", "Europe/Paris")).toBe(
      Date.UTC(2026, 6, 15, 10) * 1000,
    );
  });

  it.each([
    "2026-11-26T10:15:30.123456Z",
    "2026-11-26T10:15:30+01:00",
    "2026-02-30T10:15:30",
    "2026-11-26 10:15:30",
    "2026-11-26T24:00:00",
    "",
    "yesterday",
  ])("refuses %j", (text) => {
    expect(parseLocalTimestampUs(text)).toBeNull();
  });
});

describe("rfc3339ToUs", () => {
  it("reads InfluxDB's nanosecond RFC 3339 back to microseconds", () => {
    expect(rfc3339ToUs("2026-11-26T10:15:30.123456789Z")).toBe(
      Date.UTC(2026, 10, 26, 10, 15, 30) * 1000 + 123456,
    );
    expect(rfc3339ToUs("2026-11-26T10:15:30Z")).toBe(Date.UTC(2026, 10, 26, 10, 15, 30) * 1000);
  });
});
