// The benchmark's InfluxDB: the one named by INFLUX_URL/TOKEN/ORG, or a
// throw-away influxd of its own (scripts/influxdb.sh with a separate state
// file), plus a fresh bucket per scenario.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { InfluxDB } from "@influxdata/influxdb-client";
import { BucketsAPI, OrgsAPI } from "@influxdata/influxdb-client-apis";
import { createInfluxClient } from "../../shared/influx/client.js";

const run = promisify(execFile);
const repo = join(import.meta.dirname, "..", "..");
const script = join(repo, "scripts", "influxdb.sh");

export interface BenchInflux {
  url: string;
  token: string;
  org: string;
  orgID: string;
  version: string;
  client: InfluxDB;
  /** true when the bench started influxd itself (and stops it in close()). */
  own: boolean;
  /** PID of the influxd the bench started, when known. */
  pid?: number;
  close(): Promise<void>;
}

export interface Bucket {
  name: string;
  id: string;
  drop(): Promise<void>;
}

function exportsOf(stdout: string): Record<string, string> {
  return Object.fromEntries(
    [...stdout.matchAll(/^export ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, "$1")]),
  );
}

async function versionOf(url: string): Promise<string> {
  try {
    const res = await fetch(`${url}/health`);
    const body = (await res.json()) as { version?: string };
    return body.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

export async function openInflux(log: (msg: string) => void): Promise<BenchInflux> {
  const { INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG } = process.env;
  let url: string, token: string, org: string;
  let close = async () => {};
  let own = false;
  let pid: number | undefined;
  if (INFLUX_URL && INFLUX_TOKEN && INFLUX_ORG) {
    [url, token, org] = [INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG];
    log(`using the InfluxDB of INFLUX_URL (${url})`);
  } else {
    const stateFile = join(
      repo,
      ".local",
      "influxdb",
      `bench-${process.pid}-${randomBytes(3).toString("hex")}.env`,
    );
    const env = { ...process.env, INFLUXDB_STATE_FILE: stateFile };
    log("starting a throw-away influxd (scripts/influxdb.sh)");
    const out = exportsOf((await run("bash", [script, "start"], { env, maxBuffer: 1 << 20 })).stdout);
    [url, token, org] = [out.INFLUX_URL!, out.INFLUX_TOKEN!, out.INFLUX_ORG!];
    own = true;
    try {
      const { readFile } = await import("node:fs/promises");
      const m = /^INFLUXD_PID=(\d+)$/m.exec(await readFile(stateFile, "utf8"));
      if (m) pid = Number(m[1]);
    } catch {
      // informational only
    }
    close = async () => {
      await run("bash", [script, "stop"], { env });
      await rm(stateFile, { force: true });
    };
  }
  const client = createInfluxClient({ url, token, timeoutMs: 60_000 });
  const orgs = await new OrgsAPI(client).getOrgs({ org });
  const orgID = orgs.orgs?.[0]?.id;
  if (!orgID) throw new Error(`organization ${org} not found`);
  return {
    url,
    token,
    org,
    orgID,
    version: await versionOf(url),
    client,
    own,
    ...(pid ? { pid } : {}),
    close,
  };
}

export async function createBucket(influx: BenchInflux, scenario: string): Promise<Bucket> {
  const name = `bench_${scenario}_${randomBytes(4).toString("hex")}`;
  const api = new BucketsAPI(influx.client);
  const bucket = await api.postBuckets({ body: { orgID: influx.orgID, name, retentionRules: [] } });
  const id = bucket.id!;
  return {
    name,
    id,
    drop: async () => {
      await api.deleteBucketsID({ bucketID: id });
    },
  };
}
