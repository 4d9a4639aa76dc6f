// STATS_WINDOW's format: a sample count or a duration.
import { z } from "zod";

export type WindowSpec = { kind: "count"; size: number } | { kind: "duration"; us: number };

/** "60" = the last 60 samples; "15m", "1h", "90s", "1d" = that much time. */
export function parseWindowSpec(text: string): WindowSpec | null {
  const count = /^\d+$/.exec(text.trim());
  if (count) {
    const size = Number(text);
    return size >= 2 && size <= 100_000 ? { kind: "count", size } : null;
  }
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as "s" | "m" | "h" | "d"];
  const seconds = Number(m[1]) * unit;
  return seconds >= 1 && seconds <= 30 * 86_400 ? { kind: "duration", us: seconds * 1e6 } : null;
}

export const windowSpec = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const spec = parseWindowSpec(text);
    if (spec === null) {
      ctx.addIssue({ code: "custom", message: 'expected a sample count ("60") or a duration ("15m", "1h")' });
      return z.NEVER;
    }
    return spec;
  });
