// A dedicated influxd for tests that must stop and restart the server itself
// (outages): started by scripts/influxdb.sh with its own state file, stopped
// for real (the process exits, connections are refused), and started again on
// the same port with the same data and token.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const repo = join(import.meta.dirname, "..", "..");
const script = join(repo, "scripts", "influxdb.sh");

export interface DedicatedInflux {
  readonly url: string;
  readonly token: string;
  readonly org: string;
  readonly bucket: string;
  /** Stops the server process, keeping its data. */
  stop(): Promise<void>;
  /** Starts it again: same port, data and token. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

function exportsOf(stdout: string): Record<string, string> {
  return Object.fromEntries(
    [...stdout.matchAll(/^export ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, "$1")]),
  );
}

export async function startDedicatedInflux(): Promise<DedicatedInflux> {
  const stateFile = join(
    repo,
    ".local",
    "influxdb",
    `dedicated-${process.pid}-${randomBytes(3).toString("hex")}.env`,
  );
  const env = { ...process.env, INFLUXDB_STATE_FILE: stateFile };
  const first = exportsOf((await run("bash", [script, "start"], { env })).stdout);
  const dataDir = /^INFLUXD_DIR=(.*)$/m.exec(await readFile(stateFile, "utf8"))?.[1];
  if (!dataDir) throw new Error(`no INFLUXD_DIR in ${stateFile}`);
  let running = true;
  return {
    url: first.INFLUX_URL!,
    token: first.INFLUX_TOKEN!,
    org: first.INFLUX_ORG!,
    bucket: first.INFLUX_BUCKET!,
    async stop() {
      await run("bash", [script, "stop", "--keep-data"], { env });
      running = false;
    },
    async start() {
      await run("bash", [script, "start"], { env: { ...env, INFLUXD_DATA_DIR: dataDir } });
      running = true;
    },
    async destroy() {
      if (running) await run("bash", [script, "stop"], { env });
      else await rm(dataDir, { recursive: true, force: true });
    },
  };
}
