// Detection quality against the simulator's ground truth, the one scoring
// that test/integration/ingest-detection-quality.test.ts and the detection
// benchmark share. Every injected kind is scored:
//  - recall per kind: an episode lying wholly inside the judged span (and, for
//    a metric read only now and then such as the battery, with a reading
//    stored inside it) is found when an event of any rule on its device and
//    metric falls within it;
//  - precision per rule: an event is true when it falls within an injected
//    episode (any kind, judged span or not) of its device and metric, and a
//    battery_low event also when it is the device's first within an hour (a
//    real low battery reported once is a true event; again within the hour
//    is noise). Device-level events (silent, back) are false: the scenarios
//    inject no silence.
// Indexed by device and metric, so 10,000 devices score in linear time.
import { ANOMALY_KINDS } from "../../simulator/anomalies.js";

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

export interface KindScore {
  scored: number;
  found: number;
  recall: number;
  /** Episodes inside the span with no reading inside them: nobody could see them, not scored. */
  unobserved: number;
}

export interface RuleScore {
  events: number;
  truePositives: number;
  precision: number;
}

export interface DetectionScore {
  /** Every injected kind, scored or not (0 episodes = NaN recall). */
  byKind: Record<string, KindScore>;
  byRule: Record<string, RuleScore>;
  /** Over all kinds. */
  scored: number;
  found: number;
  recall: number;
  /** The first episodes not found (at most MISSED_LISTED), to look into. */
  missed: TruthEpisode[];
  /** The lowest recall of any kind with episodes: what the target is judged on. */
  minKindRecall: number;
  events: number;
  truePositives: number;
  precision: number;
}

export interface DetectionInput {
  truth: readonly TruthEpisode[];
  events: readonly DetectedEvent[];
  /** First and last minute judged (ms, inclusive): the served span less the detectors' warm-up. */
  firstMs: number;
  lastMs: number;
  /** Whether a reading of `metric` was stored in [fromMs, toMs); default: always (history is complete). */
  observed?: (device: string, metric: string, fromMs: number, toMs: number) => boolean;
}

export const MISSED_LISTED = 20;

/** A battery_low event after another of the same device within this is noise. */
export const REPORT_AGAIN_MS = 3_600_000;

const key = (device: string, metric: string) => `${device}\u0000${metric}`;
const endMs = (t: TruthEpisode) => t.startMs + t.minutes * 60_000;
const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

export function scoreDetection(input: DetectionInput): DetectionScore {
  const { truth, firstMs, lastMs } = input;
  const observed = input.observed ?? (() => true);
  const truthBy = groupBy(truth, (t) => key(t.device, t.metric));
  const eventsBy = groupBy(input.events, (e) => key(e.device, e.metric));
  const inside = (t: TruthEpisode, ms: number) => ms >= t.startMs && ms < endMs(t);

  const missed: TruthEpisode[] = [];
  const byKind: Record<string, KindScore> = {};
  for (const kind of ANOMALY_KINDS) byKind[kind] = { scored: 0, found: 0, recall: Number.NaN, unobserved: 0 };
  for (const t of truth) {
    if (t.startMs < firstMs || endMs(t) - 60_000 > lastMs) continue;
    const k = (byKind[t.kind] ??= { scored: 0, found: 0, recall: Number.NaN, unobserved: 0 });
    if (!observed(t.device, t.metric, t.startMs, endMs(t))) {
      k.unobserved++;
      continue;
    }
    k.scored++;
    if ((eventsBy.get(key(t.device, t.metric)) ?? []).some((e) => inside(t, e.timeMs))) k.found++;
    else if (missed.length < MISSED_LISTED) missed.push(t);
  }
  for (const k of Object.values(byKind)) k.recall = ratio(k.found, k.scored);

  const byRule: Record<string, RuleScore> = {};
  const lastLowMs = new Map<string, number>();
  for (const e of [...input.events].sort((a, b) => a.timeMs - b.timeMs)) {
    let ok = (truthBy.get(key(e.device, e.metric)) ?? []).some((t) => inside(t, e.timeMs));
    if (e.rule === "battery_low") {
      const previous = lastLowMs.get(e.device);
      ok ||= previous === undefined || e.timeMs - previous >= REPORT_AGAIN_MS;
      lastLowMs.set(e.device, e.timeMs);
    }
    const r = (byRule[e.rule] ??= { events: 0, truePositives: 0, precision: Number.NaN });
    r.events++;
    if (ok) r.truePositives++;
  }
  for (const r of Object.values(byRule)) r.precision = ratio(r.truePositives, r.events);

  const kinds = Object.values(byKind);
  const rules = Object.values(byRule);
  const scored = kinds.reduce((n, k) => n + k.scored, 0);
  const found = kinds.reduce((n, k) => n + k.found, 0);
  const events = rules.reduce((n, r) => n + r.events, 0);
  const truePositives = rules.reduce((n, r) => n + r.truePositives, 0);
  const recalls = kinds.filter((k) => k.scored > 0).map((k) => k.recall);
  return {
    byKind,
    byRule,
    scored,
    found,
    recall: ratio(found, scored),
    missed,
    minKindRecall: recalls.length > 0 ? Math.min(...recalls) : Number.NaN,
    events,
    truePositives,
    precision: ratio(truePositives, events),
  };
}

/** `observed` for scoreDetection from stored reading times (ms) per device of one metric. */
export function observedFrom(
  metric: string,
  timesByDevice: ReadonlyMap<string, readonly number[]>,
): DetectionInput["observed"] {
  const sorted = new Map([...timesByDevice].map(([d, times]) => [d, [...times].sort((a, b) => a - b)]));
  return (device, m, fromMs, toMs) => {
    if (m !== metric) return true;
    const times = sorted.get(device) ?? [];
    // First reading at or after fromMs, by bisection.
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[mid]! < fromMs) lo = mid + 1;
      else hi = mid;
    }
    return lo < times.length && times[lo]! < toMs;
  };
}

/** The simulator's truth timestamp (`2026-01-31T12:00:00.000000`, UTC) to ms. */
export function truthStartMs(timestamp: string): number {
  return Date.parse(`${timestamp.slice(0, 23)}Z`);
}
