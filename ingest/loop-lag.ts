// The ingester's event-loop lag, sampled while a cycle runs and only then.
// Its loop works during cycles and waits in between (over 59 s of every
// minute at 100 devices). prom-client's sampler never stops: every wake-up of
// an idle process cost about 0.3 ms of CPU on the 2-core bench machine (an
// empty one-second setInterval: 19 ms a minute), so sampling once a second
// while waiting cost a 100-device ingester 0.09 ms per upstream request, about a
// sixth of its CPU at the real cadence, and still saw a stall shorter than a
// second only by chance. Sampled every 10 ms during the cycle, the gauges hold
// the last cycle's lag until the next one starts.
import { type RecordableHistogram, createHistogram } from "node:perf_hooks";
import { Gauge, type Registry } from "prom-client";

/** The loop is sampled this often while a cycle runs. */
export const CYCLE_LAG_SAMPLE_MS = 10;

/** prom-client's gauges this module takes over (same names, so dashboards and alerts read either service alike). */
const GAUGES = {
  min: "nodejs_eventloop_lag_min_seconds",
  max: "nodejs_eventloop_lag_max_seconds",
  mean: "nodejs_eventloop_lag_mean_seconds",
  stddev: "nodejs_eventloop_lag_stddev_seconds",
  p50: "nodejs_eventloop_lag_p50_seconds",
  p90: "nodejs_eventloop_lag_p90_seconds",
  p99: "nodejs_eventloop_lag_p99_seconds",
} as const;

type Stat = keyof typeof GAUGES;

export class CycleLoopLag {
  private readonly delays: RecordableHistogram = createHistogram();
  private timer: NodeJS.Timeout | undefined;
  private last = 0;

  constructor(private readonly sampleMs = CYCLE_LAG_SAMPLE_MS) {}

  /** Starts sampling; what the previous cycle recorded is dropped. */
  start(): void {
    this.stop();
    this.delays.reset();
    this.last = performance.now();
    this.timer = setInterval(this.sample, this.sampleMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One figure of the last (or running) cycle, in seconds; 0 before any sample. */
  seconds(stat: Stat): number {
    const h = this.delays;
    if (h.count === 0) return 0;
    const ns =
      stat === "p50"
        ? h.percentile(50)
        : stat === "p90"
          ? h.percentile(90)
          : stat === "p99"
            ? h.percentile(99)
            : h[stat];
    return ns / 1e9;
  }

  /** Replaces prom-client's histogram gauges in `registry` with this cycle-time sampler's. */
  register(registry: Registry): void {
    for (const [stat, name] of Object.entries(GAUGES) as [Stat, string][]) {
      registry.removeSingleMetric(name);
      const seconds = () => this.seconds(stat);
      new Gauge({
        name,
        help: `The event loop's ${stat} lag over the last ingest cycle, sampled every ${this.sampleMs} ms while it ran`,
        registers: [registry],
        collect() {
          this.set(seconds());
        },
      });
    }
  }

  /** How late the timer fired: the time the loop could not run it. */
  private readonly sample = () => {
    const now = performance.now();
    const lateNs = Math.round((now - this.last - this.sampleMs) * 1e6);
    // The histogram takes whole nanoseconds from 1 up.
    this.delays.record(Math.max(1, lateNs));
    this.last = now;
  };
}
