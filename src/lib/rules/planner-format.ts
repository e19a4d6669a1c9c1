/**
 * Wording shared by the planner, forecast and advice: instants as local wall-clock times in the schedule's
 * zone (that is what users configured), Pacific billing days by weekday and date.
 */
import { DateTime } from 'luxon';
import { BILLING_ZONE } from './billing';

/** `Fri 19:00` in `zone`. */
export function localTime(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat('ccc HH:mm');
}

/** `09:00` in `zone`. */
export function clockTime(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat('HH:mm');
}

/** `Fri 2026-03-06 19:00` in `zone`. */
export function localDateTime(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toFormat('ccc yyyy-MM-dd HH:mm');
}

/** `Mon 19:00–Tue 07:00 Europe/Berlin`; an open end reads `…(no reactivation within N days)`. */
export function windowText(
  from: Date | undefined,
  to: Date | null,
  zone: string,
  horizonDays: number,
): string {
  const start = from === undefined ? 'earlier' : localTime(from, zone);
  const end = to === null ? `(no reactivation within ${horizonDays} days)` : localTime(to, zone);
  return `${start}–${end} ${zone}`;
}

/** `Sat 2026-03-07` for the Pacific day `2026-03-07`. */
export function ptDayLabel(day: string): string {
  return `${DateTime.fromISO(day, { zone: BILLING_ZONE }).toFormat('ccc')} ${day}`;
}

/** `1 Pacific day` / `2 Pacific days`. */
export function daysText(count: number): string {
  return `${count} Pacific day${count === 1 ? '' : 's'}`;
}
