// One write request to InfluxDB whose outcome is unambiguous, plus the
// classification of its failures and a bounded retry loop around it.
//
// Why not the WriteApi's own retries: measured against InfluxDB 2.8 with
// @influxdata/influxdb-client 1.35, WriteApi.flush() rejects on the FIRST
// failed attempt while the lines sit in its internal retry buffer and are
// retried later in the background; close() then resolves anyway and discards
// what is still waiting. Neither tells us when a batch was acknowledged. So
// each batch gets a fresh WriteApi with maxRetries 0 (flush() resolves only on
// a 204) and the retries, with backoff and jitter, live here.
import { setTimeout as sleep } from "node:timers/promises";
import { HttpError, type InfluxDB } from "@influxdata/influxdb-client";

export type FailureReason = "network" | "server" | "auth" | "rejected";

export type WriteOutcome =
  | { ok: true }
  | {
      ok: false;
      reason: FailureReason;
      retryable: boolean;
      status?: number;
      message: string;
      retryAfterMs?: number;
    };

export interface WriteTarget {
  client: InfluxDB;
  org: string;
  bucket: string;
  gzipThreshold: number;
}

/**
 * What the WriteApi itself retries: every non-HTTP error and every status >= 429
 * (so 429 and all 5xx, 501 included); never 400/401/403/404/413/422. We retry
 * the same set, but say why it failed.
 */
export function classify(err: unknown): Exclude<WriteOutcome, { ok: true }> {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof HttpError) {
    const status = err.statusCode;
    const retryAfterMs = err.retryAfter() > 0 ? err.retryAfter() * 1000 : undefined;
    // The data's fault: resending it can never succeed.
    if (status === 400 || status === 422)
      return { ok: false, reason: "rejected", retryable: false, status, message };
    // Configuration (token, bucket): keep the data until someone fixes it.
    if (status === 401 || status === 403 || status === 404)
      return { ok: false, reason: "auth", retryable: false, status, message };
    return {
      ok: false,
      reason: "server",
      retryable: status >= 429,
      status,
      message,
      ...(retryAfterMs && { retryAfterMs }),
    };
  }
  return { ok: false, reason: "network", retryable: true, message };
}

/** Sends `lines` once; resolves with the outcome, never throws. */
export async function writeOnce(target: WriteTarget, lines: readonly string[]): Promise<WriteOutcome> {
  const api = target.client.getWriteApi(target.org, target.bucket, "us", {
    // Everything goes out in the single flush() below: no size- or timer-
    // triggered background sends whose errors the WriteApi would swallow.
    batchSize: lines.length + 1,
    maxBatchBytes: Number.POSITIVE_INFINITY,
    flushInterval: 0,
    maxRetries: 0,
    gzipThreshold: target.gzipThreshold,
    // Returning a promise makes it the outcome: no retry buffer, no console log.
    writeFailed: (error: Error) => Promise.reject(error),
  });
  try {
    api.writeRecords(lines as string[]);
    await api.flush();
    return { ok: true };
  } catch (err) {
    return classify(err);
  } finally {
    api.dispose();
  }
}

export interface RetryPolicy {
  maxRetries: number;
  minDelayMs: number;
  maxDelayMs: number;
}

/** Exponential backoff with jitter; a server's Retry-After wins when it asks for longer. */
export function backoffMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** (attempt - 1));
  const jittered = exp / 2 + Math.random() * (exp / 2);
  return Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
}

export interface AttemptReport {
  outcome: WriteOutcome;
  seconds: number;
}

/**
 * Writes `lines`, retrying retryable failures up to `policy.maxRetries` times.
 * `signal` cuts the waiting short (shutdown): the last outcome is returned.
 */
export async function writeWithRetry(
  target: WriteTarget,
  lines: readonly string[],
  policy: RetryPolicy,
  onAttempt: (report: AttemptReport) => void,
  signal?: AbortSignal,
): Promise<WriteOutcome> {
  for (let attempt = 1; ; attempt++) {
    const started = process.hrtime.bigint();
    const outcome = await writeOnce(target, lines);
    onAttempt({ outcome, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    if (outcome.ok || !outcome.retryable || attempt > policy.maxRetries || signal?.aborted) return outcome;
    try {
      await sleep(backoffMs(policy, attempt, outcome.retryAfterMs), undefined, { signal });
    } catch {
      return outcome; // aborted while waiting
    }
  }
}
