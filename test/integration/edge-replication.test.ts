// Edge to cloud with InfluxDB's own replication, through a network cut, with
// real processes only: two influxd instances on loopback (scripts/influxdb.sh,
// a state file each), the simulator, and the real ingester on the edge one
// with EDGE_SITE and EDGE_REPLICATE_*. The central instance is stopped while
// the edge keeps ingesting, the edge influxd is restarted while the central
// one is still down, then the central one comes back: afterwards the central
// bucket holds exactly the edge bucket's points (the same set of measurement,
// tags, field, time and value; the same count per series and field), and the
// queue's size was visible in the ingester's metrics and influxd's /metrics
// meanwhile. Then a second site (its own edge influxd and ingester, the same
// device ids) feeds the same central instance, and the central API serves
// both: an admin key sees both sites, a client key its own devices at each.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { InfluxDB } from "@influxdata/influxdb-client";
import { AuthorizationsAPI, BucketsAPI, ReplicationsAPI } from "@influxdata/influxdb-client-apis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { apiEnvGroups } from "../../api/config.js";
import { type RunningApi, startApi } from "../../api/server.js";
import { rollupTaskName } from "../../ingest/rollup/task.js";
import { readReplicationStatus } from "../../ingest/replicate/status.js";
import { readEnvGroups } from "../../shared/config/index.js";
import { createInfluxClient } from "../../shared/influx/client.js";
import { createLogger } from "../../shared/log.js";
import { TAG } from "../../shared/schema.js";
import { type RunningSimulator, startSimulator } from "../../simulator/server.js";
import { type DedicatedInflux, startDedicatedInflux } from "../support/influx-instance.js";
import { describeWithInflux, influxServer } from "../support/influx.js";
import { type IngesterProcess, startIngester, tempSpoolDir } from "../support/ingester.js";
import { loadDashboards, queriesOf, substituteVariables } from "../support/stack-dashboards.js";
import { CLIENTS, get, makeKeys } from "./api-helpers.js";

const run = promisify(execFile);
const repo = join(import.meta.dirname, "..", "..");

let central: DedicatedInflux;
let edgeA: DedicatedInflux;
let edgeB: DedicatedInflux | undefined;
let sim: RunningSimulator;
const ingesters: IngesterProcess[] = [];
const spools: string[] = [];
let api: RunningApi | undefined;

beforeAll(async () => {
  if (!influxServer) return;
  [central, edgeA] = await Promise.all([startDedicatedInflux(), startDedicatedInflux()]);
  // 30 simulated minutes per real minute, starting 4 h back: every cycle brings new history
  // minutes (anomalies included), and all of it stays in the past, where the API looks.
  sim = await startSimulator({
    seed: 17,
    devices: 12,
    clients: 3,
    signal: "realistic",
    anomalyRate: 0.03,
    timeScale: 30,
    now: () => Date.now() - 4 * 3_600_000,
  });
}, 180_000);

afterAll(async () => {
  await api?.close();
  await Promise.all(ingesters.map((p) => p.stop("SIGKILL")));
  await sim?.stop();
  await Promise.all([central?.destroy(), edgeA?.destroy(), edgeB?.destroy()]);
  for (const d of spools) await rm(d, { recursive: true, force: true });
});

function clientOf(db: DedicatedInflux): InfluxDB {
  return createInfluxClient(db);
}

async function startEdgeIngester(edge: DedicatedInflux, site: string): Promise<IngesterProcess> {
  const spool = await tempSpoolDir();
  spools.push(spool);
  const p = await startIngester(edge, sim.url, spool, {
    EDGE_SITE: site,
    EDGE_REPLICATE_URL: central.url,
    EDGE_REPLICATE_TOKEN: central.token,
    EDGE_REPLICATE_ORG: central.org,
    EDGE_REPLICATE_BUCKET: central.bucket,
    EDGE_REPLICATE_STATUS_INTERVAL_MS: "500",
    // Outages of a few seconds: the sink retries quickly.
    INFLUX_TIMEOUT_MS: "3000",
  });
  ingesters.push(p);
  return p;
}

/** Every point of a bucket as "measurement|tags|field|time|value", sorted. */
async function pointSet(db: DedicatedInflux): Promise<string[]> {
  const rows = await clientOf(db)
    .getQueryApi(db.org)
    .collectRows<Record<string, unknown>>(
      `from(bucket: ${JSON.stringify(db.bucket)}) |> range(start: 0, stop: 2200-01-01T00:00:00Z)`,
    );
  const skip = new Set(["result", "table", "_start", "_stop", "_measurement", "_field", "_time", "_value"]);
  return rows
    .map((r) => {
      const tags = Object.keys(r)
        .filter((k) => !skip.has(k) && r[k] !== null && r[k] !== "")
        .sort()
        .map((k) => `${k}=${String(r[k])}`)
        .join(",");
      return `${String(r._measurement)}|${tags}|${String(r._field)}|${String(r._time)}|${String(r._value)}`;
    })
    .sort();
}

/** Points per measurement, series (site, client, device) and field. */
function countsBySeries(points: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of points) {
    const [m, tags, field] = p.split("|");
    const key = `${m}|${tags}|${field}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

async function replicationID(edge: DedicatedInflux): Promise<string> {
  const orgID = (await (
    await fetch(`${edge.url}/api/v2/orgs?org=${edge.org}`, {
      headers: { Authorization: `Token ${edge.token}` },
    })
  ).json()) as { orgs: { id: string }[] };
  const list = await new ReplicationsAPI(clientOf(edge)).getReplications({ orgID: orgID.orgs[0]!.id });
  expect(list.replications?.map((r) => r.name)).toEqual([`iot-replicate:${edge.bucket}`]);
  return list.replications![0]!.id;
}

/** A gauge of the ingester's /metrics (sum over its series), or undefined when absent. */
async function ingesterGauge(p: IngesterProcess, name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
  const values = [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))].map((m) =>
    Number(m[1]),
  );
  return values.length ? values.reduce((a, b) => a + b, 0) : undefined;
}

/** Polls `probe` until it returns a value, or fails with `what` after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

/** Waits until the edge's queue is drained and the central bucket equals the edge bucket; returns the points. */
async function caughtUp(edge: DedicatedInflux, id: string, timeoutMs: number): Promise<string[]> {
  return until(
    "the central bucket to hold the edge bucket's points",
    async () => {
      const status = await readReplicationStatus(clientOf(edge), id);
      if (status.remainingBytesToBeSynced !== 0) return undefined;
      const [e, c] = await Promise.all([pointSet(edge), pointSet(central)]);
      const edgeSet = new Set(e);
      return c.filter((p) => edgeSet.has(p)).length === e.length ? e : undefined;
    },
    timeoutMs,
  );
}

describeWithInflux("edge InfluxDB replicating to a central one, through a network cut", () => {
  let ingesterA: IngesterProcess;
  let idA: string;

  it("the ingester ensures the remote and the replication, and the central bucket follows", async () => {
    ingesterA = await startEdgeIngester(edgeA, "site-a");
    const ensured = await ingesterA.waitForLog((l) => l.msg === "replication ensured", 60_000);
    expect(ensured.changes).toEqual([
      expect.stringMatching(/^created remote /),
      expect.stringMatching(/^created replication /),
    ]);
    idA = await replicationID(edgeA);
    expect(ensured.replicationID).toBe(idA);
    await ingesterA.waitForCycles(4, 60_000);
    const points = await caughtUp(edgeA, idA, 60_000);
    expect(points.length).toBeGreaterThan(0);
    // Every point carries the site; readings, statistics and anomaly events all travel.
    expect(points.every((p) => p.split("|")[1]!.split(",").includes("site=site-a"))).toBe(true);
    expect(new Set(points.map((p) => p.split("|")[0]))).toEqual(new Set(["reading", "stats", "anomaly"]));
  });

  it("central down, edge influxd restarted meanwhile, central back: central holds exactly the edge's points", async () => {
    await central.stop();
    const cutAt = Date.now();
    // The queue grows on the edge's disk, and shows: the ingester's gauge and influxd's own /metrics.
    const queued = await until(
      "queued bytes in the ingester's metrics",
      async () => {
        const v = await ingesterGauge(ingesterA, "ingest_replication_remaining_bytes");
        return v !== undefined && v > 0 ? v : undefined;
      },
      60_000,
    );
    const influxdMetrics = await (await fetch(`${edgeA.url}/metrics`)).text();
    const influxdQueued = Number(
      /^replications_queue_current_bytes_queued\{[^}]*\} (\S+)$/m.exec(influxdMetrics)?.[1] ?? "NaN",
    );
    expect(influxdQueued).toBeGreaterThan(0);
    expect(await ingesterGauge(ingesterA, "ingest_replication_last_response_code")).not.toBe(204);

    // The edge influxd restarts while the central one is down: its queue is on disk.
    const cyclesBefore = ingesterA.cycles();
    await edgeA.stop();
    await ingesterA.waitForCycles(cyclesBefore + 3, 60_000);
    await edgeA.start();
    await ingesterA.waitForFreshCycle(60_000);
    await until(
      "the spool drained to the restarted edge influxd",
      async () => ((await ingesterGauge(ingesterA, "ingest_spool_points")) === 0 ? true : undefined),
      60_000,
    );
    const peak = await until(
      "the ingester reading the restarted edge's queue",
      async () => {
        const v = await ingesterGauge(ingesterA, "ingest_replication_remaining_bytes");
        return v !== undefined && v >= queued ? v : undefined;
      },
      60_000,
    );
    // The central instance stays down a while longer, the edge ingesting on.
    await ingesterA.waitForCycles(ingesterA.cycles() + 15, 90_000);

    await central.start();
    const backAt = Date.now();
    // influxd retries with its own backoff (0.5 s doubling, reset by every new write): a deadline, not a sleep.
    await until(
      "the edge queue drained after the central instance came back",
      async () =>
        (await readReplicationStatus(clientOf(edgeA), idA)).remainingBytesToBeSynced === 0 ? true : undefined,
      180_000,
    );
    const caughtUpAfterMs = Date.now() - backAt;
    console.log(
      `>>> edge replication: central down ${Math.round((backAt - cutAt) / 1000)} s, ` +
        `queue peaked at >= ${peak} bytes (influxd: ${influxdQueued} before the edge restart), ` +
        `caught up ${(caughtUpAfterMs / 1000).toFixed(1)} s after the central instance came back`,
    );

    // Stop ingesting (the ingester flushes its spool to the edge), then compare the two buckets once drained.
    expect(await ingesterA.stop()).toBe(0);
    const edgePoints = await caughtUp(edgeA, idA, 180_000);
    const centralPoints = await pointSet(central);
    expect(centralPoints.length).toBe(edgePoints.length);
    expect(centralPoints).toEqual(edgePoints);
    expect(countsBySeries(centralPoints)).toEqual(countsBySeries(edgePoints));
    console.log(
      `>>> edge replication: ${edgePoints.length} points on the edge, the same on the central instance`,
    );
  });

  it("a restart with the same settings changes nothing; a new token and queue size are applied in place", async () => {
    const again = await startEdgeIngester(edgeA, "site-a");
    const same = await again.waitForLog((l) => l.msg === "replication ensured", 60_000);
    expect(same).toMatchObject({ replicationID: idA, changes: [] });
    await again.waitForCycles(2, 60_000);
    expect(await again.stop()).toBe(0);
    const remoteID = same.remoteID as string;

    // A site's own token: write and read on the central bucket, nothing else.
    const centralClient = clientOf(central);
    const bucket = (await new BucketsAPI(centralClient).getBuckets({ name: central.bucket })).buckets![0]!;
    const scoped = { type: "buckets" as const, id: bucket.id!, orgID: bucket.orgID };
    const { token } = await new AuthorizationsAPI(centralClient).postAuthorizations({
      body: {
        orgID: bucket.orgID,
        description: "site-a replication",
        permissions: [
          { action: "write", resource: scoped },
          { action: "read", resource: scoped },
        ],
      },
    });
    const resized = await startIngester(edgeA, sim.url, spools[0]!, {
      EDGE_SITE: "site-a",
      EDGE_REPLICATE_URL: central.url,
      EDGE_REPLICATE_TOKEN: token!,
      EDGE_REPLICATE_ORG: central.org,
      EDGE_REPLICATE_BUCKET: central.bucket,
      EDGE_REPLICATE_MAX_QUEUE_BYTES: String(48 * 1024 * 1024),
    });
    ingesters.push(resized);
    const changed = await resized.waitForLog((l) => l.msg === "replication ensured", 60_000);
    expect(changed).toMatchObject({
      remoteID,
      replicationID: idA,
      changes: [`updated remote ${remoteID}`, `updated replication ${idA}`],
    });
    const status = await readReplicationStatus(clientOf(edgeA), idA);
    expect(status.maxQueueSizeBytes).toBe(48 * 1024 * 1024);
    // The edge goes on replicating with the site's token.
    await resized.waitForCycles(3, 60_000);
    expect(await resized.stop()).toBe(0);
    await caughtUp(edgeA, idA, 120_000);
    expect((await readReplicationStatus(clientOf(edgeA), idA)).latestResponseCode).toBe(204);
  });

  it("two sites feed one central instance; the central API tells them apart", async () => {
    edgeB = await startDedicatedInflux();
    // The same simulator: both sites hold the same device ids, for the same clients.
    const ingesterB = await startEdgeIngester(edgeB, "site-b");
    await ingesterB.waitForLog((l) => l.msg === "replication ensured", 60_000);
    await ingesterB.waitForCycles(4, 60_000);
    expect(await ingesterB.stop()).toBe(0);
    const idB = await replicationID(edgeB);
    const [a, b] = [await caughtUp(edgeA, idA, 120_000), await caughtUp(edgeB, idB, 120_000)];
    const centralPoints = await pointSet(central);
    expect(centralPoints).toEqual([...a, ...b].sort());

    // The central side runs its own rollup (the raw bucket is what is replicated): ensured by the CLI.
    const centralEnv = {
      ...process.env,
      INFLUX_URL: central.url,
      INFLUX_TOKEN: central.token,
      INFLUX_ORG: central.org,
      INFLUX_BUCKET: central.bucket,
    };
    const ensured = await run("node", ["--import", "tsx", "ingest/rollup/cli.ts", "--ensure"], {
      cwd: repo,
      env: centralEnv,
    });
    expect(JSON.parse(ensured.stdout)).toMatchObject({ rollupBucket: `${central.bucket}_rollup` });
    // The hours the sites sent (4 h back) rolled up now rather than by the hourly task: the rollup keeps the site.
    const stateDir = await mkdtemp(join(tmpdir(), "rollup-state-"));
    spools.push(stateDir);
    await run(
      "node",
      [
        "--import",
        "tsx",
        "ingest/rollup/cli.ts",
        "--backfill",
        "6h",
        "--state",
        join(stateDir, "state.json"),
      ],
      { cwd: repo, env: centralEnv },
    );
    const rolledSites = await clientOf(central)
      .getQueryApi(central.org)
      .collectRows<{ _value: string }>(
        `import "influxdata/influxdb/schema"
schema.tagValues(bucket: ${JSON.stringify(`${central.bucket}_rollup`)}, tag: "site", start: -1d)`,
      );
    expect(rolledSites.map((r) => r._value)).toEqual(["site-a", "site-b"]);
    const tasks = (await (
      await fetch(`${central.url}/api/v2/tasks?name=${encodeURIComponent(rollupTaskName(central.bucket))}`, {
        headers: { Authorization: `Token ${central.token}` },
      })
    ).json()) as { tasks: unknown[] };
    expect(tasks.tasks).toHaveLength(1);

    const keys = makeKeys("edge-sites");
    // The central API as deployed: reading the rollup too.
    const apiCfg = readEnvGroups(apiEnvGroups, {
      INFLUX_URL: central.url,
      INFLUX_TOKEN: central.token,
      INFLUX_ORG: central.org,
      INFLUX_BUCKET: central.bucket,
      API_PORT: "0",
      API_HOST: "127.0.0.1",
      API_KEYS_FILE: "",
      API_KEYS: keys.env,
      API_DEVICE_LOOKBACK: "2d",
    });
    api = await startApi(apiCfg, createLogger("edge-api", "silent"));

    type Listed = { id: string; client: string; site?: string };
    const admin = (await get(api, "/v1/devices", keys.admin)).body as { devices: Listed[] };
    const sites = new Set(admin.devices.map((d) => d.site));
    expect(sites).toEqual(new Set(["site-a", "site-b"]));
    // Each (site, client, device) once: the same ids at both sites are two devices.
    const expected = new Set(
      centralPoints
        .filter((p) => p.startsWith("reading|"))
        .map((p) => {
          const tags: Record<string, string> = Object.fromEntries(
            p
              .split("|")[1]!
              .split(",")
              .map((t) => t.split("=") as [string, string]),
          );
          return `${tags[TAG.site]}/${tags[TAG.client]}/${tags[TAG.device]}`;
        }),
    );
    expect(new Set(admin.devices.map((d) => `${d.site}/${d.client}/${d.id}`))).toEqual(expected);
    expect(admin.devices.length).toBe(expected.size);

    const onlyB = (await get(api, "/v1/devices?site=site-b", keys.admin)).body as { devices: Listed[] };
    expect(onlyB.devices.length).toBeGreaterThan(0);
    expect(onlyB.devices.every((d) => d.site === "site-b")).toBe(true);

    for (const client of CLIENTS) {
      const mine = (await get(api, "/v1/devices", keys.byClient[client])).body as { devices: Listed[] };
      const wanted = [...expected].filter((k) => k.split("/")[1] === client);
      expect(new Set(mine.devices.map((d) => `${d.site}/${d.client}/${d.id}`))).toEqual(new Set(wanted));
      if (wanted.length === 0) continue;
      expect(new Set(mine.devices.map((d) => d.site))).toEqual(new Set(["site-a", "site-b"]));
      // The same id at both sites: naming the site picks one; without it, a 409 naming both.
      const id = mine.devices[0]!.id;
      const ambiguous = await get(api, `/v1/devices/${id}`, keys.byClient[client]);
      expect(ambiguous.status).toBe(409);
      expect((ambiguous.body as { sites: string[] }).sites).toEqual(["site-a", "site-b"]);
      const atB = await get(api, `/v1/devices/${id}?site=site-b`, keys.byClient[client]);
      expect(atB.status).toBe(200);
      expect((atB.body as { device: Listed }).device).toMatchObject({ id, client, site: "site-b" });
      const stats = await get(
        api,
        `/v1/devices/${id}/stats?site=site-a&start=-1d&stop=${new Date(Date.now() + 86_400_000).toISOString()}`,
        keys.byClient[client],
      );
      expect(stats.status).toBe(200);
    }
    // Grafana over both sites: the site variable lists them; every panel filtered to one site shows only it.
    const centralClient = clientOf(central);
    const fleet = loadDashboards().find((d) => d.uid === "iot-fleet")!;
    const queries = queriesOf(fleet).filter((q) => q.language === "flux");
    const fluxRows = (text: string, site: string[] | "all") => {
      const start = new Date(Date.now() - 5 * 3_600_000).toISOString();
      const stop = new Date(Date.now() + 60_000).toISOString();
      const flux = substituteVariables(text, { site, client: "all", type: "all", device: "all" })
        .replaceAll("v.timeRangeStart", start)
        .replaceAll("v.timeRangeStop", stop)
        .replaceAll("v.windowPeriod", "1m")
        .replaceAll("v.defaultBucket", JSON.stringify(central.bucket));
      return centralClient.getQueryApi(central.org).collectRows<Record<string, unknown>>(flux);
    };
    const siteVariable = queries.find((q) => q.where === "variable site")!;
    expect((await fluxRows(siteVariable.text, "all")).map((r) => r._value)).toEqual(["site-a", "site-b"]);
    let panelsWithRows = 0;
    for (const q of queries.filter((x) => !x.where.startsWith("variable"))) {
      const rows = await fluxRows(q.text, ["site-b"]);
      if (rows.length > 0) panelsWithRows++;
      for (const r of rows)
        if (r.site !== undefined && r.site !== null) expect(r.site, q.where).toBe("site-b");
      for (const r of rows)
        if (typeof r._field === "string" && r._field.includes("/"))
          expect(r._field, q.where).toMatch(/^site-b\//);
    }
    expect(panelsWithRows).toBeGreaterThan(5);

    // A client never sees another client's device, at any site.
    const other = admin.devices.find((d) => d.client !== CLIENTS[0]);
    if (other) {
      const refused = await get(
        api,
        `/v1/devices/${other.id}?site=${other.site}&client=${other.client}`,
        keys.byClient[CLIENTS[0]],
      );
      expect(refused.status).toBe(404);
    }
  });
});
