// npm run rollup -- --backfill <duration> [--chunk <hours>] [--state <file>]
// Ensures the rollup bucket and task (as the ingester does), then fills the
// rollup for the last <duration> of raw data already stored. Progress on
// stderr; the summary as one JSON line on stdout.
// npm run rollup -- --ensure
// Only ensures the bucket and task: what a central InfluxDB fed by edge sites
// runs once (no ingester writes there; its raw bucket is replicated to).
import { parseArgs } from "node:util";
import { join } from "node:path";
import { createInfluxClient } from "../../shared/influx/client.js";
import { createLogger } from "../../shared/log.js";
import { influxEnv, logEnv, readEnvGroupsOrExit } from "../../shared/config/index.js";
import { rollupEnv } from "./config.js";
import { parseDurationMs } from "../../shared/time.js";
import { backfillRange, backfillRollup } from "./backfill.js";
import { ensureRollup, rollupPlan } from "./ensure.js";

const USAGE =
  "usage: npm run rollup -- --backfill <duration, e.g. 7d> [--chunk <hours, default 6>] [--state <file>]\n" +
  "       npm run rollup -- --ensure\n";

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      backfill: { type: "string" },
      ensure: { type: "boolean", default: false },
      chunk: { type: "string", default: "6" },
      state: { type: "string" },
      help: { type: "boolean", default: false },
    },
  }).values;
} catch (err) {
  fail((err as Error).message);
}
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (args.ensure && args.backfill !== undefined) fail("--ensure and --backfill exclude each other");
if (!args.ensure && args.backfill === undefined) fail("--backfill or --ensure is required");
const durationMs = args.ensure ? 0 : parseDurationMs(args.backfill ?? "");
if (!args.ensure && (durationMs === undefined || durationMs < 3_600_000))
  fail(`--backfill: expected a duration of 1h or more, got ${JSON.stringify(args.backfill)}`);
const chunkHours = Number(args.chunk);
if (!Number.isInteger(chunkHours) || chunkHours < 1 || chunkHours > 24 * 31)
  fail("--chunk: expected whole hours, 1..744");

const cfg = readEnvGroupsOrExit({ influx: influxEnv, rollup: rollupEnv, log: logEnv });
const log = createLogger("rollup", cfg.log.level, 2);
const plan = rollupPlan(cfg.influx, cfg.rollup);
// A backfill chunk can take minutes on a large fleet: the client's timeout must not cut it.
const client = createInfluxClient({ ...cfg.influx, timeoutMs: Math.max(cfg.influx.timeoutMs, 30 * 60_000) });
try {
  const state = await ensureRollup(client, plan, log);
  if (args.ensure) {
    process.stdout.write(
      `${JSON.stringify({ ...state, rawBucket: plan.rawBucket, rollupBucket: plan.rollupBucket })}\n`,
    );
    process.exit(0);
  }
  const { startMs, stopMs } = backfillRange(Date.now(), durationMs!);
  process.stderr.write(
    `[rollup] backfilling ${plan.rawBucket} -> ${plan.rollupBucket}, ${new Date(startMs).toISOString()} .. ${new Date(stopMs).toISOString()}, ${chunkHours} h per query\n`,
  );
  const report = await backfillRollup({
    client,
    target: plan,
    startMs,
    stopMs,
    chunkHours,
    stateFile: args.state ?? join(".local", `rollup-backfill-${plan.rawBucket}.json`),
    progress: (line) => process.stderr.write(`[rollup] ${line}\n`),
  });
  process.stdout.write(
    `${JSON.stringify({ ...report, rawBucket: plan.rawBucket, rollupBucket: plan.rollupBucket })}\n`,
  );
} catch (err) {
  process.stderr.write(`[rollup] failed: ${(err as Error).message}\n`);
  process.exit(1);
}
