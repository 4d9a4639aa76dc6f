// API keys: the service only ever holds SHA-256 hashes of keys, read from the
// keys file and (for development) API_KEYS, and compares a presented key's
// hash against every stored one in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { z } from "zod";

/** Who a key belongs to: one client, or an admin that may read every client. */
export type Principal = { kind: "client"; client: string } | { kind: "admin"; name: string };

export interface KeyEntry {
  readonly principal: Principal;
  readonly hash: Buffer;
}

/** Client ids are tag values; the same safe pattern as device ids. */
export const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Longer presented keys are rejected before hashing. */
export const MAX_KEY_LENGTH = 256;

export function hashKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** A new random key: 32 bytes of entropy, URL-safe, with a recognisable prefix. */
export function generateKey(): string {
  return `iot_${randomBytes(32).toString("base64url")}`;
}

const hashes = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));
const holder = z.strictObject({
  sha256: hashes.pipe(z.array(z.string().regex(SHA256_HEX, "expected lowercase SHA-256 hex"))),
});

/**
 * The keys file:
 * `{"clients": {"client_1": {"sha256": ["<hex>", ...]}}, "admins": {"ops": {"sha256": ["<hex>"]}}}`.
 * Several hashes per holder allow rotation; a single string is accepted too.
 */
export const keysFileSchema = z.strictObject({
  clients: z.record(z.string().regex(CLIENT_ID, "expected a client id such as client_1"), holder).default({}),
  admins: z.record(z.string().regex(CLIENT_ID, "expected an admin name such as ops"), holder).default({}),
});
export type KeysFile = z.infer<typeof keysFileSchema>;

export function parseKeysFile(text: string, source: string): KeyEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const parsed = keysFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // zod reports a bad record key generically; say what a key must look like.
    const message =
      issue.code === "invalid_key"
        ? "expected a client id such as client_1 (letters, digits, '_', '-', '.'; at most 64)"
        : issue.message;
    throw new Error(`${source}: ${issue.path.join(".") || "(root)"}: ${message}`);
  }
  return entriesOf(parsed.data);
}

export function entriesOf(file: KeysFile): KeyEntry[] {
  const out: KeyEntry[] = [];
  for (const [client, h] of Object.entries(file.clients))
    for (const hex of h.sha256)
      out.push({ principal: { kind: "client", client }, hash: Buffer.from(hex, "hex") });
  for (const [name, h] of Object.entries(file.admins))
    for (const hex of h.sha256)
      out.push({ principal: { kind: "admin", name }, hash: Buffer.from(hex, "hex") });
  return out;
}

/** API_KEYS (development): `client_1:<hex>,admin:ops:<hex>`. */
export function parseKeysEnv(text: string): KeyEntry[] {
  const out: KeyEntry[] = [];
  for (const item of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const parts = item.split(":");
    const hex = parts.at(-1) ?? "";
    const bad = (why: string) => new Error(`API_KEYS entry "${parts.slice(0, -1).join(":")}:...": ${why}`);
    if (!SHA256_HEX.test(hex)) throw bad("expected a lowercase SHA-256 hex hash after the last ':'");
    if (parts.length === 3 && parts[0] === "admin") {
      if (!CLIENT_ID.test(parts[1]!)) throw bad("expected admin:<name>:<sha256>");
      out.push({ principal: { kind: "admin", name: parts[1]! }, hash: Buffer.from(hex, "hex") });
    } else if (parts.length === 2 && CLIENT_ID.test(parts[0]!)) {
      out.push({ principal: { kind: "client", client: parts[0]! }, hash: Buffer.from(hex, "hex") });
    } else throw bad("expected <client>:<sha256> or admin:<name>:<sha256>");
  }
  return out;
}

export class KeyStore {
  constructor(private readonly entries: readonly KeyEntry[]) {}

  get size(): number {
    return this.entries.length;
  }

  /** The key's principal, or undefined. Compares against every entry, whatever matches, so timing says nothing. */
  lookup(key: string): Principal | undefined {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) return undefined;
    const presented = createHash("sha256").update(key, "utf8").digest();
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(presented, entry.hash) && found === undefined) found = entry.principal;
    }
    return found;
  }
}

/** Keys from the file (absent file = none) plus API_KEYS. */
export async function loadKeyStore(file: string, envKeys: string): Promise<KeyStore> {
  let entries: KeyEntry[] = [];
  if (file) {
    try {
      entries = parseKeysFile(await readFile(file, "utf8"), file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  return new KeyStore([...entries, ...parseKeysEnv(envKeys)]);
}
