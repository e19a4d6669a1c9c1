/**
 * Pacific-time helpers. FortiFlex bills per America/Los_Angeles calendar day and returns timestamps as ISO
 * 8601 without an offset, which the simulator treats as Pacific local time.
 */
import { DateTime } from 'luxon';
import { BILLING_ZONE as PT } from '../lib/rules/billing';

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

// Zone math is the cost of day arithmetic, and instants repeat: cache per day string and per UTC hour
// (Pacific offsets change only on whole UTC hours, so every instant of an hour lies on the same PT day).
const dayStarts = new Map<string, number>();
const dayNumbersByHour = new Map<number, number>();
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/** Formats an instant as the API does: Pacific local time, milliseconds, no offset. */
export function formatPt(ms: number): string {
  return DateTime.fromMillis(ms, { zone: PT }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS");
}

/** The Pacific calendar day (`YYYY-MM-DD`) containing the instant. */
export function ptDay(ms: number): string {
  return DateTime.fromMillis(ms, { zone: PT }).toFormat('yyyy-MM-dd');
}

/** The instant at which Pacific day `day` (`YYYY-MM-DD`) starts. */
export function ptDayStart(day: string): number {
  let start = dayStarts.get(day);
  if (start === undefined) {
    start = DateTime.fromISO(day, { zone: PT }).startOf('day').toMillis();
    dayStarts.set(day, start);
  }
  return start;
}

/** A calendar day (`YYYY-MM-DD`) as a day number: days since 1970-01-01 (consecutive days differ by 1). */
export function dayNumberOf(day: string): number {
  return (
    Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) / MS_PER_DAY
  );
}

/** The day number ({@link dayNumberOf}) of the Pacific calendar day containing the instant. */
export function ptDayNumber(ms: number): number {
  const hour = Math.floor(ms / MS_PER_HOUR);
  let day = dayNumbersByHour.get(hour);
  if (day === undefined) {
    const local = DateTime.fromMillis(hour * MS_PER_HOUR, { zone: PT });
    day = Date.UTC(local.year, local.month - 1, local.day) / MS_PER_DAY;
    dayNumbersByHour.set(hour, day);
  }
  return day;
}

/**
 * Parses an instant. Strings with an offset (`Z`, `+02:00`) mean that instant; strings without one are
 * Pacific local time, like the API's own timestamps. Throws a one-line error naming `field`.
 */
export function parseInstant(value: string | Date, field: string): number {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw new Error(`${field}: invalid date; expected an ISO 8601 instant`);
    return value.getTime();
  }
  const text = String(value).trim();
  let parsed = DateTime.fromISO(text, { zone: PT });
  if (!parsed.isValid) parsed = DateTime.fromSQL(text, { zone: PT });
  if (!parsed.isValid) {
    throw new Error(
      `${field}: "${text}" is not a valid date; expected ISO 8601 such as 2026-03-02T08:00:00-08:00`,
    );
  }
  return parsed.toMillis();
}

/** Parses a strict `YYYY-MM-DD` day, or throws a one-line error naming `field`. */
export function parseDay(value: unknown, field: string): string {
  if (typeof value !== 'string' || !DAY_RE.test(value) || !DateTime.fromISO(value).isValid) {
    throw new Error(`${field}: expected a date as YYYY-MM-DD`);
  }
  return value;
}

/**
 * Parses an `endDate` input in any of the forms the API accepts (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`,
 * `YYYY-MM-DDThh:mm:ss`). Returns the Pacific day, or `null` for null/omitted/"" ("follow the program").
 */
export function parseEndDateInput(value: unknown, field = 'endDate'): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new Error(`${field}: expected a date string such as 2026-12-31`);
  const text = value.trim();
  let parsed = DateTime.fromISO(text, { zone: PT });
  if (!parsed.isValid) parsed = DateTime.fromSQL(text, { zone: PT });
  if (!parsed.isValid) {
    throw new Error(`${field}: "${text}" is not a valid date; expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ss`);
  }
  return parsed.toFormat('yyyy-MM-dd');
}

/** The API's representation of an end date: midnight of that Pacific day. */
export function formatEndDate(day: string): string {
  return `${day}T00:00:00`;
}

/** The Pacific day of an API timestamp (`2027-05-31T00:00:00` → `2027-05-31`). */
export function dayOfTimestamp(timestamp: string): string {
  return timestamp.slice(0, 10);
}
