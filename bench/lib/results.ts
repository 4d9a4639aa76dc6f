// The shape of bench/results/*.json. Every figure is a plain number (ms,
// points/s, MB) so other tools can read the file without this code.
import type { DetectionScore } from "./detection.js";

export interface MachineInfo {
  nproc: number;
  memoryMb: number;
  cpuModel: string;
  node: string;
  influxd: string;
  os: string;
  /** Load average (1 min) when the run started and ended: other work on the machine. */
  loadAtStart: number;
  loadAtEnd?: number;
}

export interface WriteVariant {
  label: string;
  points: number;
  ms: number;
  pointsPerS: number;
  batchLines: number;
  requests: number;
  gzip: boolean;
  /** Points/s of every round (the figure above is their median). */
  rounds?: number[];
}

export interface WriteResults {
  points: number;
  bytes: number;
  /** Raw ceiling: minimal node:http client, pre-encoded lines. */
  raw: WriteVariant;
  rawGzip: WriteVariant;
  /** The ingester's sink (spool + official client + gzip), same lines. */
  sink: WriteVariant & { enqueueMs: number };
  /** The sink again with INGEST_BATCH_SIZE equal to the raw batch: what the batch size alone accounts for. */
  sinkBatch?: WriteVariant;
  /** sink points/s divided by raw points/s. */
  ratio: number;
}

export interface CycleFigures {
  /** Wall time the ingester logged for the cycle ("cycle done" ms). */
  ms: number;
  samples: number;
  lines: number;
  samplesPerS: number;
  upstreamRequests: number;
  upstreamRequestsPerS: number;
  failedDevices: number;
  /** VmHWM of the ingester process after this cycle, MB. */
  peakRssMb: number;
  /** VmRSS of the ingester process after this cycle, MB. */
  rssMb: number;
  /** V8 heap in use after this cycle, MB (live data plus garbage not yet collected). */
  heapUsedMb: number;
}

/** Each sample once: history points InfluxDB holds against the device-minutes served. */
export interface StoredPerServed {
  points: number;
  served: number;
  /** Served minutes with no point. */
  missing: number;
  /** points / served; the contract is exactly 1. */
  ratio: number;
}

export interface CycleRun {
  devices: number;
  catchUp: CycleFigures;
  /** Steady cycles (one new simulated minute each); the last is the one reported. */
  steady: CycleFigures[];
  perServed?: StoredPerServed;
  startupMs: number;
  peakRssMb: number;
  error?: string;
}

export interface CycleResults {
  runs: CycleRun[];
  /** log-log slope between consecutive fleet sizes (1 = linear). */
  growth: { from: number; to: number; catchUpTime: number; steadyTime: number; peakRss: number }[];
}

export interface EndpointFigures {
  requests: number;
  /** Successful (2xx) answers per second. */
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export interface EndpointResult {
  name: string;
  path: string;
  api: EndpointFigures;
  direct: EndpointFigures;
  /** api rps / direct rps. */
  ratio: number;
  /** One request alone (warm-up, no concurrency), ms. */
  aloneMs: { api: number; direct: number };
}

export interface ApiResults {
  devices: number;
  clients: number;
  hours: number;
  readings: number;
  loadMs: number;
  concurrency: number;
  durationS: number;
  endpoints: EndpointResult[];
}

/** One endpoint at one range with one key: alone and at concurrency 4. */
export interface LongRangeCall {
  /** summary, client_statistics, stats, processed_data, series, trend, anomalies; devices and device (range LOOKBACK_RANGE). */
  endpoint: string;
  /** The path asked, the device as {id}. */
  path: string;
  range: string;
  key: "admin" | "client";
  /** Median of the runs one at a time, ms. */
  aloneMs: number;
  aloneRuns: number;
  /** Median latency with 4 requests in flight, ms. */
  concurrentMs: number;
  concurrentRuns: number;
  /** Distinct HTTP statuses of every request of this row (0 = no answer). */
  statuses: number[];
  /** Distinct `source` values the answers carried (raw / rollup / mixed); empty when none did. */
  sources: string[];
  /** First non-200 answer, shortened. */
  error?: string;
}

export interface DashboardQueryTiming {
  where: string;
  ms: number;
  rows: number;
  windowPeriod: string;
  error?: string;
}

/** Every Flux query of one dashboard, one after the other, as one refresh. */
export interface DashboardRefresh {
  dashboard: string;
  range: string;
  /** "all" = All in every variable; "device" = one client, type and device. */
  selection: "all" | "device";
  totalMs: number;
  totalRows: number;
  errors: number;
  queries: DashboardQueryTiming[];
}

/** One run of the hourly rollup task's aggregation (rollupRangeFlux) over the last complete hours. */
export interface RollupTaskCost {
  devices: number;
  hours: number;
  ms: number;
  /** Rows the aggregation wrote (and returned). */
  rows: number;
  /** ms / the task's period (1 h). */
  ofPeriod: number;
  error?: string;
}

export interface LongRangeResults {
  devices: number;
  clients: number;
  days: number;
  /** History readings (one per device-minute). */
  readings: number;
  /** Every line written: readings, battery, stats, anomalies. */
  lines: number;
  loadMs: number;
  backfill: {
    days: number;
    ms: number;
    msPerDay: number;
    /** What `npm run rollup -- --backfill` printed as its summary (hours, chunks, seconds). */
    report?: Record<string, unknown>;
    error?: string;
  };
  taskCost: RollupTaskCost[];
  /** API_ROLLUP_AFTER the API ran with ("" = its default). */
  apiRollupAfter: string;
  ranges: string[];
  api: LongRangeCall[];
  /** The device list alone, straight to InfluxDB (absent in results written before it was measured). */
  deviceList?: DeviceListFloor;
  dashboards: DashboardRefresh[];
  /** Dashboards with no Flux query (Prometheus only), not measured. */
  dashboardsWithoutFlux: string[];
  /** Wall time of each phase, in order. */
  phases: { name: string; ms: number }[];
}

/** The API's device list query alone (admin scope, API_DEVICE_LOOKBACK), median of `runs`. */
export interface DeviceListFloor {
  ms: number;
  runs: number;
  /** Series read: one per device and metric. */
  series: number;
}

export interface DetectionResults {
  devices: number;
  cycles: number;
  minutesServed: number;
  /** Minutes at the start not judged (the detectors' warm-up). */
  warmupMinutes: number;
  /** How the simulated clock moved, e.g. "one cycle per simulated minute (jitter 5 s)". */
  cadence: string;
  anomalyRate: number;
  score: DetectionScore;
}

/**
 * One collector at one fleet size in the peer scenario (issue 13). node-floor
 * is no collector: node:http making the ingester's requests and parsing the
 * answers, nothing else (bench/peer/node-floor.ts), what any Node one costs.
 */
export interface PeerRun {
  collector: "ingester" | "telegraf" | "node-floor";
  devices: number;
  /**
   * Round of --peer-rounds (1 when absent). Round 1 measures everything;
   * later rounds run the ingester and Telegraf again, alternating which goes
   * first, over the first window only, so the ratio's spread between slots
   * of one run can be seen.
   */
  round?: number;
  /** Wall seconds per upstream minute (the simulator's time scale); one gather each. */
  periodS: number;
  /** Periods measured after the warm-up. */
  periods: number;
  /** CPU seconds (user + system) of the collector's process over the measured periods. */
  cpuS?: number;
  cpuSPerPeriodPer1000?: number;
  /** Requests the simulator received over the measured periods. */
  upstreamRequests?: number;
  cpuMsPerRequest?: number;
  /**
   * The same measures over a later window of as many periods (--peer-steady):
   * a long-running collector's steady state, once its code is compiled.
   */
  steady?: PeerWindow;
  /** VmHWM at the end of the run (catch-up included). */
  peakRssMb?: number;
  /** Median cycle wall time (the ingester's "cycle done" lines; Telegraf logs none). */
  cycleMs?: number;
  servedDeviceMinutes?: number;
  storedPoints?: number;
  /** History points stored per device-minute served (the ingester's contract: 1.000). */
  storedPerServed?: number;
  lostDeviceMinutes?: number;
  error?: string;
}

export interface PeerWindow {
  /** Periods the collector had run when the window began. */
  afterPeriods: number;
  cpuS: number;
  cpuSPerPeriodPer1000: number;
  upstreamRequests: number;
  cpuMsPerRequest: number;
}

export interface PeerResults {
  /** `telegraf --version`, when it could be built. */
  telegraf?: string;
  runs: PeerRun[];
}

export interface TargetResult {
  name: string;
  target: string;
  value: string;
  /** null: not measured in this run (e.g. --quick has no 10,000-device cycle). */
  met: boolean | null;
}

export interface BenchResults {
  date: string;
  mode: "quick" | "full";
  machine: MachineInfo;
  note: string;
  durationS: number;
  write?: WriteResults;
  cycles?: CycleResults;
  api?: ApiResults;
  detection?: DetectionResults;
  longrange?: LongRangeResults;
  peer?: PeerResults;
  targets: TargetResult[];
  errors: { scenario: string; message: string }[];
}
