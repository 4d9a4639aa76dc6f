// The ingester process ensures the rollup at start, never fatally: with
// InfluxDB unavailable (a proxy in front of the real server answering 503)
// it logs, keeps ingesting, and retries; once InfluxDB answers, the rollup
// bucket and task appear. A replica other than shard 0 leaves them alone.
import { type Server, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BucketsAPI, TasksAPI } from "@influxdata/influxdb-client-apis";
import { rollupTaskName } from "../../ingest/rollup/task.js";
import { type RunningSimulator, startSimulator } from "../../simulator/server.js";
import { describeWithInflux, influxServer, useTestBucket } from "../support/influx.js";
import { type IngesterProcess, startIngester, tempSpoolDir } from "../support/ingester.js";

const bucket = useTestBucket(import.meta.url);
let sim: RunningSimulator;
let proxy: Server;
let proxyUrl: string;
/** While false the proxy answers every request 503, as an InfluxDB being restarted would. */
let influxUp = false;
const spools: string[] = [];
const procs: IngesterProcess[] = [];

beforeAll(async () => {
  if (!influxServer) return;
  sim = await startSimulator({ seed: 5 });
  const upstream = new URL(influxServer.url);
  proxy = createServer((req, res) => {
    if (!influxUp) {
      res.writeHead(503, { "content-type": "application/json" }).end('{"code":"unavailable"}');
      return;
    }
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop("SIGKILL")));
  await sim?.stop();
  proxy?.closeAllConnections();
  await new Promise((r) => proxy?.close(r));
  for (const d of spools) await rm(d, { recursive: true, force: true });
  if (influxServer && bucket.current) {
    const tasks = new TasksAPI(bucket.current.client);
    for (const t of (await tasks.getTasks({ name: rollupTaskName(bucket.current.name) })).tasks ?? [])
      await tasks.deleteTasksID({ taskID: t.id });
    const buckets = new BucketsAPI(bucket.current.client);
    await buckets
      .getBuckets({ name: `${bucket.current.name}_rollup` })
      .then(async (b) => {
        for (const x of b.buckets ?? []) await buckets.deleteBucketsID({ bucketID: x.id! });
      })
      .catch(() => undefined);
  }
});

async function start(env: Record<string, string>) {
  const spool = await tempSpoolDir();
  spools.push(spool);
  const p = await startIngester(
    { ...influxServer!, url: proxyUrl, bucket: bucket.current.name },
    sim.url,
    spool,
    env,
  );
  procs.push(p);
  return p;
}

describeWithInflux("ingester: rollup ensured at start, retried, never fatal", () => {
  it("shard 1 of 2 does not ensure the rollup (shard 0 does)", async () => {
    influxUp = true;
    const p = await start({ INGEST_SHARD_INDEX: "1", INGEST_SHARD_COUNT: "2" });
    await p.waitForCycles(2, 60_000);
    expect(await p.stop()).toBe(0);
    expect(p.logs.filter((l) => typeof l.msg === "string" && l.msg.startsWith("rollup"))).toEqual([]);
  });

  it("logs and keeps ingesting while InfluxDB is unavailable, then ensures bucket and task", async () => {
    influxUp = false;
    const p = await start({});
    const failed = await p.waitForLog((l) => l.msg === "rollup not ensured: will retry", 60_000);
    expect(failed.err).toMatch(/503/);
    await p.waitForCycles(2, 60_000);
    expect(p.child.exitCode).toBeNull();

    influxUp = true;
    const ensured = await p.waitForLog((l) => l.msg === "rollup ensured", 60_000);
    const tasks = (
      await new TasksAPI(bucket.current.client).getTasks({ name: rollupTaskName(bucket.current.name) })
    ).tasks;
    expect(tasks?.map((t) => t.id)).toEqual([ensured.taskID]);
    const rollup = await new BucketsAPI(bucket.current.client).getBuckets({
      name: `${bucket.current.name}_rollup`,
    });
    expect(rollup.buckets?.map((b) => b.id)).toEqual([ensured.rollupBucketID]);
    expect(await p.stop()).toBe(0);
  });
});
