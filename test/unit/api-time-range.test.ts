import { describe, expect, it } from "vitest";
import {
  RangeInputError,
  autoEvery,
  formatDuration,
  parseDurationMs,
  parseEvery,
  parseRange,
  parseRfc3339Ms,
  parseTime,
  windowCount,
} from "../../api/time-range.js";

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const limits = { maxRangeMs: 31 * 86_400_000, defaultStart: "-1h" };

function errorOf(fn: () => unknown): RangeInputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RangeInputError) return err;
    throw err;
  }
  throw new Error("expected a RangeInputError");
}

describe("durations", () => {
  it.each([
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["2d12h", 216_000_000],
    ["500ms", 500],
    ["1w", 604_800_000],
  ])("%s is %d ms", (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(["", "h", "1", "-1h", "1y", "1.5h", "1h ", "1H", '1h") |> drop() //', "١h"])("refuses %j", (text) =>
    expect(parseDurationMs(text)).toBeUndefined(),
  );

  it("renders canonically", () => {
    expect(formatDuration(216_000_000)).toBe("2d12h");
    expect(formatDuration(87_000)).toBe("1m27s");
    expect(formatDuration(1500)).toBe("1s500ms");
  });
});

describe("RFC 3339", () => {
  it("parses zones and fractions", () => {
    expect(parseRfc3339Ms("2026-01-31T12:00:00Z")).toBe(Date.UTC(2026, 0, 31, 12));
    expect(parseRfc3339Ms("2026-01-31T12:00:00.123456789Z")).toBe(Date.UTC(2026, 0, 31, 12, 0, 0, 123));
    expect(parseRfc3339Ms("2026-01-31T14:30:00+02:30")).toBe(Date.UTC(2026, 0, 31, 12));
    expect(parseRfc3339Ms("2026-01-31T10:00:00-02:00")).toBe(Date.UTC(2026, 0, 31, 12));
  });

  it.each([
    "2026-02-30T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T00:00:60Z",
    "2026-01-01 00:00:00Z",
    "2026-01-01T00:00:00",
    "+012026-01-01T00:00:00Z",
    '2026-01-01T00:00:00Z") |> drop()',
  ])("refuses %j", (text) => expect(parseRfc3339Ms(text)).toBeUndefined());
});

describe("parseTime / parseRange", () => {
  it("resolves relative times and now against the clock", () => {
    expect(parseTime("start", "-1h", NOW)).toBe(NOW - 3_600_000);
    expect(parseTime("stop", "now", NOW)).toBe(NOW);
  });

  it("applies the defaults", () => {
    expect(parseRange({}, limits, NOW)).toEqual({ startMs: NOW - 3_600_000, stopMs: NOW });
  });

  it("names the parameter at fault", () => {
    expect(errorOf(() => parseRange({ stop: "yesterday" }, limits, NOW)).parameter).toBe("stop");
    expect(errorOf(() => parseRange({ start: "1h" }, limits, NOW)).message).toMatch(
      /start must be a negative duration/,
    );
  });

  it("refuses start >= stop and ranges over the limit", () => {
    expect(errorOf(() => parseRange({ start: "-1h", stop: "-2h" }, limits, NOW)).message).toBe(
      "start must be before stop",
    );
    expect(errorOf(() => parseRange({ start: "-32d" }, limits, NOW)).message).toMatch(/at most 31d/);
    expect(parseRange({ start: "-31d" }, limits, NOW).startMs).toBe(NOW - 31 * 86_400_000);
  });

  it("keeps instants inside what InfluxDB stores: the grammar refuses what would leave it", () => {
    expect(errorOf(() => parseTime("start", "-99999w", NOW)).message).toMatch(/start must be a negative/);
    expect(errorOf(() => parseTime("stop", "2262-06-01T00:00:00Z", NOW)).message).toMatch(
      /years 1970 to 2261/,
    );
    expect(errorOf(() => parseTime("start", "1969-12-31T23:59:59Z", NOW)).parameter).toBe("start");
    // The largest relative time and the earliest and latest times with any offset are accepted.
    expect(parseTime("start", "-999w9999d9999h999999m9999999s999999999ms", NOW)).toBeGreaterThan(
      Date.UTC(1970, 0, 1),
    );
    expect(parseTime("start", "1970-01-01T00:00:00+23:59", NOW)).toBe(Date.UTC(1969, 11, 31, 0, 1));
    expect(parseTime("stop", "2261-12-31T23:59:59.999-23:59", NOW)).toBeLessThan(Date.UTC(2262, 0, 2));
  });

  it("accepts exactly the documented grammar", () => {
    for (const ok of [
      "now",
      "now()",
      "-1h30m",
      "-2d12h",
      "2024-02-29T00:00:00Z",
      "2000-02-29T12:00:00.5+02:00",
    ])
      expect(() => parseTime("start", ok, NOW), ok).not.toThrow();
    for (const bad of [
      "-30m1h",
      "-1h1h",
      "-01h",
      "-0s",
      "2026-02-29T00:00:00Z",
      "2100-02-29T00:00:00Z",
      "now ",
      "-1h\n",
    ])
      expect(errorOf(() => parseTime("start", bad, NOW)).parameter, bad).toBe("start");
  });
});

describe("every and the point cap", () => {
  const range = { startMs: NOW - 86_400_000, stopMs: NOW };

  it("counts windows, a partial last one included", () => {
    expect(windowCount(range, 60_000)).toBe(1440);
    expect(windowCount({ startMs: 0, stopMs: 90_000 }, 60_000)).toBe(2);
  });

  it("chooses the smallest whole-second every within the cap, at least the minimum", () => {
    expect(autoEvery(range, 1000)).toBe(87_000);
    expect(windowCount(range, autoEvery(range, 1000))).toBeLessThanOrEqual(1000);
    expect(autoEvery({ startMs: 0, stopMs: 3_600_000 }, 1000)).toBe(60_000);
  });

  it("refuses windows under 1s; longer than the range is one window", () => {
    expect(parseEvery("1s")).toBe(1000);
    expect(parseEvery("1000ms")).toBe(1000);
    expect(parseEvery("32d")).toBe(32 * 86_400_000);
    expect(errorOf(() => parseEvery("500ms")).parameter).toBe("every");
    expect(errorOf(() => parseEvery("500ms")).message).toMatch(/at least 1s/);
    expect(errorOf(() => parseEvery("fast")).message).toMatch(/every must be a duration/);
    expect(errorOf(() => parseEvery("1000w")).parameter).toBe("every");
  });
});
