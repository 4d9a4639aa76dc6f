// Fills the hourly rollup for data already stored (an installation that had
// raw data before the rollup existed, or a rollup whose fields changed): the
// task's own aggregation over whole hours, a chunk at a time, oldest first.
// Idempotent (rewriting an hour overwrites it) and resumable: a state file
// records the hour reached, so an interrupted run goes on from there.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { InfluxDB } from "@influxdata/influxdb-client";
import { HOUR_MS } from "../../shared/time.js";
import { type RollupTarget, rollupRangeFlux } from "./task.js";

export interface BackfillOptions {
  client: InfluxDB;
  target: RollupTarget;
  /** First and last (exclusive) hour, ms; both whole hours. */
  startMs: number;
  stopMs: number;
  /** Hours per query. */
  chunkHours: number;
  /** Progress file; a run over the same buckets and range resumes from it. */
  stateFile: string;
  progress: (line: string) => void;
}

interface BackfillState {
  rawBucket: string;
  rollupBucket: string;
  startMs: number;
  stopMs: number;
  /** Hours before this are done. */
  doneMs: number;
}

export interface BackfillReport {
  hours: number;
  chunks: number;
  resumedFromMs?: number;
  seconds: number;
}

async function readState(file: string): Promise<BackfillState | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as BackfillState;
  } catch {
    return undefined;
  }
}

async function writeState(file: string, state: BackfillState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(state));
  await rename(`${file}.tmp`, file);
}

/** Whole hours `duration` back from the last complete hour before `nowMs`. */
export function backfillRange(nowMs: number, durationMs: number): { startMs: number; stopMs: number } {
  const stopMs = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  return { startMs: stopMs - Math.ceil(durationMs / HOUR_MS) * HOUR_MS, stopMs };
}

export async function backfillRollup(o: BackfillOptions): Promise<BackfillReport> {
  const started = performance.now();
  const saved = await readState(o.stateFile);
  const same =
    saved?.rawBucket === o.target.rawBucket &&
    saved.rollupBucket === o.target.rollupBucket &&
    saved.startMs <= o.startMs &&
    saved.doneMs > o.startMs &&
    saved.doneMs <= o.stopMs;
  let at = same ? saved.doneMs : o.startMs;
  const resumedFromMs = same ? at : undefined;
  if (same) o.progress(`resuming at ${new Date(at).toISOString()} (${o.stateFile})`);
  const query = o.client.getQueryApi(o.target.org);
  const totalHours = (o.stopMs - o.startMs) / HOUR_MS;
  let chunks = 0;
  while (at < o.stopMs) {
    const next = Math.min(o.stopMs, at + o.chunkHours * HOUR_MS);
    const t0 = performance.now();
    await query.collectRows(rollupRangeFlux(o.target, at, next));
    chunks++;
    at = next;
    await writeState(o.stateFile, { ...o.target, startMs: o.startMs, stopMs: o.stopMs, doneMs: at });
    const done = (at - o.startMs) / HOUR_MS;
    o.progress(
      `${done}/${totalHours} hours (${((100 * done) / totalHours).toFixed(0)} %), through ${new Date(at).toISOString()}, chunk ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  return {
    hours: totalHours,
    chunks,
    ...(resumedFromMs !== undefined ? { resumedFromMs } : {}),
    seconds: (performance.now() - started) / 1000,
  };
}
