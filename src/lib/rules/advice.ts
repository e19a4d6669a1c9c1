/**
 * Advice: window changes that would save more Pacific days. For every off-hours window of a rule in the
 * forecast range, try reactivating 1…3 whole hours later and stopping 1…3 whole hours earlier (never
 * swallowing the business hours next to it), group the gains by weekday and wall-clock times over the range,
 * and keep for each moved edge the shifts that gain more than any smaller shift (so a week where the US and
 * Europe are on different clock times shows up as "08:00 saves 0.75 a week, 09:00 saves 1"). Everything is derived from the schedule and the billing
 * days; nothing about particular zones is assumed.
 */
import { DateTime } from 'luxon';
import { ptDaysWhollyInside, roundPoints } from './billing';
import type { RuleForecast } from './forecast';
import { daysText } from './planner-format';
import type { CompiledSchedule } from './schedule';
import { walk } from './schedule-walk';
import type { Rule } from './types';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
/** Largest shift tried, in hours. */
export const MAX_SHIFT_HOURS = 3;

/** One suggestion. */
export interface Advice {
  rule: string;
  kind: 'reactivateLater' | 'stopEarlier';
  /** Local weekday of the moved edge, e.g. `Monday`. */
  weekday: string;
  /** Current local time of the edge, `HH:mm`. */
  current: string;
  /** Suggested local time, `HH:mm`. */
  suggested: string;
  timezone: string;
  shiftHours: number;
  /** Extra Pacific days saved per week (per entitlement), averaged over the forecast range. */
  extraPtDaysPerWeek: number;
  /** Extra points per week for all the rule's entitlements. */
  extraPointsPerWeek: number;
  /** How many windows in the range the change applies to. */
  occurrences: number;
  message: string;
}

function formatCount(value: number): string {
  return String(roundPoints(value));
}

/**
 * Suggests window shifts for one rule over [from, to). `forecast` supplies the rule's points per day.
 */
export function adviseRule(
  rule: Rule,
  schedule: CompiledSchedule,
  forecast: Pick<RuleForecast, 'pointsPerDay'>,
  from: Date,
  to: Date,
): Advice[] {
  const zone = schedule.timezone;
  // Walk a little beyond the range so the business hours either side of each window are known.
  const intervals = walk(
    schedule,
    new Date(from.getTime() - 9 * DAY_MS),
    new Date(to.getTime() + 9 * DAY_MS),
  );
  const groups = new Map<
    string,
    Omit<Advice, 'extraPtDaysPerWeek' | 'extraPointsPerWeek' | 'message'> & { gain: number }
  >();
  const add = (kind: Advice['kind'], edge: Date, shifted: Date, hours: number, gain: number): void => {
    const before = DateTime.fromJSDate(edge, { zone });
    const after = DateTime.fromJSDate(shifted, { zone });
    const key = `${kind}|${before.toFormat('cccc HH:mm')}|${after.toFormat('HH:mm')}`;
    const group = groups.get(key);
    if (group !== undefined) {
      group.gain += gain;
      group.occurrences++;
      return;
    }
    groups.set(key, {
      rule: rule.name,
      kind,
      weekday: before.toFormat('cccc'),
      current: before.toFormat('HH:mm'),
      suggested: after.toFormat('HH:mm'),
      timezone: zone,
      shiftHours: hours,
      occurrences: 1,
      gain,
    });
  };

  for (let i = 1; i + 1 < intervals.length; i++) {
    const window = intervals[i]!;
    if (window.active) continue;
    const previousActive = intervals[i - 1]!;
    const nextActive = intervals[i + 1]!;
    // Unprofitable windows kept active by skipUnprofitableStops save nothing today: their baseline is 0.
    const base = ptDaysWhollyInside(window.start, window.end).length;
    if (window.end.getTime() >= from.getTime() && window.end.getTime() < to.getTime()) {
      for (let h = 1; h <= MAX_SHIFT_HOURS; h++) {
        const shifted = new Date(window.end.getTime() + h * HOUR_MS);
        if (shifted.getTime() >= nextActive.end.getTime()) break;
        const gain = ptDaysWhollyInside(window.start, shifted).length - base;
        if (gain > 0) add('reactivateLater', window.end, shifted, h, gain);
      }
    }
    if (window.start.getTime() >= from.getTime() && window.start.getTime() < to.getTime()) {
      for (let h = 1; h <= MAX_SHIFT_HOURS; h++) {
        const shifted = new Date(window.start.getTime() - h * HOUR_MS);
        if (shifted.getTime() <= previousActive.start.getTime()) break;
        const gain = ptDaysWhollyInside(shifted, window.end).length - base;
        if (gain > 0) add('stopEarlier', window.start, shifted, h, gain);
      }
    }
  }

  const weeks = Math.max(1, (to.getTime() - from.getTime()) / (7 * DAY_MS));
  // Per moved edge keep only the shifts that gain more than every smaller shift of the same edge: a bigger
  // shift that gains the same is just worse for the users.
  const best = new Map<string, number>();
  const kept = [...groups.values()]
    .sort((a, b) => a.shiftHours - b.shiftHours)
    .filter((group) => {
      const edge = `${group.kind}|${group.weekday}|${group.current}`;
      if (group.gain <= (best.get(edge) ?? 0)) return false;
      best.set(edge, group.gain);
      return true;
    });
  return kept
    .map(({ gain, ...group }) => {
      const perWeek = roundPoints(gain / weeks);
      const verb = group.kind === 'reactivateLater' ? 'reactivating' : 'stopping';
      const message =
        `${verb} at ${group.suggested} instead of ${group.current} ${group.timezone} on ${group.weekday} ` +
        `saves ${formatCount(perWeek)} more ${daysText(perWeek).replace(/^\S+ /, '')} a week` +
        (forecast.pointsPerDay > 0
          ? ` (${formatCount(roundPoints(perWeek * forecast.pointsPerDay))} points)`
          : '');
      return {
        ...group,
        extraPtDaysPerWeek: perWeek,
        extraPointsPerWeek: roundPoints(perWeek * forecast.pointsPerDay),
        message,
      };
    })
    .sort(
      (a, b) =>
        a.kind.localeCompare(b.kind) ||
        WEEKDAYS.indexOf(a.weekday) - WEEKDAYS.indexOf(b.weekday) ||
        a.current.localeCompare(b.current) ||
        a.shiftHours - b.shiftHours,
    );
}
