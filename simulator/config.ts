// The simulator's configuration; each variable has a --flag of the same name.
import { z } from "zod";
import { envVar, intInRange, logEnv, nonEmpty, oneOf, port } from "../shared/config/index.js";

const rate = z.coerce
  .number({ error: "expected a number in 0..1" })
  .min(0, "expected a number in 0..1")
  .max(1, "expected a number in 0..1");
const millis = intInRange(0, 600_000);
const onOff = oneOf(["true", "false"]).transform((v) => v === "true");

/** The IoT API simulator (simulator/main.ts); each variable has a --flag of the same name, which wins. */
export const simulatorEnv = {
  port: envVar("SIM_PORT", port, {
    default: "5001",
    doc: "Simulator HTTP port (`--port`; 0 = any free port)",
  }),
  host: envVar("SIM_HOST", nonEmpty, {
    default: "127.0.0.1",
    doc: "Simulator listen address (`--host`; 0.0.0.0 in a container)",
  }),
  devices: envVar("SIM_DEVICES", intInRange(0, 1_000_000), {
    default: "0",
    doc: "Generated fleet size (`--devices`); 0 = the upstream's six objects",
  }),
  clients: envVar("SIM_CLIENTS", intInRange(0, 1_000_000), {
    default: "0",
    doc: "Clients of the generated fleet (`--clients`, at most the devices); 0 = half the devices, rounded up",
  }),
  seed: envVar(
    "SIM_SEED",
    z
      .string()
      .trim()
      .regex(/^(random|\d{1,10})$/, "expected random or an integer in 0..4294967295")
      .transform((s) => (s === "random" ? undefined : Number(s)))
      .refine((n) => n === undefined || n <= 0xffffffff, "expected random or an integer in 0..4294967295"),
    { default: "random", doc: "Seed of every random choice (`--seed`); the same seed replays the same run" },
  ),
  signal: envVar("SIM_SIGNAL", oneOf(["faithful", "realistic"]), {
    default: "faithful",
    doc: "`faithful`: the upstream's fresh uniform values; `realistic`: smooth seeded signals with anomalies (`--signal`)",
  }),
  anomalyRate: envVar("SIM_ANOMALY_RATE", rate, {
    default: "0.005",
    doc: "Realistic mode: chance that an anomaly starts at a device-minute, saturating at 0.05 (`--anomaly-rate`)",
  }),
  timeScale: envVar(
    "SIM_TIME_SCALE",
    z.coerce
      .number({ error: "expected a number in (0, 1000000]" })
      .positive("expected a number in (0, 1000000]")
      .max(1_000_000, "expected a number in (0, 1000000]"),
    { default: "1", doc: "Simulated time runs this many times faster than the wall clock (`--time-scale`)" },
  ),
  historyQuery: envVar("SIM_HISTORY_QUERY", onOff, {
    default: "false",
    doc: "Serve `?limit=` and `?since=` on history, which the upstream lacks (`--history-query`)",
  }),
  latencyMs: envVar("SIM_LATENCY_MS", millis, {
    default: "0",
    doc: "Fault: added delay of every data request, ms (`--latency-ms`)",
  }),
  jitterMs: envVar("SIM_JITTER_MS", millis, {
    default: "0",
    doc: "Fault: extra random delay in [0, this], ms (`--jitter-ms`)",
  }),
  errorRate: envVar("SIM_ERROR_RATE", rate, {
    default: "0",
    doc: "Fault: share of data requests answered 500/503, half as HTML pages (`--error-rate`)",
  }),
  hangRate: envVar("SIM_HANG_RATE", rate, {
    default: "0",
    doc: "Fault: share of data requests that hang, then close the connection (`--hang-rate`)",
  }),
  hangMs: envVar("SIM_HANG_MS", millis, {
    default: "30000",
    doc: "Fault: how long a hang lasts, ms (`--hang-ms`)",
  }),
  malformedRate: envVar("SIM_MALFORMED_RATE", rate, {
    default: "0",
    doc: "Fault: share of 200 answers with invalid JSON (`--malformed-rate`)",
  }),
  truncatedRate: envVar("SIM_TRUNCATED_RATE", rate, {
    default: "0",
    doc: "Fault: share of 200 answers with JSON cut mid-way (`--truncated-rate`)",
  }),
  missingFieldRate: envVar("SIM_MISSING_FIELD_RATE", rate, {
    default: "0",
    doc: "Fault: per object, chance that one field is missing (`--missing-field-rate`)",
  }),
  outOfOrderRate: envVar("SIM_OUT_OF_ORDER_RATE", rate, {
    default: "0",
    doc: "Fault: per history entry, chance to be swapped with the next (`--out-of-order-rate`)",
  }),
  duplicateRate: envVar("SIM_DUPLICATE_RATE", rate, {
    default: "0",
    doc: "Fault: per history entry, chance to be sent twice (`--duplicate-rate`)",
  }),
  coldStartMs: envVar("SIM_COLD_START_MS", millis, {
    default: "0",
    doc: "Fault: delay of the first data request after `SIM_IDLE_MS` of silence, ms (`--cold-start-ms`)",
  }),
  idleMs: envVar("SIM_IDLE_MS", millis, {
    default: "0",
    doc: "Fault: silence after which the simulator 'sleeps', ms (`--idle-ms`)",
  }),
};

/** Every group the simulator process reads. */
export const simulatorEnvGroups = { simulator: simulatorEnv, log: logEnv } as const;
