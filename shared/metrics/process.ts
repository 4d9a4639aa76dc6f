// Process metrics every service exports: prom-client's defaults (CPU, memory,
// GC, event-loop lag) and the edge host gauges (edge.ts).
import { type Registry, collectDefaultMetrics } from "prom-client";
import { registerEdgeMetrics } from "./edge.js";

/**
 * prom-client samples event-loop delay with a timer at this interval. Its
 * default (10 ms) wakes an idle process 100 times a second: about 5 ms of CPU
 * per second measured on the 2-core bench machine, more than a 100-device
 * ingester's own work between cycles. At 100 ms a stall longer than 100 ms,
 * the kind the lag panels are for, is still seen.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * For a service that samples its loop itself (ingest/loop-lag.ts): prom-client
 * always starts its sampler, and this interval, the longest timer Node keeps
 * (2^31 - 1 ms, 24.8 days), keeps it from ever waking the process.
 */
export const NO_EVENT_LOOP_SAMPLING = 2 ** 31 - 1;

/** `eventLoopSampleMs`: prom-client's event-loop sampling interval (NO_EVENT_LOOP_SAMPLING to leave it to the service). */
export function registerProcessMetrics(
  registry: Registry,
  diskPath: string,
  eventLoopSampleMs = EVENT_LOOP_SAMPLE_MS,
): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: eventLoopSampleMs });
  registerEdgeMetrics(registry, diskPath);
}
