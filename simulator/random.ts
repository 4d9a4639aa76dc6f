// Seeded hashing and a small PRNG. Every "random" choice of the simulator
// derives from these, so a seed reproduces it; realistic values are hashes of
// (seed, device, minute) rather than stored state, so memory never grows.

import { mix32 } from "../shared/hash.js";

/** Hash of non-negative integers (each may exceed 32 bits) to a uint32. */
export function hash32(...parts: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = mix32(((h ^ lo) + 0x9e3779b9) | 0);
    h = mix32(((h ^ hi) + 0x7f4a7c15) | 0);
  }
  return h;
}

/** Uniform in [0, 1) from a uint32. */
export function unit(h: number): number {
  return h / 4294967296;
}

/** Uniform in [0, 1) derived from the parts: `unit(hash32(...))`. */
export function hashUnit(...parts: readonly number[]): number {
  return unit(hash32(...parts));
}

export type Rng = () => number;

/** mulberry32: a tiny seeded generator, uniform in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer uniform in [min, max], like Python's random.randint. */
export function randInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** Float with 2 decimals in [min, max], like Python's round(random.uniform(min, max), 2). */
export function randFloat2(rng: Rng, min: number, max: number): number {
  return round2(min + rng() * (max - min));
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
