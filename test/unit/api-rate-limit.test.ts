import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../api/rate-limit.js";
import { trendOf } from "../../api/routes/trend.js";

describe("token bucket", () => {
  it("allows a burst of perMinute, then refuses with the wait in whole seconds", () => {
    const limiter = new RateLimiter(60);
    for (let i = 0; i < 60; i++) expect(limiter.take("a", 0).allowed).toBe(true);
    const refused = limiter.take("a", 0);
    expect(refused).toEqual({ allowed: false, retryAfterS: 1, remaining: 0 });
  });

  it("refills evenly over the minute", () => {
    const limiter = new RateLimiter(6);
    for (let i = 0; i < 6; i++) limiter.take("a", 0);
    expect(limiter.take("a", 5_000).allowed).toBe(false);
    expect(limiter.take("a", 5_000).retryAfterS).toBe(5);
    expect(limiter.take("a", 10_000).allowed).toBe(true);
    expect(limiter.take("a", 10_000).allowed).toBe(false);
  });

  it("keeps keys apart", () => {
    const limiter = new RateLimiter(1);
    expect(limiter.take("a", 0).allowed).toBe(true);
    expect(limiter.take("a", 0).allowed).toBe(false);
    expect(limiter.take("b", 0).allowed).toBe(true);
  });

  it("never holds more than its bound of keys", () => {
    const limiter = new RateLimiter(1, 3);
    for (const k of ["a", "b", "c", "d"]) limiter.take(k, 0);
    // "a" was forgotten: it starts with a full bucket again.
    expect(limiter.take("a", 0).allowed).toBe(true);
  });
});

describe("trend", () => {
  const at = (minutes: number, value: number) => ({ time: new Date(minutes * 60_000).toISOString(), value });

  it("measures the slope per hour", () => {
    const t = trendOf([at(0, 20), at(30, 21), at(60, 22), at(90, 23)]);
    expect(t.slopePerHour).toBeCloseTo(2, 10);
    expect(t.r2).toBeCloseTo(1, 10);
    expect(t.direction).toBe("rising");
    expect(trendOf([at(0, 50), at(60, 40)]).direction).toBe("falling");
  });

  it("calls a change within 1 % of the level flat, and too few points unknown", () => {
    expect(trendOf([at(0, 100), at(60, 100.5)]).direction).toBe("flat");
    expect(trendOf([at(0, 1)])).toEqual({ slopePerHour: null, r2: null, direction: "unknown" });
  });
});
