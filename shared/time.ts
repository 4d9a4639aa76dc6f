// Calendar helpers shared by every part that reads timestamps.

/**
 * Milliseconds since the epoch of UTC calendar fields (month 1..12), or null
 * for an impossible date or time: Date would roll Feb 30 over to Mar 2, so the
 * result must round-trip. Years 0..99 stay themselves (Date.UTC maps them to 19xx).
 */
export function utcMsOf(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | null {
  if (hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const ms = date.getTime();
  if (
    Number.isNaN(ms) ||
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    return null;
  }
  return ms;
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
export const HOUR_MS = UNIT_MS.h;
const DURATION = /^(\d{1,9}(ms|s|m|h|d|w))+$/;
const DURATION_PART = /(\d{1,9})(ms|s|m|h|d|w)/g;

/** Milliseconds of a positive duration such as "1h30m"; undefined when the text is not one. */
export function parseDurationMs(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(DURATION_PART)) total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return Number.isSafeInteger(total) ? total : undefined;
}
