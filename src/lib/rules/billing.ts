/**
 * FortiFlex billing days: points are charged per Pacific-time (America/Los_Angeles) calendar day, and only a
 * PT day spent entirely STOPPED is free. PT days are 23 hours long on the spring-forward day and 25 on the
 * fall-back day; everything here works on real instants, never on a fixed offset.
 */
import { dayNumberToIso, isoToDayNumber, isValidIsoDate, localDayNumber, startOfLocalDay } from './time';

/** The zone FortiFlex bills in. */
export const BILLING_ZONE = 'America/Los_Angeles';

/** The PT day (`YYYY-MM-DD`) that instant `at` belongs to. */
export function ptDay(at: Date): string {
  return dayNumberToIso(localDayNumber(BILLING_ZONE, at.getTime()));
}

/** Start (PT midnight) of PT day `day` (`YYYY-MM-DD`). Throws on a malformed date. */
export function ptDayStart(day: string): Date {
  if (!isValidIsoDate(day)) throw new Error(`ptDayStart: "${day}" — expected a date YYYY-MM-DD`);
  return new Date(startOfLocalDay(BILLING_ZONE, isoToDayNumber(day)));
}

/** End of PT day `day`, i.e. the start of the next one (exclusive). */
export function ptDayEnd(day: string): Date {
  if (!isValidIsoDate(day)) throw new Error(`ptDayEnd: "${day}" — expected a date YYYY-MM-DD`);
  return new Date(startOfLocalDay(BILLING_ZONE, isoToDayNumber(day) + 1));
}

/** The first PT midnight strictly after `after`. */
export function nextPtMidnight(after: Date): Date {
  const ms = after.getTime();
  let day = localDayNumber(BILLING_ZONE, ms) + 1;
  let midnight = startOfLocalDay(BILLING_ZONE, day);
  while (midnight <= ms) midnight = startOfLocalDay(BILLING_ZONE, ++day);
  return new Date(midnight);
}

/**
 * The PT days d with [start(d), end(d)) ⊆ [from, to): the days a stop at `from` followed by a reactivation
 * at `to` does not pay for. Empty when `to` ≤ `from`.
 */
export function ptDaysWhollyInside(from: Date, to: Date): string[] {
  const fromMs = from.getTime();
  const toMs = to.getTime();
  const days: string[] = [];
  if (!(toMs > fromMs)) return days;
  let day = localDayNumber(BILLING_ZONE, fromMs);
  if (startOfLocalDay(BILLING_ZONE, day) < fromMs) day++;
  for (;;) {
    if (startOfLocalDay(BILLING_ZONE, day + 1) > toMs) return days;
    days.push(dayNumberToIso(day));
    day++;
  }
}

/**
 * The PT days a stop made at `at` saves when the entitlement comes back at `until`: the days wholly inside
 * the window whose start lies strictly after the stop, and at least `leadMs` after it. FortiFlex charges a
 * day on which the entitlement was ACTIVE at the day's first instant, so a stop at (or after) a midnight
 * never saves that day; a stop at 23:59:00 saves the next one.
 */
export function ptDaysSavedByStop(at: Date, until: Date, leadMs = 0): string[] {
  return ptDaysWhollyInside(new Date(at.getTime() + Math.max(1, leadMs)), until);
}

/** Points a set of saved PT days is worth at `pointsPerDay` (rounded to 2 decimals, as FortiFlex shows). */
export function pointsForDays(days: number, pointsPerDay: number): number {
  return roundPoints(days * pointsPerDay);
}

/** Rounds points to 2 decimals, as FortiFlex shows them, so sums of fractional rates print cleanly. */
export function roundPoints(points: number): number {
  return Math.round(points * 100) / 100;
}
