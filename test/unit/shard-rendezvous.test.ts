// Rendezvous hashing of device ids (ingest/shard.ts): one owner per device,
// an even split, deterministic, and minimal movement when the count changes.
import { describe, expect, it } from "vitest";
import { ShardFilter, murmur3, ownerOf, resolveShard } from "../../ingest/shard.js";

const fleet = (n: number) => Array.from({ length: n }, (_, i) => `device_${i + 1}`);

describe("murmur3", () => {
  it("matches the reference MurmurHash3_x86_32 vectors", () => {
    expect(murmur3("", 0)).toBe(0);
    expect(murmur3("", 1)).toBe(0x514e28b7);
    expect(murmur3("hello", 0)).toBe(0x248bfa47);
    expect(murmur3("Hello, world!", 1234)).toBe(0xfaf6cdb3);
    expect(murmur3("The quick brown fox jumps over the lazy dog", 0x9747b28c)).toBe(0x2fa826cd);
  });
});

describe("ownerOf", () => {
  it("gives every device exactly one owner among the shards' filters", () => {
    const ids = fleet(3000);
    for (const count of [1, 2, 3, 4, 7]) {
      const filters = Array.from({ length: count }, (_, index) => new ShardFilter({ index, count }));
      for (const id of ids) {
        const owners = filters.filter((f) => f.owns(id)).map((f) => f.shard.index);
        expect(owners, id).toEqual([ownerOf(id, count)]);
      }
    }
  });

  it("is deterministic: the same id and count always give the same owner", () => {
    const ids = fleet(500);
    const first = ids.map((id) => ownerOf(id, 5));
    expect(ids.map((id) => ownerOf(id, 5))).toEqual(first);
    // Pinned values: a change of the hash would silently reshuffle a running fleet.
    expect(["device_1", "device_2", "device_3", "device_300"].map((id) => ownerOf(id, 3))).toEqual([
      2, 1, 1, 2,
    ]);
  });

  it("splits a fleet about evenly", () => {
    const ids = fleet(30_000);
    for (const count of [3, 4]) {
      const sizes = new Array<number>(count).fill(0);
      for (const id of ids) sizes[ownerOf(id, count)]!++;
      for (const size of sizes)
        expect(Math.abs(size - ids.length / count) / (ids.length / count)).toBeLessThan(0.05);
    }
  });

  it("3 -> 4 shards moves about a quarter of the devices, each to the new shard", () => {
    const ids = fleet(30_000);
    const moved = ids.filter((id) => ownerOf(id, 3) !== ownerOf(id, 4));
    const fraction = moved.length / ids.length;
    expect(fraction).toBeGreaterThan(0.23);
    expect(fraction).toBeLessThan(0.27);
    // Rendezvous: a device only ever moves to the added shard, never between old ones.
    expect(new Set(moved.map((id) => ownerOf(id, 4)))).toEqual(new Set([3]));
    // ...and 300 devices (the integration fleet) behave the same, within sampling noise.
    const small = fleet(300);
    const smallMoved = small.filter((id) => ownerOf(id, 3) !== ownerOf(id, 4)).length / small.length;
    expect(smallMoved).toBeGreaterThan(0.15);
    expect(smallMoved).toBeLessThan(0.35);
  });

  it("4 -> 3 shards moves only the removed shard's devices", () => {
    const ids = fleet(10_000);
    for (const id of ids) {
      const before = ownerOf(id, 4);
      if (before !== 3) expect(ownerOf(id, 3)).toBe(before);
    }
  });

  it("rejects a count below 1", () => {
    expect(() => ownerOf("device_1", 0)).toThrow(RangeError);
    expect(() => new ShardFilter({ index: 3, count: 3 })).toThrow(/0\.\.2/);
  });
});

describe("resolveShard", () => {
  const opts = { index: 0, count: 3, fromHostname: true };

  it("takes the StatefulSet ordinal from HOSTNAME when INGEST_SHARD_INDEX is unset", () => {
    expect(resolveShard(opts, { HOSTNAME: "ingest-2" })).toEqual({ index: 2, count: 3 });
    expect(resolveShard(opts, { HOSTNAME: "iot-ingest-0", INGEST_SHARD_INDEX: "" })).toEqual({
      index: 0,
      count: 3,
    });
  });

  it("lets an explicit INGEST_SHARD_INDEX win", () => {
    expect(resolveShard({ ...opts, index: 1 }, { HOSTNAME: "ingest-2", INGEST_SHARD_INDEX: "1" })).toEqual({
      index: 1,
      count: 3,
    });
  });

  it("ignores HOSTNAME without the flag", () => {
    expect(resolveShard({ ...opts, fromHostname: false }, { HOSTNAME: "ingest-2" })).toEqual({
      index: 0,
      count: 3,
    });
  });

  it("says what is wrong with a bad HOSTNAME or an index past the count", () => {
    expect(() => resolveShard(opts, { HOSTNAME: "laptop" })).toThrow(/HOSTNAME="laptop"/);
    expect(() => resolveShard(opts, { HOSTNAME: "ingest-3" })).toThrow(/INGEST_SHARD_COUNT=3/);
  });
});
