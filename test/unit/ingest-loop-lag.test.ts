// The ingester's event-loop lag: sampled during a cycle only, in prom-client's
// gauge names, and nothing sampled between cycles.
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { CycleLoopLag } from "../../ingest/loop-lag.js";
import { createIngestMetrics } from "../../ingest/metrics.js";

function block(ms: number) {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe("cycle loop lag", () => {
  it("sees a stall inside a cycle", async () => {
    const lag = new CycleLoopLag(5);
    lag.start();
    await sleep(20);
    block(80);
    await sleep(20);
    lag.stop();
    // The timer came at least 80 ms late once; the quiet samples stay far below.
    expect(lag.seconds("max")).toBeGreaterThanOrEqual(0.07);
    expect(lag.seconds("p50")).toBeLessThan(lag.seconds("max"));
    expect(lag.seconds("min")).toBeLessThanOrEqual(lag.seconds("mean"));
  });

  it("holds the last cycle's figures until the next cycle starts, then starts afresh", async () => {
    const lag = new CycleLoopLag(5);
    expect(lag.seconds("p99")).toBe(0);
    lag.start();
    await sleep(10);
    block(60);
    await sleep(10);
    lag.stop();
    const figures = () => (["min", "mean", "max", "p50"] as const).map((stat) => lag.seconds(stat));
    const last = figures();
    expect(last[2]).toBeGreaterThanOrEqual(0.05);
    // Stopped: a later stall, or any quiet sample, would move these.
    await sleep(10);
    block(60);
    await sleep(20);
    expect(figures()).toEqual(last);
    lag.start();
    lag.stop();
    expect(lag.seconds("max")).toBe(0);
  });

  it("takes over prom-client's histogram gauges in the ingester's registry, once each", async () => {
    const metrics = createIngestMetrics(".");
    const text = await metrics.registry.metrics();
    for (const stat of ["min", "max", "mean", "stddev", "p50", "p90", "p99"]) {
      const name = `nodejs_eventloop_lag_${stat}_seconds`;
      expect(text.match(new RegExp(`^# HELP ${name} .*$`, "gm"))).toEqual([
        expect.stringContaining("over the last ingest cycle"),
      ]);
      expect(text).toMatch(new RegExp(`^${name} 0$`, "m"));
    }
    // prom-client's scrape-time lag stays.
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });
});
