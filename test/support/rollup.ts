// Helpers for rollup tests: run the InfluxDB task on demand (the tasks API,
// with the run's `now` chosen by the test) and read `reading_hourly` back.
import { HttpError, type InfluxDB, flux } from "@influxdata/influxdb-client";
import { TasksAPI } from "@influxdata/influxdb-client-apis";
import { MEASUREMENT } from "../../shared/schema.js";

/** Runs the task once as if it were `nowMs`, waits for the run to end, and throws with its log unless it succeeded. */
export async function runTaskAt(client: InfluxDB, taskID: string, nowMs: number, timeoutMs = 60_000) {
  const api = new TasksAPI(client);
  const run = await api.postTasksIDRuns({ taskID, body: { scheduledFor: new Date(nowMs).toISOString() } });
  const until = Date.now() + timeoutMs;
  for (;;) {
    // A manual run is unknown to GET .../runs/{id} until the scheduler picks it up: 404 = still queued.
    const state = await api.getTasksIDRunsID({ taskID, runID: run.id! }).catch((err: unknown) => {
      if (err instanceof HttpError && err.statusCode === 404) return { status: "queued" as const };
      throw err;
    });
    if (state.status === "success") return state;
    if (state.status === "failed" || state.status === "canceled" || Date.now() > until) {
      const logs = await api.getTasksIDRunsIDLogs({ taskID, runID: run.id! });
      throw new Error(
        `task run ${run.id} ended ${state.status}: ${(logs.events ?? []).map((e) => e.message).join(" | ")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface HourlyRow {
  client: string;
  device: string;
  type: string;
  metric: string;
  /** Hour start, ms. */
  hour: number;
  mean: number;
  min: number;
  max: number;
  count: number;
}

/** Every `reading_hourly` point of a bucket, one row per series and hour, sorted. */
export async function readHourly(client: InfluxDB, org: string, bucket: string): Promise<HourlyRow[]> {
  const rows = await client.getQueryApi(org).collectRows<Record<string, unknown>>(flux`
    from(bucket: ${bucket})
      |> range(start: 0)
      |> filter(fn: (r) => r._measurement == ${MEASUREMENT.readingHourly})
      |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
      |> group()`);
  return rows
    .map((r) => ({
      client: r.client as string,
      device: r.device as string,
      type: r.type as string,
      metric: r.metric as string,
      hour: Date.parse(r._time as string),
      mean: r.mean as number,
      min: r.min as number,
      max: r.max as number,
      count: r.count as number,
    }))
    .sort(compareHourly);
}

export function compareHourly(a: HourlyRow, b: HourlyRow): number {
  return (
    a.device.localeCompare(b.device) ||
    a.metric.localeCompare(b.metric) ||
    a.hour - b.hour ||
    a.client.localeCompare(b.client)
  );
}

/** One raw reading as the rollup tests write it. */
export interface RawSample {
  client: string;
  device: string;
  type: string;
  metric: string;
  timeMs: number;
  value: number;
}

/** The hourly rows computed independently, in JS, from raw samples. */
export function expectedHourly(samples: readonly RawSample[]): HourlyRow[] {
  const groups = new Map<
    string,
    { key: Omit<HourlyRow, "mean" | "min" | "max" | "count">; values: number[] }
  >();
  for (const s of samples) {
    const hour = Math.floor(s.timeMs / 3_600_000) * 3_600_000;
    const id = [s.client, s.device, s.type, s.metric, hour].join("|");
    let g = groups.get(id);
    if (!g) {
      g = { key: { client: s.client, device: s.device, type: s.type, metric: s.metric, hour }, values: [] };
      groups.set(id, g);
    }
    g.values.push(s.value);
  }
  return [...groups.values()]
    .map(({ key, values }) => ({
      ...key,
      mean: values.reduce((a, b) => a + b, 0) / values.length,
      min: Math.min(...values),
      max: Math.max(...values),
      count: values.length,
    }))
    .sort(compareHourly);
}
