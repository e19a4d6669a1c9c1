/**
 * Time-zone arithmetic on epoch milliseconds, with one fixed meaning for local times that DST makes
 * ambiguous:
 * - a local time inside a spring-forward gap (it does not exist) means the first instant after the gap
 *   (Europe/Berlin 2026-03-29 02:30 → 03:00 CEST);
 * - a local time inside a fall-back overlap (it occurs twice) means its FIRST occurrence
 *   (Europe/Berlin 2026-10-25 02:30 → 02:30 CEST, not CET).
 *
 * Local calendar days are numbered as days since 1970-01-01 ("day numbers") so that day arithmetic never
 * goes through a zone.
 */
import { IANAZone } from 'luxon';

const MINUTE = 60_000;
const DAY = 86_400_000;

const zones = new Map<string, IANAZone>();

function zone(name: string): IANAZone {
  let z = zones.get(name);
  if (!z) {
    z = IANAZone.create(name);
    zones.set(name, z);
  }
  return z;
}

const HOUR = 3_600_000;
/** Per zone: UTC hour index → the offset throughout that hour, or null when a transition falls inside it. */
const hourOffsets = new Map<string, Map<number, number | null>>();

/**
 * Offset of `zoneName` from UTC at instant `ms`, in minutes (Berlin in summer: 120). Looking offsets up in
 * the zone database is slow (Intl formatting), and schedules ask for the same hours again and again, so
 * offsets are cached per UTC hour when they are constant over that hour (zones change offset at most once
 * in any hour); hours holding a transition are always looked up exactly.
 */
export function offsetMinutes(zoneName: string, ms: number): number {
  let cache = hourOffsets.get(zoneName);
  if (!cache) {
    cache = new Map();
    hourOffsets.set(zoneName, cache);
  }
  const hour = Math.floor(ms / HOUR);
  let cached = cache.get(hour);
  if (cached === undefined) {
    const z = zone(zoneName);
    const first = z.offset(hour * HOUR);
    cached = first === z.offset(hour * HOUR + HOUR - 1) ? first : null;
    if (cache.size > 200_000) cache.clear();
    cache.set(hour, cached);
  }
  return cached ?? zone(zoneName).offset(ms);
}

/** Local calendar day number (days since 1970-01-01) of instant `ms` in `zoneName`. */
export function localDayNumber(zoneName: string, ms: number): number {
  return Math.floor((ms + offsetMinutes(zoneName, ms) * MINUTE) / DAY);
}

/** Weekday of a day number, Monday = 0 … Sunday = 6. */
export function weekdayOf(dayNumber: number): number {
  // 1970-01-01 was a Thursday (3 when Monday is 0).
  return (((dayNumber + 3) % 7) + 7) % 7;
}

/** `YYYY-MM-DD` of a day number. */
export function dayNumberToIso(dayNumber: number): string {
  return new Date(dayNumber * DAY).toISOString().slice(0, 10);
}

/** Day number of a `YYYY-MM-DD` string (not validated; see {@link isValidIsoDate}). */
export function isoToDayNumber(iso: string): number {
  return Math.floor(Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY);
}

/** True when `iso` is a real calendar date written `YYYY-MM-DD`. */
export function isValidIsoDate(iso: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) return false;
  return dayNumberToIso(isoToDayNumber(iso)) === iso;
}

/**
 * The instant of local wall-clock time `minuteOfDay` (0…1440, fractions allowed for seconds) on local day
 * `dayNumber` in `zoneName`.
 * Gap → first instant after the gap; overlap → first occurrence (see module comment).
 */
export function localToInstant(zoneName: string, dayNumber: number, minuteOfDay: number): number {
  // Rounded so that a fractional minute (seconds) still yields whole milliseconds.
  const local = dayNumber * DAY + Math.round(minuteOfDay * MINUTE);
  // Offsets in force a day and a half either side cover any single transition near `local`.
  const before = offsetMinutes(zoneName, local - 36 * 3_600_000);
  const after = offsetMinutes(zoneName, local + 36 * 3_600_000);
  const here = offsetMinutes(zoneName, local);
  let best = Number.POSITIVE_INFINITY;
  for (const off of [before, here, after]) {
    const t = local - off * MINUTE;
    if (offsetMinutes(zoneName, t) === off && t < best) best = t;
  }
  if (best !== Number.POSITIVE_INFINITY) return best;
  // In a gap: the answer is the transition instant itself, which lies in
  // (local - offAfter, local - offBefore]. Transitions fall on whole minutes, so search minutes.
  const offBefore = Math.min(before, after);
  const offAfter = Math.max(before, after);
  let lo = Math.floor((local - offAfter * MINUTE) / MINUTE);
  let hi = Math.ceil((local - offBefore * MINUTE) / MINUTE);
  const startOffset = offsetMinutes(zoneName, lo * MINUTE);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetMinutes(zoneName, mid * MINUTE) === startOffset) lo = mid + 1;
    else hi = mid;
  }
  return lo * MINUTE;
}

/** Start instant of local day `dayNumber` (its first 00:00, or the first instant after a midnight gap). */
export function startOfLocalDay(zoneName: string, dayNumber: number): number {
  return localToInstant(zoneName, dayNumber, 0);
}

/**
 * Parses a local date-time `YYYY-MM-DDTHH:mm[:ss]` or a date `YYYY-MM-DD` (= 00:00) in `zoneName`.
 * Returns undefined when the text is not of that form. Seconds are accepted and kept.
 */
export function parseLocalDateTime(zoneName: string, text: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (!m || !isValidIsoDate(m[1]!)) return undefined;
  const hour = m[2] === undefined ? 0 : +m[2];
  const minute = m[3] === undefined ? 0 : +m[3];
  const second = m[4] === undefined ? 0 : +m[4];
  if (hour > 24 || minute > 59 || second > 59 || (hour === 24 && (minute > 0 || second > 0)))
    return undefined;
  // Seconds go through the zone mapping too, so a time inside a gap (02:30:15) still means the end of the gap.
  return localToInstant(zoneName, isoToDayNumber(m[1]!), hour * 60 + minute + second / 60);
}

// ---------------------------------------------------------------------------------------------------
// Zone name validation

const ABBREVIATIONS: Record<string, string[]> = {
  CET: ['Europe/Berlin', 'Europe/Paris', 'Europe/Madrid', 'Europe/Rome'],
  CEST: ['Europe/Berlin', 'Europe/Paris', 'Europe/Madrid', 'Europe/Rome'],
  MET: ['Europe/Berlin', 'Europe/Paris'],
  MEST: ['Europe/Berlin', 'Europe/Paris'],
  MEZ: ['Europe/Berlin'],
  MESZ: ['Europe/Berlin'],
  EET: ['Europe/Athens', 'Europe/Helsinki', 'Europe/Bucharest'],
  EEST: ['Europe/Athens', 'Europe/Helsinki', 'Europe/Bucharest'],
  WET: ['Europe/Lisbon'],
  WEST: ['Europe/Lisbon'],
  GMT: ['Europe/London', 'UTC'],
  BST: ['Europe/London'],
  MSK: ['Europe/Moscow'],
  PST: ['America/Los_Angeles'],
  PDT: ['America/Los_Angeles'],
  PT: ['America/Los_Angeles'],
  PST8PDT: ['America/Los_Angeles'],
  MST: ['America/Denver', 'America/Phoenix'],
  MDT: ['America/Denver'],
  MT: ['America/Denver'],
  MST7MDT: ['America/Denver'],
  CST: ['America/Chicago', 'Asia/Shanghai'],
  CDT: ['America/Chicago'],
  CT: ['America/Chicago'],
  CST6CDT: ['America/Chicago'],
  EST: ['America/New_York', 'America/Toronto'],
  EDT: ['America/New_York', 'America/Toronto'],
  ET: ['America/New_York'],
  EST5EDT: ['America/New_York'],
  AKST: ['America/Anchorage'],
  AKDT: ['America/Anchorage'],
  HST: ['Pacific/Honolulu'],
  AST: ['America/Halifax', 'Asia/Riyadh'],
  ADT: ['America/Halifax'],
  NST: ['America/St_Johns'],
  BRT: ['America/Sao_Paulo'],
  ART: ['America/Argentina/Buenos_Aires'],
  IST: ['Asia/Kolkata', 'Europe/Dublin', 'Asia/Jerusalem'],
  PKT: ['Asia/Karachi'],
  GST: ['Asia/Dubai'],
  ICT: ['Asia/Bangkok'],
  WIB: ['Asia/Jakarta'],
  SGT: ['Asia/Singapore'],
  HKT: ['Asia/Hong_Kong'],
  JST: ['Asia/Tokyo'],
  KST: ['Asia/Seoul'],
  AEST: ['Australia/Sydney', 'Australia/Melbourne', 'Australia/Brisbane'],
  AEDT: ['Australia/Sydney', 'Australia/Melbourne'],
  ACST: ['Australia/Adelaide', 'Australia/Darwin'],
  ACDT: ['Australia/Adelaide'],
  AWST: ['Australia/Perth'],
  NZST: ['Pacific/Auckland'],
  NZDT: ['Pacific/Auckland'],
  SAST: ['Africa/Johannesburg'],
  CAT: ['Africa/Maputo'],
  EAT: ['Africa/Nairobi'],
  WAT: ['Africa/Lagos'],
};

function quoteList(names: string[]): string {
  const [first, ...rest] = names.map((n) => `"${n}"`);
  return rest.length ? `${first} (or ${rest.join(', ')})` : `${first}`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

let knownZones: string[] | undefined;

function closestZone(name: string): string | undefined {
  knownZones ??= [...Intl.supportedValuesOf('timeZone'), 'UTC', 'Asia/Kolkata', 'Europe/Kyiv'];
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(3, Math.floor(name.length / 3)) + 1;
  for (const z of knownZones) {
    const d = editDistance(lower, z.toLowerCase());
    if (d < bestDistance) {
      best = z;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Checks a schedule's zone name. Returns undefined when it is an IANA zone we accept, else the problem and
 * the accepted form (`…; expected e.g. "Europe/Berlin"`). `UTC` and `Etc/UTC` are accepted; abbreviations
 * (CET, PST, IST …) and fixed offsets (`+01:00`, `UTC+1`, `Etc/GMT-1`) are rejected because they either
 * ignore daylight saving or are ambiguous.
 */
export function checkTimeZone(name: string): string | undefined {
  if (name === 'UTC' || name === 'Etc/UTC') return undefined;
  const abbreviation = ABBREVIATIONS[name.trim().toUpperCase()];
  if (abbreviation) {
    return `time zone abbreviation, not an IANA zone; expected the zone of the place, e.g. ${quoteList(abbreviation)}`;
  }
  if (
    /^(?:(?:UTC|GMT|Z)\s*)?[+\-\u2212]\s*\d{1,2}(?::?\d{2})?$/i.test(name.trim()) ||
    /^Etc\/GMT[+-]\d+$/i.test(name)
  ) {
    return 'fixed UTC offset, which ignores daylight saving; expected the IANA zone of the place, e.g. "Europe/Berlin"';
  }
  if (IANAZone.isValidZone(name)) {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    if (resolved.toLowerCase() === name.toLowerCase() && resolved !== name) {
      return `zone names are case-sensitive; expected "${resolved}"`;
    }
    return undefined;
  }
  const guess = closestZone(name);
  return `unknown time zone; expected an IANA name such as ${guess ? `"${guess}"` : '"Europe/Berlin"'}`;
}
