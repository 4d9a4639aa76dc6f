// docker-compose.yml as data: parsed with a YAML library, `${VAR}` references
// listed and interpolated the way Compose does, with .env.example as `.env`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { repo } from "./stack-dashboards.js";

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export const composePath = join(repo, "docker-compose.yml");

export function composeText(): string {
  return readFileSync(composePath, "utf8");
}

/** The raw document (`<<:` merge keys resolved, `${...}` left as written). */
export function loadCompose(): ComposeFile {
  return parse(composeText(), { merge: true }) as ComposeFile;
}

/** KEY=value lines of .env.example. */
export function loadEnvExample(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(repo, ".env.example"), "utf8").split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

const REF = /\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

export interface VarRef {
  name: string;
  /** "-" or ":-" default, "?" or ":?" required, undefined plain. */
  op: string | undefined;
  arg: string | undefined;
}

export function variableRefs(text: string): VarRef[] {
  return [...text.matchAll(REF)].map((m) => ({ name: m[1]!, op: m[2], arg: m[3] }));
}

/** Compose interpolation of one string; throws on a `:?` variable that is unset or empty. */
export function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(REF, (_whole, name: string, op: string | undefined, arg: string | undefined) => {
    const value = env[name];
    const empty = value === undefined || (op?.startsWith(":") && value === "");
    if (op?.endsWith("-")) return empty ? (arg ?? "") : value;
    if (op?.endsWith("?")) {
      if (empty) throw new Error(`${name}: ${arg}`);
      return value;
    }
    return value ?? "";
  });
}

/** A service's environment as its container would see it, given `.env`. */
export function serviceEnv(service: ComposeService, dotEnv: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), dotEnv)]),
  );
}
