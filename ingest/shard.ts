// Which ingester replica pulls which device: rendezvous (highest-random-weight)
// hashing of the device id. Every replica computes the same owner for a device
// from nothing but (id, shard count), so replicas need no coordination, every
// device has exactly one owner, and changing the count from n to n+1 moves
// only the ~1/(n+1) of devices whose new shard outweighs their old owner.
import { mix32 } from "../shared/hash.js";

export interface Shard {
  /** 0-based index of this replica. */
  readonly index: number;
  /** Replicas in all (1 = no sharding). */
  readonly count: number;
}

export const SINGLE_SHARD: Shard = { index: 0, count: 1 };

/** MurmurHash3 (x86, 32-bit) of a UTF-8 string: fast, stable, well mixed. */
export function murmur3(text: string, seed: number): number {
  const bytes = Buffer.from(text, "utf8");
  let h = seed >>> 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const blocks = bytes.length >>> 2;
  for (let i = 0; i < blocks; i++) {
    let k = bytes.readUInt32LE(i * 4);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  }
  // The 1-3 trailing bytes (the switch-with-fallthrough of the reference code, unrolled).
  const tail = blocks * 4;
  const rest = bytes.length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= bytes[tail + 2]! << 16;
    if (rest >= 2) k ^= bytes[tail + 1]! << 8;
    k ^= bytes[tail]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  return mix32(h ^ bytes.length);
}

/** Weight of shard `s` for a device: the shard index seeds the hash, so weights are independent per shard. */
function weight(deviceId: string, s: number): number {
  // A multiplicative spread of the index keeps neighbouring seeds far apart.
  return murmur3(deviceId, Math.imul(s + 1, 0x9e3779b1) >>> 0);
}

/** The shard (0..count-1) that owns `deviceId`: the one with the highest weight (ties: lowest index). */
export function ownerOf(deviceId: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count must be >= 1, got ${count}`);
  let best = 0;
  let bestWeight = -1;
  for (let s = 0; s < count; s++) {
    const w = weight(deviceId, s);
    if (w > bestWeight) {
      best = s;
      bestWeight = w;
    }
  }
  return best;
}

/** Remembers owners (the fleet is listed every cycle; ownership never changes within a process). */
export class ShardFilter {
  private readonly cache = new Map<string, boolean>();

  constructor(readonly shard: Shard) {
    if (!Number.isInteger(shard.count) || shard.count < 1)
      throw new RangeError(`shard count must be >= 1, got ${shard.count}`);
    if (!Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count)
      throw new RangeError(`shard index must be in 0..${shard.count - 1}, got ${shard.index}`);
  }

  owns(deviceId: string): boolean {
    if (this.shard.count === 1) return true;
    let owned = this.cache.get(deviceId);
    if (owned === undefined) {
      owned = ownerOf(deviceId, this.shard.count) === this.shard.index;
      this.cache.set(deviceId, owned);
    }
    return owned;
  }
}

/**
 * The shard of this process. An explicit INGEST_SHARD_INDEX wins; otherwise,
 * with `fromHostname`, the StatefulSet pod ordinal: the number after the last
 * "-" of HOSTNAME ("ingest-2" -> 2). Throws with a message naming the variables.
 */
export function resolveShard(
  opts: { index: number; count: number; fromHostname: boolean },
  env: NodeJS.ProcessEnv,
): Shard {
  let index = opts.index;
  const explicit = env.INGEST_SHARD_INDEX !== undefined && env.INGEST_SHARD_INDEX !== "";
  if (opts.fromHostname && !explicit) {
    const host = env.HOSTNAME ?? "";
    const m = /-(\d+)$/.exec(host);
    if (!m)
      throw new Error(
        `INGEST_SHARD_FROM_HOSTNAME=true but HOSTNAME=${JSON.stringify(host)} does not end in -<ordinal> (a StatefulSet pod name such as ingest-2)`,
      );
    index = Number(m[1]);
  }
  if (index >= opts.count)
    throw new Error(
      `shard index ${index} is out of range for INGEST_SHARD_COUNT=${opts.count} (0..${opts.count - 1})`,
    );
  return { index, count: opts.count };
}
