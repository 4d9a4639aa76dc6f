// Ensures, idempotently and through the edge InfluxDB's API, that the edge
// bucket replicates to the central InfluxDB with InfluxDB's own replication
// (OSS 2.2+): a remote connection (`/api/v2/remotes`) and a replication
// (`/api/v2/replications`) with its durable queue on the edge's disk. Every
// write to the edge bucket (readings, stats and anomaly events all live
// there) is then forwarded by influxd itself, retried until the central
// instance acknowledges it, across restarts of either side.
//
// Both objects are found by name, so a restart reuses them; one whose
// settings changed is updated in place (its queue is kept). The central
// instance is contacted only when something must be created or changed: its
// organization's ID is needed for the remote, and its bucket is checked so a
// typo is a clear error here rather than a queue that never drains.
import { createHash } from "node:crypto";
import { HttpError, type InfluxDB } from "@influxdata/influxdb-client";
import {
  BucketsAPI,
  OrgsAPI,
  type RemoteConnection,
  RemotesAPI,
  type Replication,
  ReplicationsAPI,
} from "@influxdata/influxdb-client-apis";
import { createInfluxClient } from "../../shared/influx/client.js";
import type { Logger } from "../../shared/log.js";
import { ensureBucket } from "../rollup/ensure.js";
import type { ConfigOf } from "../../shared/config/index.js";
import type { edgeEnv } from "./config.js";

export type EdgeConfig = ConfigOf<typeof edgeEnv>;

export interface CentralTarget {
  url: string;
  token: string;
  org: string;
  bucket: string;
  caFile: string;
}

export interface ReplicationPlan {
  /** The edge's organization and bucket (INFLUX_ORG, INFLUX_BUCKET). */
  org: string;
  localBucket: string;
  central: CentralTarget;
  maxQueueBytes: number;
  remoteName: string;
  replicationName: string;
}

export interface ReplicationState {
  remoteID: string;
  replicationID: string;
  /** What this call created or changed (empty when everything was in place). */
  changes: string[];
}

const REQUIRED = [
  ["replicateUrl", "EDGE_REPLICATE_URL"],
  ["replicateToken", "EDGE_REPLICATE_TOKEN"],
  ["replicateOrg", "EDGE_REPLICATE_ORG"],
  ["replicateBucket", "EDGE_REPLICATE_BUCKET"],
] as const;

/**
 * The plan from configuration values: undefined when no EDGE_REPLICATE_*
 * variable is set (no replication); an Error naming the missing ones when
 * only some are.
 */
export function replicationPlan(
  influx: { org: string; bucket: string },
  edge: EdgeConfig,
): ReplicationPlan | undefined {
  const missing = REQUIRED.filter(([key]) => edge[key] === "").map(([, name]) => name);
  if (missing.length === REQUIRED.length) return undefined;
  if (missing.length > 0)
    throw new Error(
      `replication to a central InfluxDB needs ${REQUIRED.map(([, n]) => n).join(", ")}: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set`,
    );
  return {
    org: influx.org,
    localBucket: influx.bucket,
    central: {
      url: edge.replicateUrl,
      token: edge.replicateToken,
      org: edge.replicateOrg,
      bucket: edge.replicateBucket,
      caFile: edge.replicateCaFile,
    },
    maxQueueBytes: edge.maxQueueBytes,
    remoteName: `iot-central:${influx.bucket}`,
    replicationName: `iot-replicate:${influx.bucket}`,
  };
}

/**
 * A short digest of what the remote connects with (URL, organization, token),
 * kept in its description: InfluxDB never returns the token, so this is how a
 * changed token is noticed. Truncated SHA-256 of a high-entropy token: it
 * tells changes apart and gives nothing away.
 */
export function remoteFingerprint(central: CentralTarget): string {
  return createHash("sha256")
    .update(`${central.url}\n${central.org}\n${central.token}`)
    .digest("hex")
    .slice(0, 16);
}

function remoteDescription(central: CentralTarget): string {
  return `Central InfluxDB, managed by the iot ingester (config ${remoteFingerprint(central)})`;
}

/** InfluxDB 2.8 spells this field `RemoteBucketName` in its answers; the client library's type says remoteBucketName. */
function remoteBucketNameOf(r: Replication): string | undefined {
  const raw = r as Replication & { RemoteBucketName?: string };
  return raw.remoteBucketName ?? raw.RemoteBucketName;
}

function maxAgeOf(r: Replication): number | undefined {
  return (r as Replication & { maxAgeSeconds?: number }).maxAgeSeconds;
}

/** Oldest first: InfluxDB's IDs grow with time, so the lowest is the first created. */
function byID<T extends { id: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => a.id.localeCompare(b.id));
}

function describeHttp(err: unknown): string {
  if (err instanceof HttpError) {
    const why =
      err.statusCode === 401
        ? "the token was refused (401)"
        : err.statusCode === 403
          ? "the token lacks a permission (403)"
          : `HTTP ${err.statusCode}`;
    return `${why}${err.body ? `: ${err.body.slice(0, 200)}` : ""}`;
  }
  return (err as Error).message;
}

/**
 * The central organization's ID, found through its bucket (which must exist):
 * one read that a token with read access to that bucket alone may make, so
 * a site's token needs no rights on the organization. A clear error otherwise.
 */
export async function resolveCentral(
  central: CentralTarget,
  timeoutMs: number,
): Promise<{ orgID: string; bucketID: string }> {
  const client = createInfluxClient({ ...central, timeoutMs });
  const where = `central InfluxDB ${central.url}`;
  const what = `bucket ${JSON.stringify(central.bucket)} of organization ${JSON.stringify(central.org)} (EDGE_REPLICATE_BUCKET, EDGE_REPLICATE_ORG)`;
  let found;
  try {
    found = await new BucketsAPI(client).getBuckets({ org: central.org, name: central.bucket });
  } catch (err) {
    if (err instanceof HttpError && err.statusCode === 404)
      throw new Error(
        `${where}: no ${what}: ${describeHttp(err)}; the central side creates it, the ingester does not`,
        { cause: err },
      );
    throw new Error(`${where}: cannot read the ${what}: ${describeHttp(err)}`, { cause: err });
  }
  const bucket = found.buckets?.find((b) => b.name === central.bucket);
  if (!bucket?.id || !bucket.orgID)
    throw new Error(`${where}: no ${what} visible to EDGE_REPLICATE_TOKEN (it needs read access to it)`);
  return { orgID: bucket.orgID, bucketID: bucket.id };
}

async function edgeOrgID(client: InfluxDB, org: string): Promise<string> {
  const orgs = await new OrgsAPI(client).getOrgs({ org });
  const id = orgs.orgs?.find((o) => o.name === org)?.id;
  if (!id) throw new Error(`InfluxDB organization ${JSON.stringify(org)} not found`);
  return id;
}

async function ensureRemote(
  api: RemotesAPI,
  orgID: string,
  plan: ReplicationPlan,
  central: () => Promise<{ orgID: string }>,
  changes: string[],
  log: Logger,
): Promise<RemoteConnection> {
  const listed = byID(
    ((await api.getRemoteConnections({ orgID, name: plan.remoteName })).remotes ?? []).filter(
      (r) => r.name === plan.remoteName,
    ),
  );
  const description = remoteDescription(plan.central);
  let remote = listed[0];
  const current =
    remote !== undefined &&
    remote.remoteURL === plan.central.url &&
    remote.description === description &&
    Boolean(remote.remoteOrgID);
  if (current) return remote!;
  const { orgID: remoteOrgID } = await central();
  const body = {
    name: plan.remoteName,
    description,
    remoteURL: plan.central.url,
    remoteAPIToken: plan.central.token,
    remoteOrgID,
    allowInsecureTLS: false,
  };
  if (!remote) {
    remote = await api.postRemoteConnection({ body: { ...body, orgID } });
    changes.push(`created remote ${remote.id}`);
    log.info({ remote: plan.remoteName, id: remote.id, url: plan.central.url }, "replication remote created");
  } else {
    // A changed URL, organization or token: the same remote, so its replication and queue stay.
    remote = await api.patchRemoteConnectionByID({ remoteID: remote.id, body });
    changes.push(`updated remote ${remote.id}`);
    log.info({ remote: plan.remoteName, id: remote.id, url: plan.central.url }, "replication remote updated");
  }
  return remote;
}

async function ensureReplicationObject(
  api: ReplicationsAPI,
  orgID: string,
  localBucketID: string,
  remoteID: string,
  plan: ReplicationPlan,
  checkCentral: () => Promise<unknown>,
  changes: string[],
  log: Logger,
): Promise<Replication> {
  const listed = byID(
    ((await api.getReplications({ orgID, name: plan.replicationName })).replications ?? []).filter(
      (r) => r.name === plan.replicationName,
    ),
  );
  // Concurrent starts (shards) may each have created one: the oldest stays.
  // Every write is queued into every replication, so a copy's queue holds
  // nothing the oldest's does not: deleting it loses nothing.
  for (const extra of listed.slice(1)) {
    await api.deleteReplicationByID({ replicationID: extra.id });
    changes.push(`deleted duplicate replication ${extra.id}`);
    log.warn({ replication: plan.replicationName, id: extra.id }, "duplicate replication deleted");
  }
  const desired = {
    remoteID,
    remoteBucketName: plan.central.bucket,
    maxQueueSizeBytes: plan.maxQueueBytes,
    // Never drop: a point the central side refuses stays queued (and visible) until fixed.
    dropNonRetryableData: false,
    // No age limit: the queue is bounded by its size only.
    maxAgeSeconds: 0,
  };
  let replication = listed[0];
  if (!replication) {
    await checkCentral();
    replication = await api.postReplication({
      body: {
        ...desired,
        name: plan.replicationName,
        description: `${plan.localBucket} to ${plan.central.bucket} at ${plan.central.url} (managed by the iot ingester)`,
        orgID,
        localBucketID,
      },
    });
    changes.push(`created replication ${replication.id}`);
    log.info(
      { replication: plan.replicationName, id: replication.id, maxQueueBytes: plan.maxQueueBytes },
      "replication created",
    );
    return replication;
  }
  if (replication.localBucketID !== localBucketID) {
    // The local bucket was recreated under the same name: a replication cannot move, so it is replaced.
    await api.deleteReplicationByID({ replicationID: replication.id });
    changes.push(`replaced replication ${replication.id} of a deleted bucket`);
    log.warn(
      { replication: plan.replicationName, id: replication.id },
      "replication of a deleted bucket replaced",
    );
    return ensureReplicationObject(api, orgID, localBucketID, remoteID, plan, checkCentral, changes, log);
  }
  const stale =
    replication.remoteID !== desired.remoteID ||
    remoteBucketNameOf(replication) !== desired.remoteBucketName ||
    replication.maxQueueSizeBytes !== desired.maxQueueSizeBytes ||
    Boolean(replication.dropNonRetryableData) !== desired.dropNonRetryableData ||
    (maxAgeOf(replication) ?? 0) !== desired.maxAgeSeconds;
  if (stale) {
    // A new central bucket must exist there: checked before the queue is pointed at it.
    if (remoteBucketNameOf(replication) !== desired.remoteBucketName) await checkCentral();
    replication = await api.patchReplicationByID({ replicationID: replication.id, body: desired });
    changes.push(`updated replication ${replication.id}`);
    log.info(
      { replication: plan.replicationName, id: replication.id, maxQueueBytes: plan.maxQueueBytes },
      "replication updated",
    );
  }
  return replication;
}

/** One idempotent pass; throws when either InfluxDB cannot be reached or refuses. */
export async function ensureReplication(
  edge: InfluxDB,
  plan: ReplicationPlan,
  log: Logger,
  opts: { timeoutMs?: number } = {},
): Promise<ReplicationState> {
  const orgID = await edgeOrgID(edge, plan.org);
  const changes: string[] = [];
  const localBucketID = await ensureBucket(
    new BucketsAPI(edge),
    orgID,
    plan.localBucket,
    undefined,
    changes,
    log,
  );
  const remotes = new RemotesAPI(edge);
  let checked: Promise<{ orgID: string }> | undefined;
  const central = () => (checked ??= resolveCentral(plan.central, opts.timeoutMs ?? 10_000));
  const remote = await ensureRemote(remotes, orgID, plan, central, changes, log);
  const replications = new ReplicationsAPI(edge);
  const replication = await ensureReplicationObject(
    replications,
    orgID,
    localBucketID,
    remote.id,
    plan,
    central,
    changes,
    log,
  );
  // Copies of the remote made by concurrent starts: nothing refers to them any more.
  const copies = (
    (await remotes.getRemoteConnections({ orgID, name: plan.remoteName })).remotes ?? []
  ).filter((r) => r.name === plan.remoteName && r.id !== remote.id);
  for (const extra of copies) {
    const users = (await replications.getReplications({ orgID, remoteID: extra.id })).replications ?? [];
    if (users.length > 0) continue;
    await remotes.deleteRemoteConnectionByID({ remoteID: extra.id });
    changes.push(`deleted duplicate remote ${extra.id}`);
  }
  return { remoteID: remote.id, replicationID: replication.id, changes };
}
