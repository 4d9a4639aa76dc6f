import { describe, expect, it } from "vitest";
import { formatUs, parseLocalTimestampUs } from "../../ingest/source/timestamps.js";
import { rfc3339ToUs } from "../../ingest/state/recover.js";
import { utcMsOf } from "../../shared/time.js";

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

  it("scales every fraction length to microseconds", () => {
    const base = Date.UTC(2026, 0, 1) * 1000;
    const fractions = ["1", "12", "123", "1234", "12345", "123456"];
    expect(fractions.map((f) => parseLocalTimestampUs(`2026-01-01T00:00:00.${f}`)! - base)).toEqual([
      100000, 120000, 123000, 123400, 123450, 123456,
    ]);
  });

  it("reads leap days, and the same zone twice alike", () => {
    expect(parseLocalTimestampUs("2024-02-29T23:59:59")).toBe(Date.UTC(2024, 1, 29, 23, 59, 59) * 1000);
    expect(parseLocalTimestampUs("2000-02-29T00:00:00")).toBe(Date.UTC(2000, 1, 29) * 1000);
    const paris = parseLocalTimestampUs("2026-03-29T03:30:00", "Europe/Paris");
    expect(parseLocalTimestampUs("2026-03-29T03:30:00", "Europe/Paris")).toBe(paris);
    expect(paris).toBe(Date.UTC(2026, 2, 29, 1, 30) * 1000);
  });

  it.each([
    "2026-11-26T10:15:30.",
    "2026-11-26T10:15:30.1234567",
    "2026-11-26T10:15:30,123",
    "2026-11-26T10:15:3a",
    "2026-11-26T10:60:00",
    "2026-13-01T00:00:00",
    "2026-00-01T00:00:00",
    "2026-04-31T00:00:00",
    "2025-02-29T00:00:00",
    "1900-02-29T00:00:00",
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

describe("utcMsOf", () => {
  it("agrees with Date.UTC, years 0..99 included", () => {
    expect(utcMsOf(2026, 11, 26, 10, 15, 30)).toBe(Date.UTC(2026, 10, 26, 10, 15, 30));
    expect(utcMsOf(1969, 12, 31, 23, 59, 59)).toBe(-1000);
    expect(utcMsOf(-1, 3, 1, 0, 0, 0)).toBe(Date.UTC(-1, 2, 1));
    const year42 = new Date(0);
    year42.setUTCFullYear(42, 0, 1);
    expect(utcMsOf(42, 1, 1, 0, 0, 0)).toBe(year42.getTime());
  });

  it.each([
    [2026, 2, 29, 0, 0, 0],
    [2026, 1, 1, 24, 0, 0],
    [2026, 1, 1, 0, -1, 0],
    [2026, 1, 1, 0, 0, 1.5],
    [2026, Number.NaN, 1, 0, 0, 0],
    [275_761, 1, 1, 0, 0, 0],
  ])("refuses %j", (...fields) => {
    expect(utcMsOf(...fields)).toBeNull();
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
