// Input and output schemas shared by the routes: each one both validates the
// request and documents it in /openapi.json. Messages say what is allowed.
import { z } from "@hono/zod-openapi";
import { ANOMALY_RULES, METRICS, type Metric, SITE_PATTERN } from "../shared/schema.js";
import { SERIES_FNS } from "./flux/series.js";
import { DURATION_FORMAT_HELP, TIME_FORMAT_HELP } from "./time-range.js";
import {
  DURATION_MAX_LENGTH,
  EVERY_PATTERN,
  LIMIT_PATTERN,
  TIME_MAX_LENGTH,
  TIME_PATTERN,
} from "./patterns.js";
import { SOURCES } from "./flux/sources.js";

/** Device ids are tag values: a conservative pattern keeps odd text out of queries altogether. */
export const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const DEVICE_ID_HELP =
  "a device id: 1-128 characters among letters, digits, '_', '-', '.', ':' (e.g. device_1)";

export const deviceId = z
  .string()
  .min(1, `expected ${DEVICE_ID_HELP}`)
  .max(128, `expected ${DEVICE_ID_HELP}`)
  .regex(DEVICE_ID, `expected ${DEVICE_ID_HELP}`)
  .openapi({ description: DEVICE_ID_HELP, example: "device_1" });

export const deviceParams = z.object({
  id: deviceId.openapi({ param: { name: "id", in: "path" } }),
});

/**
 * Whose device: a device is the pair (client, id). Client ids are tag values
 * like device ids and share their pattern (a key's client id is a subset).
 */
const CLIENT_HELP = "client must be a client id: 1-128 characters among letters, digits, '_', '-', '.', ':'";
export const clientParam = z
  .string()
  .min(1, CLIENT_HELP)
  .max(128, CLIENT_HELP)
  .regex(DEVICE_ID, CLIENT_HELP)
  .optional()
  .openapi({
    param: { name: "client", in: "query" },
    description:
      "The client the device belongs to. An admin key needs it when several clients hold the id (else 409 listing them); a client key may name only its own client (another answers 404, like any device not its own).",
    example: "client_1",
  });

/**
 * Which edge site: site names are tag values (EDGE_SITE's pattern); empty
 * selects the points without a site tag (a single site's, or older ones).
 */
const SITE_HELP =
  "site must be a site name: 1-64 characters among letters, digits, '_', '-', '.', ':' starting with a letter or digit, or empty for points without a site tag";
const SITE_OR_EMPTY = new RegExp(`^$|${SITE_PATTERN.source}`);
const siteSchema = z.string().max(64, SITE_HELP).regex(SITE_OR_EMPTY, SITE_HELP).optional();

/** `site` on routes about one device: which site's device, when several sites hold the id. */
export const siteParam = siteSchema.openapi({
  param: { name: "site", in: "query" },
  description:
    "The edge site the device is at (the `site` tag). Needed only when several sites hold the id (else 409 listing them in `sites`); empty = the device's points without a site tag.",
  example: "site-a",
});

/** `site` on fleet routes: only that site's devices and points. */
export const siteFilterParam = siteSchema.openapi({
  param: { name: "site", in: "query" },
  description:
    "Only this edge site's devices and points (the `site` tag); absent = every site; empty = only points without a site tag.",
  example: "site-a",
});

/** The rules between start and stop that a pattern cannot state: said in each description. */
export const RANGE_RULES =
  "Relative times count back from now. start must be before stop, and the range may span at most API_MAX_RANGE_DAYS (default 31 days): either is a 400 naming start.";

function timeParam(name: "start" | "stop", defaultText: string) {
  const message = `${name} must be ${TIME_FORMAT_HELP}`;
  return z
    .string()
    .max(TIME_MAX_LENGTH, message)
    .regex(TIME_PATTERN, message)
    .optional()
    .openapi({
      param: { name, in: "query" },
      description: `${name === "start" ? "Start" : "End"} of the range (default ${defaultText}): ${TIME_FORMAT_HELP}. ${RANGE_RULES}`,
      example: name === "start" ? "-1h" : "now",
    });
}

export const start = (defaultText = "-1h") => timeParam("start", defaultText);
export const stop = timeParam("stop", "now");

export const metric = z
  .enum(METRICS as [Metric, ...Metric[]], { error: `metric must be one of ${METRICS.join(", ")}` })
  .optional()
  .openapi({
    param: { name: "metric", in: "query" },
    description: "Metric (default: the device type's main metric)",
  });

export const every = z
  .string()
  .max(DURATION_MAX_LENGTH, `every must be ${DURATION_FORMAT_HELP}, at least 1s`)
  .regex(EVERY_PATTERN, `every must be ${DURATION_FORMAT_HELP}, at least 1s`)
  .optional()
  .openapi({
    param: { name: "every", in: "query" },
    description: `Window of aggregateWindow: ${DURATION_FORMAT_HELP}; at least 1s (a unit of seconds or more, or at least 1000ms). An every longer than the range gives one window. With start..stop it may give at most API_MAX_POINTS (default 1000) windows: more is a 400 that says which every fits.`,
    example: "10m",
  });

export const seriesFn = z
  .enum(SERIES_FNS, { error: `fn must be one of ${SERIES_FNS.join(", ")}` })
  .default("mean")
  .openapi({ param: { name: "fn", in: "query" }, description: "Aggregate per window" });

export const rule = z
  .enum(ANOMALY_RULES, { error: `rule must be one of ${ANOMALY_RULES.join(", ")}` })
  .optional()
  .openapi({ param: { name: "rule", in: "query" }, description: "Only events of this rule" });

export const limit = z
  .string()
  .regex(LIMIT_PATTERN, "limit must be an integer in 1..1000, without a leading zero")
  .transform(Number)
  .optional()
  .openapi({
    param: { name: "limit", in: "query" },
    description: "Most events listed (1..1000, default 100)",
    type: "integer",
    minimum: 1,
    maximum: 1000,
    example: 100,
  });

export const errorBody = z
  .object({
    error: z.string().openapi({ example: "bad_request" }),
    message: z.string().openapi({ example: 'start must be a negative duration such as "-1h"' }),
    parameter: z.string().optional().openapi({ description: "The request parameter at fault, when one is" }),
    clients: z
      .array(z.string())
      .optional()
      .openapi({ description: "409 only: the clients holding the device id; name one with `client`" }),
    sites: z.array(z.string()).optional().openapi({
      description:
        "409 only, when several sites hold the device id: their names (empty: points without a site tag); name one with `site`",
    }),
  })
  .openapi("Error");

export const scopeBody = z
  .object({
    client: z.string().nullable().openapi({ description: "The calling client; null for an admin key" }),
    admin: z.boolean().openapi({ description: "true when an admin key read every client's data" }),
  })
  .openapi("Scope");

export const sourceBody = z.enum(SOURCES).openapi({
  description:
    'Where the figures came from: "raw" readings, the hourly "rollup" (whole hours complete before now), or "rollup+raw" (rollup for the whole complete hours, raw readings for the partial and recent hours); the figures are the same either way',
});

export const aggregateBody = z
  .object({
    mean: z.number().nullable(),
    min: z.number().nullable(),
    max: z.number().nullable(),
    stddev: z.number().nullable().openapi({ description: "Sample standard deviation; null below 2 values" }),
    count: z.number().int(),
  })
  .openapi("Aggregate");

export const lastValueBody = z.object({ value: z.number(), time: z.string() }).openapi("LastValue");

export const deviceBody = z
  .object({
    id: z.string(),
    client: z.string(),
    site: z.string().optional().openapi({
      description: "The edge site the device is at (the `site` tag); absent when its points carry none",
    }),
    type: z.string(),
    last_seen: z.string().openapi({ description: "Time of the newest reading (RFC 3339)" }),
    last_reading: z.record(z.string(), lastValueBody).openapi({ description: "Newest value of each metric" }),
  })
  .openapi("Device");

export const anomalyBody = z
  .object({
    time: z.string(),
    device: z.string(),
    client: z.string(),
    type: z.string(),
    metric: z.string(),
    rule: z.string(),
    severity: z.string(),
    value: z.number().nullable(),
    baseline: z.number().nullable().openapi({
      description:
        "What the value was judged against: rolling mean (zscore), recent median (level_shift), previous reading (battery_drain); null for fixed bounds",
    }),
    threshold: z
      .number()
      .nullable()
      .openapi({ description: "The bound the value crossed, or the limit the score passed" }),
    score: z.number().nullable(),
    message: z.string(),
  })
  .openapi("Anomaly");

/** The error answers every authenticated data route may give. */
export const errorResponses = {
  400: { description: "Invalid parameter", content: { "application/json": { schema: errorBody } } },
  401: { description: "Missing or unknown API key", content: { "application/json": { schema: errorBody } } },
  429: {
    description: "Rate limit of the key exceeded (see Retry-After)",
    content: { "application/json": { schema: errorBody } },
  },
  503: {
    description: "InfluxDB unavailable or too slow",
    content: { "application/json": { schema: errorBody } },
  },
} as const;

export const notFoundResponse = {
  404: {
    description: "No such device for this key (another client's device answers the same)",
    content: { "application/json": { schema: errorBody } },
  },
} as const;

/** An admin named a device id several clients hold, without `client`. */
export const conflictResponse = {
  409: {
    description:
      "Several clients (admin key) or several sites hold this device id; `clients` (and `sites`) list them, name one with the `client` (or `site`) parameter",
    content: { "application/json": { schema: errorBody } },
  },
} as const;

/** Both ways of sending a key, for routes that need one. */
export const security: Record<string, string[]>[] = [{ ApiKey: [] }, { Bearer: [] }];
