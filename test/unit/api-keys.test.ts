import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  KeyStore,
  MAX_KEY_LENGTH,
  generateKey,
  hashKey,
  parseKeysEnv,
  parseKeysFile,
} from "../../api/auth/keys.js";
import { presentedKey } from "../../api/middleware/auth.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("key hashing", () => {
  it("hashes with SHA-256 hex", () => {
    expect(hashKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("generates distinct keys with 256 bits of entropy", () => {
    const keys = new Set(Array.from({ length: 100 }, generateKey));
    expect(keys.size).toBe(100);
    for (const k of keys) expect(k).toMatch(/^iot_[A-Za-z0-9_-]{43}$/);
  });
});

describe("keys file", () => {
  const file = JSON.stringify({
    clients: { client_1: { sha256: [sha("k1"), sha("k1-rotated")] }, client_2: { sha256: sha("k2") } },
    admins: { ops: { sha256: [sha("admin")] } },
  });

  it("maps each hash to its holder; several keys per holder, a single string allowed", () => {
    const store = new KeyStore(parseKeysFile(file, "keys.json"));
    expect(store.size).toBe(4);
    expect(store.lookup("k1")).toEqual({ kind: "client", client: "client_1" });
    expect(store.lookup("k1-rotated")).toEqual({ kind: "client", client: "client_1" });
    expect(store.lookup("k2")).toEqual({ kind: "client", client: "client_2" });
    expect(store.lookup("admin")).toEqual({ kind: "admin", name: "ops" });
  });

  it("finds nothing for unknown, empty, hash-as-key and oversized keys", () => {
    const store = new KeyStore(parseKeysFile(file, "keys.json"));
    expect(store.lookup("k3")).toBeUndefined();
    expect(store.lookup("")).toBeUndefined();
    expect(store.lookup(sha("k1"))).toBeUndefined();
    expect(store.lookup("k".repeat(MAX_KEY_LENGTH + 1))).toBeUndefined();
  });

  it.each([
    ["not JSON", "{", /keys.json: not JSON/],
    [
      "a bad hash",
      JSON.stringify({ clients: { c: { sha256: "xyz" } } }),
      /clients.c.sha256.0: expected lowercase SHA-256 hex/,
    ],
    ["a bad client id", JSON.stringify({ clients: { 'a"b': { sha256: sha("x") } } }), /expected a client id/],
    ["an unknown field", JSON.stringify({ users: {} }), /Unrecognized key/],
  ])("refuses %s, naming where", (_what, text, message) => {
    expect(() => parseKeysFile(text, "keys.json")).toThrow(message);
  });
});

describe("API_KEYS (development)", () => {
  it("reads client and admin entries", () => {
    const store = new KeyStore(parseKeysEnv(`client_1:${sha("a")}, admin:ops:${sha("b")}`));
    expect(store.lookup("a")).toEqual({ kind: "client", client: "client_1" });
    expect(store.lookup("b")).toEqual({ kind: "admin", name: "ops" });
    expect(parseKeysEnv("")).toEqual([]);
  });

  it("refuses malformed entries without echoing the hash", () => {
    expect(() => parseKeysEnv("client_1:nothex")).toThrow(
      /API_KEYS entry "client_1:...": expected a lowercase SHA-256/,
    );
    expect(() => parseKeysEnv(`a:b:${sha("x")}`)).toThrow(
      /expected <client>:<sha256> or admin:<name>:<sha256>/,
    );
  });
});

describe("presented key", () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  it("reads x-api-key or a Bearer token", () => {
    expect(presentedKey(headers({ "x-api-key": "abc" }))).toBe("abc");
    expect(presentedKey(headers({ authorization: "Bearer abc" }))).toBe("abc");
    expect(presentedKey(headers({ authorization: "bearer   abc  " }))).toBe("abc");
    expect(presentedKey(headers({ authorization: "Basic abc" }))).toBeUndefined();
    expect(presentedKey(headers({}))).toBeUndefined();
  });
});
