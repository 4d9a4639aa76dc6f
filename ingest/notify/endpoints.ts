// The webhook endpoints file (INGEST_WEBHOOKS_FILE): a JSON list of
// `{url, secret | secret_env, name?, clients?, rules?, severities?, cooldown_s?}`.
// Secrets live only there or in the environment, never in the repository.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { httpUrl } from "../../shared/config/env.js";
import { ANOMALY_RULES, SEVERITIES } from "../../shared/schema.js";
import type { AnomalyEvent } from "../transforms/anomaly-rules.js";

export interface WebhookEndpoint {
  /** Metric label and outbox folder name: `name`, or derived from the URL. */
  id: string;
  url: string;
  secret: string;
  clients?: ReadonlySet<string>;
  rules?: ReadonlySet<string>;
  severities?: ReadonlySet<string>;
  /** Overrides INGEST_WEBHOOK_COOLDOWN_S for this endpoint. */
  cooldownS?: number;
}

const nonEmptyList = <T extends z.ZodType>(item: T) => z.array(item).min(1, "expected a non-empty list");

const endpointSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "expected letters, digits, _ . - (at most 64)")
      .optional(),
    url: httpUrl,
    secret: z.string().min(16, "expected a secret of at least 16 characters").optional(),
    secret_env: z.string().min(1).optional(),
    clients: nonEmptyList(z.string().min(1)).optional(),
    rules: nonEmptyList(z.enum(ANOMALY_RULES)).optional(),
    severities: nonEmptyList(z.enum(SEVERITIES)).optional(),
    cooldown_s: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .optional(),
  })
  .strict()
  .refine((e) => (e.secret === undefined) !== (e.secret_env === undefined), {
    message: "expected exactly one of secret or secret_env",
  });

const fileSchema = z.array(endpointSchema);

function derivedId(url: string): string {
  const u = new URL(url);
  const readable = `${u.hostname}${u.port ? `_${u.port}` : ""}${u.pathname}`
    .replace(/[^A-Za-z0-9_.-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 40);
  // The hash keeps two URLs that sanitize alike apart.
  const hash = createHash("sha256").update(url).digest("hex").slice(0, 8);
  return `${readable}-${hash}`;
}

/** Parses and validates the endpoints; throws an Error naming the file and the problem. */
export function parseEndpoints(
  json: unknown,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): WebhookEndpoint[] {
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new Error(`INGEST_WEBHOOKS_FILE ${source} is invalid: ${why}`);
  }
  const out: WebhookEndpoint[] = [];
  const ids = new Set<string>();
  for (const [i, e] of parsed.data.entries()) {
    const secret = e.secret ?? env[e.secret_env!];
    if (!secret || secret.length < 16)
      throw new Error(
        `INGEST_WEBHOOKS_FILE ${source}: endpoint ${i}: ${e.secret_env} is unset or shorter than 16 characters`,
      );
    const id = e.name ?? derivedId(e.url);
    if (ids.has(id)) throw new Error(`INGEST_WEBHOOKS_FILE ${source}: two endpoints are named ${id}`);
    ids.add(id);
    out.push({
      id,
      url: e.url,
      secret,
      ...(e.clients ? { clients: new Set(e.clients) } : {}),
      ...(e.rules ? { rules: new Set(e.rules) } : {}),
      ...(e.severities ? { severities: new Set(e.severities) } : {}),
      ...(e.cooldown_s !== undefined ? { cooldownS: e.cooldown_s } : {}),
    });
  }
  return out;
}

/** Reads INGEST_WEBHOOKS_FILE; an empty path means no webhooks. */
export function loadEndpoints(path: string, env: NodeJS.ProcessEnv = process.env): WebhookEndpoint[] {
  if (!path) return [];
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`INGEST_WEBHOOKS_FILE ${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  return parseEndpoints(json, path, env);
}

/** Whether `endpoint`'s filters let `event` through (an absent filter lets everything through). */
export function matches(endpoint: WebhookEndpoint, event: AnomalyEvent): boolean {
  return (
    (!endpoint.clients || endpoint.clients.has(event.client)) &&
    (!endpoint.rules || endpoint.rules.has(event.rule)) &&
    (!endpoint.severities || endpoint.severities.has(event.severity))
  );
}
