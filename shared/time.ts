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
