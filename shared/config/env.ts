// Typed, validated configuration from environment variables. Each variable is
// declared once (name, schema, default, doc); the same declarations validate
// the process environment at start-up and feed the configuration table of
// docs/configuration.md, so the two cannot drift apart.
import { existsSync } from "node:fs";
import { z } from "zod";

export interface EnvVar<T> {
  readonly name: string;
  readonly schema: z.ZodType<T>;
  /** Raw string default, as a user would write it in `.env`; absent = required. */
  readonly default?: string;
  readonly doc: string;
  /** Marks development-only defaults of secrets, so docs can flag them. */
  readonly secret?: boolean;
}

export function envVar<T>(
  name: string,
  schema: z.ZodType<T>,
  options: Omit<EnvVar<T>, "name" | "schema">,
): EnvVar<T> {
  return { name, schema, ...options };
}

export type EnvGroup = Record<string, EnvVar<unknown>>;
export type ConfigOf<G extends EnvGroup> = { [K in keyof G]: G[K] extends EnvVar<infer T> ? T : never };

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads every variable of `group` from `env`; throws one ConfigError naming all bad variables. */
export function readEnv<G extends EnvGroup>(group: G, env: NodeJS.ProcessEnv = process.env): ConfigOf<G> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(group)) {
    const raw = env[spec.name];
    const value = raw === undefined || raw === "" ? spec.default : raw;
    if (value === undefined) {
      problems.push(`${spec.name} is required: ${spec.doc}`);
      continue;
    }
    const parsed = spec.schema.safeParse(value);
    if (parsed.success) {
      out[key] = parsed.data;
    } else {
      const why = parsed.error.issues.map((i) => i.message).join("; ");
      const shown = spec.secret ? "(hidden)" : JSON.stringify(value);
      problems.push(`${spec.name}=${shown} is invalid: ${why}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as ConfigOf<G>;
}

/** Reads several groups at once, reporting the problems of all of them together. */
export function readEnvGroups<S extends Record<string, EnvGroup>>(
  groups: S,
  env: NodeJS.ProcessEnv = process.env,
): { [K in keyof S]: ConfigOf<S[K]> } {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, group] of Object.entries(groups)) {
    try {
      out[name] = readEnv(group, env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as { [K in keyof S]: ConfigOf<S[K]> };
}

/** For process entry points: a bad configuration stops the process with a clear message, not a stack trace. */
export function readEnvGroupsOrExit<S extends Record<string, EnvGroup>>(
  groups: S,
  env: NodeJS.ProcessEnv = process.env,
): { [K in keyof S]: ConfigOf<S[K]> } {
  try {
    return readEnvGroups(groups, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

// Reusable value schemas: each error message says what is expected.

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}
const withoutTrailingSlash = (s: string) => s.replace(/\/+$/, "");

export const httpUrl = z
  .string()
  .trim()
  .refine(isHttpUrl, "expected an http:// or https:// URL")
  .transform(withoutTrailingSlash);

/** An http(s) URL, or empty for "not set". */
export const optionalHttpUrl = z
  .string()
  .trim()
  .refine((s) => s === "" || isHttpUrl(s), "expected an http:// or https:// URL, or empty")
  .transform(withoutTrailingSlash);

export const nonEmpty = z.string().trim().min(1, "expected a non-empty string");

export const port = z.coerce
  .number({ error: "expected a TCP port number" })
  .int("expected an integer port")
  .min(0, "expected a port in 0..65535")
  .max(65535, "expected a port in 0..65535");

export function intInRange(min: number, max: number) {
  const msg = `expected an integer in ${min}..${max}`;
  return z.coerce.number({ error: msg }).int(msg).min(min, msg).max(max, msg);
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of ${values.join(", ")}` });
}

/** An optional PEM file: empty, or a file that exists (read when the connection opens). */
export const pemFile = z
  .string()
  .trim()
  .refine((p) => p === "" || existsSync(p), "expected the path of a readable PEM file (or empty)");

/** A positive Flux-style duration such as "30d" or "1h30m" (units s, m, h, d, w). */
export const positiveDuration = nonEmpty.regex(
  /^(\d+(s|m|h|d|w))+$/,
  'expected a duration such as "30d" or "12h"',
);

/** Single-group form of readEnvGroupsOrExit. */
export function readEnvOrExit<G extends EnvGroup>(
  group: G,
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<G> {
  return readEnvGroupsOrExit({ group }, env).group;
}
