import type { DeviceType, Metric } from "../shared/schema.js";

/** One validated measurement, the unit that flows through the pipeline. */
export interface Sample {
  device: string;
  client: string;
  type: DeviceType;
  metric: Metric;
  /** Microseconds since the epoch (the upstream's precision). */
  timeUs: number;
  value: number;
}
