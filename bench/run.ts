// npm run bench [-- --quick] [-- --only=write,cycles,api,detection,longrange]
//
// Runs the benchmark scenarios of issue 8 against a throw-away influxd (or
// the one INFLUX_URL/TOKEN/ORG name), everything on loopback, and writes
// bench/results/latest.json, latest.md and dated copies (a --quick or
// --only run writes latest-quick.* / latest-partial.* instead, so it never
// replaces the last full results, which bench/README.md links). See
// bench/README.md.
import { mkdir, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { format, resolveConfig } from "prettier";
import { openInflux } from "./lib/influx.js";
import { machineInfo } from "./lib/machine.js";
import { evaluateTargets, renderMarkdown } from "./lib/report.js";
import type { BenchResults } from "./lib/results.js";
import { runApi } from "./scenarios/api.js";
import { runCycles } from "./scenarios/cycles.js";
import { runDetection } from "./scenarios/detection.js";
import { runLongRange } from "./scenarios/longrange.js";
import { WARM_UP_PERIODS, runPeer } from "./scenarios/peer.js";
import { runWrite } from "./scenarios/write.js";

const SCENARIOS = ["write", "cycles", "api", "detection", "longrange", "peer"] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    note: { type: "string", default: "" },
    sizes: { type: "string" },
    longrange: { type: "string" },
    "task-sizes": { type: "string" },
    "peer-sizes": { type: "string" },
    "peer-period": { type: "string" },
    "peer-steady": { type: "string" },
    "peer-rounds": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "npm run bench [-- --quick] [--only=write,cycles,api,detection,longrange,peer] [--sizes=100,1000] [--longrange=1000x7] [--task-sizes=10000] [--peer-sizes=100,1000] [--peer-period=60] [--peer-steady=15] [--peer-rounds=3] [--note=text]\n" +
      "  --quick  about two minutes: smaller fleets and shorter loads\n" +
      "  --sizes  fleet sizes of the full-cycle scenario\n" +
      "  --longrange  devices x days of the long-range scenario (full: 1000x30, quick: 100x7)\n" +
      "  --task-sizes  extra fleet sizes for the rollup task's cost (full: 10000, quick: none)\n" +
      "  --peer-sizes  fleet sizes of the ingester-vs-Telegraf scenario (full: 100,1000,10000, quick: 100)\n" +
      "  --peer-period  wall seconds per upstream minute in that scenario (60: the real cadence; default 60 s up to 100 devices, 10 s to 1,000, 30 s to 10,000; --quick: 10 s)\n" +
      "  --peer-steady  also measure each collector from this period on (its steady state; the first window starts at period 2)\n" +
      "  --peer-rounds  run the ingester and Telegraf this many times per size, alternating which goes first; the ratio judged is the rounds' median (default 1)\n" +
      "  INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG: use that InfluxDB instead of a throw-away influxd\n" +
      "  BENCH_PROFILE_DIR: write a --cpu-prof profile of every ingester and API process there\n",
  );
  process.exit(0);
}
const only = new Set<Scenario>(
  values.only ? (values.only.split(",").map((s) => s.trim()) as Scenario[]) : SCENARIOS,
);
for (const s of only)
  if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; one of ${SCENARIOS.join(", ")}`);
const quick = values.quick;

const config = quick
  ? {
      write: { devices: 1000, minutes: 200, rawBatchLines: 10_000, rounds: 2 },
      cycles: { sizes: [100, 1000], steadyCycles: 1 },
      api: { devices: 1000, clients: 10, hours: 24, concurrency: 16, durationS: 5, defaultWindows: true },
      detection: { devices: 1000, cycles: 40 },
      longrange: { devices: 100, clients: 10, days: 7, taskSizes: [] as number[] },
      // A smoke run: 10-s periods, where the real cadence would take 40 minutes.
      peer: { sizes: [100], periods: 3, periodS: 10 },
    }
  : {
      write: { devices: 2000, minutes: 400, rawBatchLines: 10_000, rounds: 3 },
      cycles: { sizes: [100, 1000, 10_000, 50_000], steadyCycles: 2 },
      api: { devices: 1000, clients: 10, hours: 24, concurrency: 16, durationS: 15, defaultWindows: true },
      detection: { devices: 10_000, cycles: 80 },
      longrange: { devices: 1000, clients: 10, days: 30, taskSizes: [10_000] },
      peer: { sizes: [100, 1000, 10_000], periods: 5 },
    };

if (values.sizes) config.cycles.sizes = values.sizes.split(",").map(Number);
if (values.longrange) {
  const m = /^(\d+)x(\d+)$/.exec(values.longrange);
  if (!m) throw new Error(`--longrange: expected <devices>x<days>, e.g. 1000x7; got ${values.longrange}`);
  config.longrange.devices = Number(m[1]);
  config.longrange.days = Number(m[2]);
}
if (values["task-sizes"] !== undefined)
  config.longrange.taskSizes = values["task-sizes"].split(",").filter(Boolean).map(Number);
if (values["peer-sizes"]) config.peer.sizes = values["peer-sizes"].split(",").map(Number);
const peerPeriod = values["peer-period"];
if (
  peerPeriod !== undefined &&
  (!/^[1-9]\d*$/.test(peerPeriod) || (Number(peerPeriod) > 60 && Number(peerPeriod) % 60 !== 0))
)
  throw new Error(`--peer-period: expected whole seconds, up to 60 or a multiple of 60; got ${peerPeriod}`);

const peerSteady = values["peer-steady"];
if (
  peerSteady !== undefined &&
  (!/^\d+$/.test(peerSteady) || Number(peerSteady) < WARM_UP_PERIODS + config.peer.periods)
)
  throw new Error(
    `--peer-steady: expected a period at or after the first window's end (${WARM_UP_PERIODS + config.peer.periods}); got ${peerSteady}`,
  );

const peerRounds = values["peer-rounds"];
if (peerRounds !== undefined && !/^[1-9]\d*$/.test(peerRounds))
  throw new Error(`--peer-rounds: expected a whole number of rounds, 1 or more; got ${peerRounds}`);

const t0 = performance.now();
const log = (msg: string) =>
  process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);

const influx = await openInflux(log);
let closed = false;
const cleanup = async () => {
  if (closed) return;
  closed = true;
  await influx.close();
};
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    log(`${signal}: stopping influxd and exiting`);
    void cleanup().finally(() => process.exit(130));
  });

const machine = await machineInfo(influx.version);
const partial: Omit<BenchResults, "targets"> = {
  date: new Date().toISOString(),
  mode: quick ? "quick" : "full",
  machine,
  note:
    values.note ||
    "Every process (influxd, simulator, ingester, API, load generator) shares this machine's CPUs; other work running at the same time makes figures noisy.",
  durationS: 0,
  errors: [],
};

async function scenario<T>(name: Scenario, work: () => Promise<T>): Promise<T | undefined> {
  if (!only.has(name)) return undefined;
  log(`${name}: start`);
  try {
    return await work();
  } catch (err) {
    const message = (err as Error).message.split("\n")[0]!;
    log(`${name}: FAILED: ${message}`);
    partial.errors.push({ scenario: name, message });
    return undefined;
  }
}

try {
  const write = await scenario("write", () => runWrite(influx, { ...config.write, log }));
  if (write) partial.write = write;
  const cycles = await scenario("cycles", () => runCycles(influx, { ...config.cycles, log }));
  if (cycles) partial.cycles = cycles;
  const api = await scenario("api", () => runApi(influx, { ...config.api, log }));
  if (api) partial.api = api;
  const detection = await scenario("detection", () => runDetection(influx, { ...config.detection, log }));
  if (detection) partial.detection = detection;
  const longrange = await scenario("longrange", () => runLongRange(influx, { ...config.longrange, log }));
  if (longrange) partial.longrange = longrange;
  const peer = await scenario("peer", () =>
    runPeer(influx, {
      ...config.peer,
      ...(peerPeriod ? { periodS: Number(peerPeriod) } : {}),
      ...(peerSteady ? { steadyAfter: Number(peerSteady) } : {}),
      ...(peerRounds ? { rounds: Number(peerRounds) } : {}),
      log,
    }),
  );
  if (peer) partial.peer = peer;
} finally {
  await cleanup();
}

partial.durationS = (performance.now() - t0) / 1000;
partial.machine.loadAtEnd = loadavg()[0]!;
const results: BenchResults = { ...partial, targets: evaluateTargets(partial) };
// Formatted as the repository's Prettier would, so `npm run lint` stays green after a run.
const prettierOptions = (await resolveConfig(join(import.meta.dirname, "results", "latest.md"))) ?? {};
const markdown = await format(renderMarkdown(results), { ...prettierOptions, parser: "markdown" });
const dir = join(import.meta.dirname, "results");
await mkdir(dir, { recursive: true });

const json = await format(JSON.stringify(results), { ...prettierOptions, parser: "json" });
const kind =
  values.only || values.sizes || values.longrange || values["task-sizes"] || values["peer-sizes"]
    ? "partial"
    : quick
      ? "quick"
      : "full";
const latest = kind === "full" ? "latest" : `latest-${kind}`;
const stamp = `${results.date.slice(0, 16).replace(/:/g, "-")}-${kind}`;
await writeFile(join(dir, `${latest}.json`), json);
await writeFile(join(dir, `${stamp}.json`), json);
await writeFile(join(dir, `${latest}.md`), markdown);
await writeFile(join(dir, `${stamp}.md`), markdown);
process.stdout.write(`\n${markdown}`);
log(`results: bench/results/${latest}.json, ${latest}.md, ${stamp}.json`);
process.exit(results.errors.length > 0 ? 1 : 0);
