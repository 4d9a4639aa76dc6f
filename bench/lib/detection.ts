// Precision and recall of detected anomalies against the simulator's ground
// truth, scored the way test/integration/ingest-detection-quality.test.ts
// does: an injected spike or stuck episode lying wholly inside the served data
// is found when an event of a value rule on the same device and metric falls
// within it; an event is a true positive when it falls within any injected
// episode (any kind) of its device and metric. Indexed by device and metric,
// so 10,000 devices score in linear time.

export interface TruthEpisode {
  device: string;
  metric: string;
  kind: string;
  /** First minute, ms since the epoch. */
  startMs: number;
  minutes: number;
}

export interface DetectedEvent {
  device: string;
  metric: string;
  rule: string;
  timeMs: number;
}

export interface DetectionScore {
  scored: number;
  hits: number;
  recall: number;
  detected: number;
  truePositives: number;
  precision: number;
  byKind: Record<string, { scored: number; hits: number }>;
}

/** Kinds that recall is measured on, and rules whose events are scored. */
export const SCORED_KINDS = ["spike", "stuck"] as const;
export const SCORED_RULES = ["threshold_high", "threshold_low", "zscore", "stuck"] as const;
const EXCLUDED_METRIC = "battery_level";

const key = (device: string, metric: string) => `${device}\u0000${metric}`;
const within = (t: TruthEpisode, ms: number) => ms >= t.startMs && ms < t.startMs + t.minutes * 60_000;

/** `firstMs`..`lastMs`: the minutes the ingester was served (inclusive). */
export function scoreDetection(
  truth: readonly TruthEpisode[],
  events: readonly DetectedEvent[],
  firstMs: number,
  lastMs: number,
): DetectionScore {
  const relevantTruth = truth.filter((t) => t.metric !== EXCLUDED_METRIC);
  const detected = events.filter(
    (d) => (SCORED_RULES as readonly string[]).includes(d.rule) && d.metric !== EXCLUDED_METRIC,
  );
  const truthBy = new Map<string, TruthEpisode[]>();
  for (const t of relevantTruth) {
    const k = key(t.device, t.metric);
    const list = truthBy.get(k);
    if (list) list.push(t);
    else truthBy.set(k, [t]);
  }
  const eventsBy = new Map<string, number[]>();
  for (const d of detected) {
    const k = key(d.device, d.metric);
    const list = eventsBy.get(k);
    if (list) list.push(d.timeMs);
    else eventsBy.set(k, [d.timeMs]);
  }

  const scored = relevantTruth.filter(
    (t) =>
      (SCORED_KINDS as readonly string[]).includes(t.kind) &&
      t.startMs >= firstMs &&
      t.startMs + (t.minutes - 1) * 60_000 <= lastMs,
  );
  const byKind: Record<string, { scored: number; hits: number }> = {};
  let hits = 0;
  for (const t of scored) {
    const entry = (byKind[t.kind] ??= { scored: 0, hits: 0 });
    entry.scored++;
    if ((eventsBy.get(key(t.device, t.metric)) ?? []).some((ms) => within(t, ms))) {
      hits++;
      entry.hits++;
    }
  }
  let truePositives = 0;
  for (const d of detected)
    if ((truthBy.get(key(d.device, d.metric)) ?? []).some((t) => within(t, d.timeMs))) truePositives++;

  return {
    scored: scored.length,
    hits,
    recall: scored.length > 0 ? hits / scored.length : Number.NaN,
    detected: detected.length,
    truePositives,
    precision: detected.length > 0 ? truePositives / detected.length : Number.NaN,
    byKind,
  };
}

/** The simulator's truth timestamp (`2026-01-31T12:00:00.000000`, UTC) to ms. */
export function truthStartMs(timestamp: string): number {
  return Date.parse(`${timestamp.slice(0, 23)}Z`);
}
