// CLI: `npm run simulator -- --port 5001 --devices 20000 --signal realistic ...`.
// Every flag has a SIM_* variable (shared/config); a flag wins over its variable.
import { parseArgs } from "node:util";
import { pino } from "pino";
import { ConfigError, logEnv, readEnv } from "../shared/config/index.js";
import { simulatorEnv } from "./config.js";
import { startSimulator } from "./server.js";

type SimKey = keyof typeof simulatorEnv;

/** --flag -> config key; the names are the kebab-case of the keys. */
const FLAGS = Object.fromEntries(
  (Object.keys(simulatorEnv) as SimKey[]).map((key) => [
    key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
    key,
  ]),
) as Record<string, SimKey>;

const USAGE = `Usage: npm run simulator -- [--flag value]...
Flags (environment variable in brackets):
${Object.entries(FLAGS)
  .map(([flag, key]) => `  --${flag.padEnd(20)} [${simulatorEnv[key].name}] ${simulatorEnv[key].doc}`)
  .join("\n")}
  --help`;

function fail(message: string): never {
  process.stderr.write(`simulator: ${message}\n`);
  process.exit(2);
}

function parseFlags(argv: string[]): Record<string, string> {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean" },
        ...Object.fromEntries(
          Object.keys(FLAGS).map((f) => [f, { type: f === "history-query" ? "boolean" : "string" } as const]),
        ),
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
  } catch (err) {
    return fail(`${(err as Error).message}\n${USAGE}`);
  }
}

const flags = parseFlags(process.argv.slice(2));
const env = { ...process.env };
for (const [flag, value] of Object.entries(flags)) {
  const key = FLAGS[flag];
  if (key) env[simulatorEnv[key].name] = value;
}

let config;
try {
  config = readEnv(simulatorEnv, env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // Name what the user typed: the flag when one was given, else the variable.
  const problems = err.problems.map((p) => {
    for (const [flag, key] of Object.entries(FLAGS)) {
      const name = simulatorEnv[key].name;
      if (flag in flags && p.startsWith(`${name}=`)) return `--${flag}=${p.slice(name.length + 1)}`;
    }
    return p;
  });
  fail(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}
if (config.clients > 0 && config.devices === 0)
  fail(
    "--clients (SIM_CLIENTS) needs --devices (SIM_DEVICES): the reference fleet has its own three clients",
  );
if (config.clients > config.devices)
  fail(
    `--clients (SIM_CLIENTS) = ${config.clients} must not exceed --devices (SIM_DEVICES) = ${config.devices}`,
  );

const log = pino({ name: "simulator", level: readEnv(logEnv, process.env).level });

const { port, host, devices, clients, seed, signal, anomalyRate, timeScale, historyQuery, ...faults } =
  config;
let sim;
try {
  sim = await startSimulator({
    port,
    host,
    ...(devices > 0 ? { devices } : {}),
    ...(clients > 0 ? { clients } : {}),
    ...(seed !== undefined ? { seed } : {}),
    signal,
    anomalyRate,
    timeScale,
    historyQuery,
    faults,
  });
} catch (err) {
  fail(`cannot start: ${(err as Error).message}`);
}
const running = sim;

log.info(
  {
    url: running.url,
    port: running.port,
    mode: signal,
    seed: running.seed,
    devices: devices || 6,
    timeScale,
    faults: running.faults(),
  },
  "simulator listening",
);

let stopping = false;
const shutdown = (signalName: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal: signalName }, "simulator stopping");
  // Open keep-alive sockets or timers must not keep a stopped simulator alive.
  setTimeout(() => process.exit(1), 5000).unref();
  running.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error({ err }, "simulator did not stop cleanly");
      process.exit(1);
    },
  );
};
process.once("SIGTERM", () => shutdown("SIGTERM"));
process.once("SIGINT", () => shutdown("SIGINT"));
