// Anomaly rules from an optional JSON file (INGEST_RULES_FILE), merged over
// the documented defaults; an invalid file stops the ingester at start.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { METRICS, type Metric } from "../../shared/schema.js";
import { DEFAULT_RULES, type RulesConfig } from "./anomaly-rules.js";

const metric = z.enum(METRICS as [Metric, ...Metric[]]);
const bounds = z.strictObject({
  high: z.number().finite().optional(),
  low: z.number().finite().optional(),
  hysteresis: z.number().finite().min(0).optional(),
});
const rulesFileSchema = z.strictObject({
  thresholds: z.partialRecord(metric, bounds.nullable()).optional(),
  batteryLow: z.number().min(0).max(100).optional(),
  batteryLowHysteresis: z.number().min(0).max(100).optional(),
  batteryDrain: z
    .strictObject({
      points: z.number().positive().optional(),
      perHour: z.number().positive().optional(),
      readings: z.number().int().min(2).max(1000).optional(),
    })
    .optional(),
  zscore: z
    .strictObject({
      bound: z.number().positive().optional(),
      minSamples: z.number().int().min(2).optional(),
      metrics: z.array(metric).optional(),
    })
    .optional(),
  levelShift: z
    .strictObject({
      samples: z.number().int().min(3).max(1000).optional(),
      bound: z.number().positive().optional(),
      metrics: z.array(metric).optional(),
    })
    .optional(),
  minChange: z.partialRecord(metric, z.number().finite().min(0)).optional(),
  stuck: z
    .strictObject({
      count: z.number().int().min(2).optional(),
      metrics: z.array(metric).optional(),
    })
    .optional(),
  silent: z.strictObject({ cycles: z.number().int().min(1).optional() }).optional(),
});

export function mergeRules(base: RulesConfig, file: z.infer<typeof rulesFileSchema>): RulesConfig {
  const thresholds = { ...base.thresholds };
  for (const [name, b] of Object.entries(file.thresholds ?? {})) {
    const m = name as Metric;
    // null removes a default threshold
    if (b === null) delete thresholds[m];
    else thresholds[m] = { ...thresholds[m], ...b };
  }
  return {
    thresholds,
    batteryLow: file.batteryLow ?? base.batteryLow,
    batteryLowHysteresis: file.batteryLowHysteresis ?? base.batteryLowHysteresis,
    batteryDrain: { ...base.batteryDrain, ...file.batteryDrain },
    zscore: { ...base.zscore, ...file.zscore },
    levelShift: { ...base.levelShift, ...file.levelShift },
    minChange: { ...base.minChange, ...file.minChange },
    stuck: { ...base.stuck, ...file.stuck },
    silent: { ...base.silent, ...file.silent },
  };
}

export function parseRules(text: string): RulesConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = rulesFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return mergeRules(DEFAULT_RULES, parsed.data);
}

/** The rules in force: defaults, or defaults overridden by `path`. */
export function loadRules(path: string): RulesConfig {
  if (!path) return DEFAULT_RULES;
  try {
    return parseRules(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`INGEST_RULES_FILE=${path}: ${(err as Error).message}`, { cause: err });
  }
}
