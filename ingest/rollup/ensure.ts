// Ensures, idempotently and through the InfluxDB API, what downsampled
// history needs: the raw bucket (with its retention only when one is
// configured), the long-retention rollup bucket and the hourly rollup task.
// Safe to run on every start and by several replicas at once: existing
// objects are reused, a task created twice by a race is reduced to one.
import { HttpError, type InfluxDB } from "@influxdata/influxdb-client";
import { type Bucket, BucketsAPI, OrgsAPI, type Task, TasksAPI } from "@influxdata/influxdb-client-apis";
import { rollupBucketName } from "../../shared/config/index.js";
import type { Logger } from "../../shared/log.js";
import { EnsureKeeper } from "../ensure-keeper.js";
import { rollupTaskFlux, rollupTaskName } from "./task.js";

export interface RollupPlan {
  org: string;
  rawBucket: string;
  rollupBucket: string;
  /** Seconds (0 = forever); undefined = create with forever, never change an existing bucket. */
  rawRetentionS?: number | undefined;
  rollupRetentionS?: number | undefined;
  /** Flux duration each task run re-aggregates. */
  lookback: string;
}

export interface RollupState {
  orgID: string;
  rawBucketID: string;
  rollupBucketID: string;
  taskID: string;
  /** What this call created or changed (empty when everything was in place). */
  changes: string[];
}

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds of a retention setting: "" -> undefined (leave alone), "inf" -> 0 (forever), "30d" -> 2592000. */
export function retentionSeconds(name: string, text: string): number | undefined {
  if (text === "") return undefined;
  if (text === "inf") return 0;
  let total = 0;
  for (const m of text.matchAll(/(\d+)(s|m|h|d|w)/g)) total += Number(m[1]) * UNIT_S[m[2]!]!;
  // InfluxDB refuses retention periods under an hour.
  if (total < 3600)
    throw new Error(`${name}=${JSON.stringify(text)} is invalid: expected at least 1h, or "inf"`);
  return total;
}

/** The plan from configuration values (throws on a retention InfluxDB would refuse). */
export function rollupPlan(
  influx: { org: string; bucket: string },
  rollup: { bucket: string; rollupRetention: string; rawRetention: string; lookback: string },
): RollupPlan {
  return {
    org: influx.org,
    rawBucket: influx.bucket,
    rollupBucket: rollupBucketName(influx.bucket, rollup.bucket),
    rawRetentionS: retentionSeconds("INFLUX_RAW_RETENTION", rollup.rawRetention),
    rollupRetentionS: retentionSeconds("INFLUX_ROLLUP_RETENTION", rollup.rollupRetention),
    lookback: rollup.lookback,
  };
}

function expireSeconds(bucket: Bucket): number {
  return bucket.retentionRules.find((r) => (r.type ?? "expire") === "expire")?.everySeconds ?? 0;
}

/** A create refused because the name exists: another replica got there first. */
export function isConflict(err: unknown): boolean {
  return err instanceof HttpError && (err.statusCode === 409 || err.statusCode === 422);
}

export async function findBucket(api: BucketsAPI, orgID: string, name: string): Promise<Bucket | undefined> {
  try {
    const found = await api.getBuckets({ orgID, name });
    return found.buckets?.find((b) => b.name === name);
  } catch (err) {
    // InfluxDB answers a name filter that matches nothing with 404.
    if (err instanceof HttpError && err.statusCode === 404) return undefined;
    throw err;
  }
}

export async function ensureBucket(
  api: BucketsAPI,
  orgID: string,
  name: string,
  retentionS: number | undefined,
  changes: string[],
  log: Logger,
): Promise<string> {
  let bucket = await findBucket(api, orgID, name);
  if (!bucket) {
    try {
      bucket = await api.postBuckets({
        body: { orgID, name, retentionRules: [{ type: "expire", everySeconds: retentionS ?? 0 }] },
      });
      changes.push(`created bucket ${name}`);
      log.info({ bucket: name, retentionSeconds: retentionS ?? 0 }, "bucket created");
    } catch (err) {
      if (!isConflict(err)) throw err;
      bucket = await findBucket(api, orgID, name);
      if (!bucket) throw err;
    }
  } else if (retentionS !== undefined && expireSeconds(bucket) !== retentionS) {
    // Only an explicitly configured retention gets here; say loudly what changed.
    const from = expireSeconds(bucket);
    await api.patchBucketsID({
      bucketID: bucket.id!,
      body: { retentionRules: [{ type: "expire", everySeconds: retentionS }] },
    });
    changes.push(`retention of ${name}: ${from}s -> ${retentionS}s`);
    log.warn(
      { bucket: name, fromSeconds: from, toSeconds: retentionS },
      "bucket retention changed as configured",
    );
  }
  return bucket.id!;
}

async function ensureTask(
  api: TasksAPI,
  orgID: string,
  plan: RollupPlan,
  changes: string[],
  log: Logger,
): Promise<string> {
  const name = rollupTaskName(plan.rawBucket);
  const flux = rollupTaskFlux({ name, ...plan });
  const listed = ((await api.getTasks({ name, orgID })).tasks ?? []).filter((t) => t.name === name);
  // Oldest first: concurrent starts may have created copies; the oldest stays, the rest go.
  const tasks = listed.sort(
    (a, b) => String(a.createdAt).localeCompare(String(b.createdAt)) || a.id.localeCompare(b.id),
  );
  let task: Task | undefined = tasks[0];
  for (const extra of tasks.slice(1)) {
    await api.deleteTasksID({ taskID: extra.id });
    changes.push(`deleted duplicate task ${extra.id}`);
    log.warn({ task: name, id: extra.id }, "duplicate rollup task deleted");
  }
  if (!task) {
    task = await api.postTasks({
      body: {
        orgID,
        flux,
        status: "active",
        description: `Hourly mean/min/max/count of ${plan.rawBucket} readings into ${plan.rollupBucket} (managed by the ingester)`,
      },
    });
    changes.push(`created task ${task.id}`);
    log.info({ task: name, id: task.id }, "rollup task created");
  } else if (task.flux !== flux) {
    // A newer ingester (or changed settings): bring the Flux in step; the status is the operator's.
    await api.patchTasksID({ taskID: task.id, body: { flux } });
    changes.push(`updated task ${task.id}`);
    log.info({ task: name, id: task.id }, "rollup task updated");
  }
  if (task.status === "inactive")
    log.warn({ task: name, id: task.id }, "rollup task is inactive: left as it is");
  return task.id;
}

/** One idempotent pass; throws when InfluxDB cannot be reached or refuses. */
export async function ensureRollup(client: InfluxDB, plan: RollupPlan, log: Logger): Promise<RollupState> {
  const orgs = await new OrgsAPI(client).getOrgs({ org: plan.org });
  const orgID = orgs.orgs?.find((o) => o.name === plan.org)?.id;
  if (!orgID) throw new Error(`InfluxDB organization ${JSON.stringify(plan.org)} not found`);
  const buckets = new BucketsAPI(client);
  const changes: string[] = [];
  const rawBucketID = await ensureBucket(buckets, orgID, plan.rawBucket, plan.rawRetentionS, changes, log);
  const rollupBucketID = await ensureBucket(
    buckets,
    orgID,
    plan.rollupBucket,
    plan.rollupRetentionS,
    changes,
    log,
  );
  const taskID = await ensureTask(new TasksAPI(client), orgID, plan, changes, log);
  return { orgID, rawBucketID, rollupBucketID, taskID, changes };
}

/** Keeps the rollup ensured: at start, and again with a doubling delay while it fails. */
export class RollupKeeper extends EnsureKeeper<RollupState> {
  constructor(
    ensure: () => Promise<RollupState>,
    log: Logger,
    opts: { firstRetryMs?: number; maxRetryMs?: number } = {},
  ) {
    super("rollup", ensure, log, opts);
  }
}
