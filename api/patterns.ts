// The exact text the API accepts for times and durations, as regular
// expressions. Each one is both the first validation step (zod .regex()) and
// the `pattern` of its parameter in /openapi.json, so a client generated from
// the document never sends a value that is refused on its own; only the rules
// that tie parameters together (start before stop, the range cap, the point
// cap) remain for the descriptions.
//
// To make that possible the grammar carries the limits itself:
// - durations name each unit at most once, largest first ("1h30m", never
//   "30m1h" or "1h1h"), counts have no leading zero and a bounded number of
//   digits, so every duration is below 50 years: a relative time ("-...")
//   always lands after 1970 and no window overflows InfluxDB's nanoseconds;
// - a minimum (1s for `every`, 1m for `silent_after`) is written into the
//   pattern: a unit at least that large, or a count of a smaller unit that
//   reaches it on its own ("60s");
// - RFC 3339 times are calendar dates (no February 30, February 29 only in
//   leap years) with years 1970..2261, so any offset keeps the instant within
//   what InfluxDB stores.
// Only ASCII classes ([0-9], not \d): the patterns read the same in ECMA 262,
// Python and every generator.

/** Units largest first, with the most digits a count may have. */
const UNITS = [
  { unit: "w", ms: 604_800_000, digits: 3 },
  { unit: "d", ms: 86_400_000, digits: 4 },
  { unit: "h", ms: 3_600_000, digits: 4 },
  { unit: "m", ms: 60_000, digits: 6 },
  { unit: "s", ms: 1000, digits: 7 },
  { unit: "ms", ms: 1, digits: 9 },
] as const;

/** The largest duration the grammar can write (999w9999d9999h999999m9999999s999999999ms, ~49.9 years). */
export const MAX_DURATION_MS = UNITS.reduce((sum, u) => sum + (10 ** u.digits - 1) * u.ms, 0);

/** A count of 1 to `digits` digits without a leading zero. */
function anyCount(digits: number): string {
  return digits === 1 ? "[1-9]" : `[1-9][0-9]{0,${digits - 1}}`;
}

/** A count >= n (n a digit followed by zeros, e.g. 60 or 1000), of at most `digits` digits. */
export function countAtLeast(n: number, digits: number): string {
  const text = String(n);
  if (!/^[1-9]0*$/.test(text)) throw new Error(`countAtLeast: ${n} is not a digit followed by zeros`);
  const zeros = text.length - 1;
  if (text.length > digits) throw new Error(`countAtLeast: ${n} has more than ${digits} digits`);
  const sameLength = `[${text[0]}-9]${zeros > 0 ? `[0-9]{${zeros}}` : ""}`;
  const longer =
    text.length < digits
      ? `|[1-9][0-9]${text.length === digits - 1 ? `{${text.length}}` : `{${text.length},${digits - 1}}`}`
      : "";
  return `(?:${sameLength}${longer})`;
}

/**
 * Durations of at least `minMs` (a unit size, or a digit followed by zeros
 * times one): one alternative per unit that may come first, that unit's count
 * large enough on its own, then any smaller units.
 */
export function durationSource(minMs: number): string {
  const alternatives: string[] = [];
  UNITS.forEach((first, i) => {
    const need = Math.ceil(minMs / first.ms);
    if (String(need).length > first.digits) return;
    const count = need <= 1 ? anyCount(first.digits) : countAtLeast(need, first.digits);
    const rest = UNITS.slice(i + 1)
      .map((u) => `(?:${anyCount(u.digits)}${u.unit})?`)
      .join("");
    alternatives.push(`${count}${first.unit}${rest}`);
  });
  return `(?:${alternatives.join("|")})`;
}

const anchored = (source: string) => new RegExp(`^${source}$`);

const YEAR = "(?:19[7-9][0-9]|2[01][0-9]{2}|22[0-5][0-9]|226[01])";
/** Leap years of 1970..2261: multiples of 4, but not 2100 or 2200. */
const LEAP_YEAR =
  "(?:19(?:7[26]|8[048]|9[26])|20(?:[02468][048]|[13579][26])|21(?:0[48]|[2468][048]|[13579][26])|22(?:0[48]|1[26]|2[048]|3[26]|4[048]|5[26]|60))";
const MONTH_DAY =
  "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))";
const CLOCK = "[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?";
const ZONE = "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])";
const RFC3339_SOURCE = `(?:${YEAR}-${MONTH_DAY}|${LEAP_YEAR}-02-29)${CLOCK}${ZONE}`;

/** start/stop: now, now(), a negative duration, or an RFC 3339 time. */
export const TIME_PATTERN = anyOf(["now", "now\\(\\)", `-${durationSource(1)}`, RFC3339_SOURCE]);
/** aggregateWindow's every: at least 1s. */
export const EVERY_PATTERN = anchored(durationSource(1000));
/** summary's silent_after: at least 1m. */
export const SILENT_AFTER_PATTERN = anchored(durationSource(60_000));
/** anomalies' limit: 1..1000, without a leading zero. */
export const LIMIT_PATTERN = /^(?:[1-9][0-9]{0,2}|1000)$/;

function anyOf(sources: string[]): RegExp {
  return anchored(`(?:${sources.join("|")})`);
}

/** Longest text each pattern accepts (maxLength in the document). */
export const TIME_MAX_LENGTH = 64;
export const DURATION_MAX_LENGTH = 48;

export const DURATION_GRAMMAR_HELP =
  "units w, d, h, m, s, ms, largest first and each at most once, counts without leading zeros (at most 3 digits for w, 4 for d and h, 6 for m, 7 for s, 9 for ms)";
