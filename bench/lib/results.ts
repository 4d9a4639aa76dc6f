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

export interface DetectionResults {
  devices: number;
  cycles: number;
  minutesServed: number;
  anomalyRate: number;
  score: DetectionScore;
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
  targets: TargetResult[];
  errors: { scenario: string; message: string }[];
}
