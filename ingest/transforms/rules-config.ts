// Anomaly rules from an optional JSON file (INGEST_RULES_FILE), merged over
// the documented defaults; an invalid file stops the ingester at start.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { METRICS, type Metric } from "../../shared/schema.js";
import { DEFAULT_RULES, type RulesConfig } from "./anomaly-rules.js";

const bounds = z.strictObject({ high: z.number().finite().optional(), low: z.number().finite().optional() });
const rulesFileSchema = z.strictObject({
  thresholds: z.partialRecord(z.enum(METRICS as [Metric, ...Metric[]]), bounds.nullable()).optional(),
  batteryLow: z.number().min(0).max(100).optional(),
  zscore: z
    .strictObject({ bound: z.number().positive().optional(), minSamples: z.number().int().min(2).optional() })
    .optional(),
  stuck: z
    .strictObject({
      count: z.number().int().min(2).optional(),
      metrics: z.array(z.enum(METRICS as [Metric, ...Metric[]])).optional(),
    })
    .optional(),
  silent: z.strictObject({ cycles: z.number().int().min(1).optional() }).optional(),
});

export function mergeRules(base: RulesConfig, file: z.infer<typeof rulesFileSchema>): RulesConfig {
  const thresholds = { ...base.thresholds };
  for (const [metric, b] of Object.entries(file.thresholds ?? {})) {
    // null removes a default threshold
    if (b === null) delete thresholds[metric as keyof typeof thresholds];
    else
      thresholds[metric as keyof typeof thresholds] = {
        ...thresholds[metric as keyof typeof thresholds],
        ...b,
      };
  }
  return {
    thresholds,
    batteryLow: file.batteryLow ?? base.batteryLow,
    zscore: { ...base.zscore, ...file.zscore },
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
