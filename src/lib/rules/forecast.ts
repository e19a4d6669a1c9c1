/**
 * The forecast: what each rule's schedule will do over a date range, in billing terms. For every rule it
 * walks the schedule from transition to transition, lists the off-hours windows, the Pacific days each
 * window saves (only days wholly inside the window count: FortiFlex bills a Pacific day in full if the
 * entitlement is ACTIVE at any moment of it), the points those days are worth for the entitlements the rule
 * selects, and the windows that save nothing. Totals count every entitlement once, under the combined
 * schedule of all rules selecting it (ACTIVE when any is active), so overlapping rules are not double
 * counted. Advice ({@link adviseRule}) suggests window shifts that would save more.
 */
import type { Entitlement } from '../fortiflex/types';
import { ptDayEnd, ptDayStart, ptDaysSavedByStop, roundPoints } from './billing';
import { adviseRule, type Advice } from './advice';
import { holidaysBetween, type HolidayDay } from './holidays';
import { mergeRates, PLAN_HORIZON_DAYS } from './planner';
import { localDateTime } from './planner-format';
import { compileSchedules, type CompiledSchedule } from './schedule';
import { walk, walkCombined, type StateInterval } from './schedule-walk';
import { buildRuleIndex } from './selectors';
import type { Policy, Rule } from './types';

const DAY_MS = 86_400_000;
/** How far before `from` the walk starts, to find when a window open at `from` began. */
const LOOK_BACK_DAYS = 9;

/** Input of {@link forecast}. */
export interface ForecastInput {
  policy: Policy;
  entitlements: Entitlement[];
  from: Date;
  to: Date;
  /** Points per day per config id; `policy.rates` override these. */
  rates?: Record<number, number>;
  /** Asset folder per serial number, for `folderPath` selectors. */
  folders?: Record<string, string>;
}

/** One off-hours window of a rule. Instants are ISO strings so a forecast prints as JSON unchanged. */
export interface ForecastWindow {
  /** When the schedule goes inactive (may precede the forecast range). */
  start: string;
  /** When it becomes active again; null when not within the horizon after the range. */
  end: string | null;
  /** `Fri 2026-03-06 19:00` in the schedule's zone. */
  startLocal: string;
  endLocal: string | null;
  /** When the stop happens under the rule's `stopTiming` (lastSafeMoment: just before the first saved day). */
  stopAt: string;
  /** Pacific days wholly inside the window and inside the forecast range. */
  ptDays: string[];
  /** Points saved by this window for all the rule's entitlements. */
  points: number;
  /** The window covers no whole Pacific day at all. */
  unprofitable: boolean;
  /** False when `skipUnprofitableStops` keeps the entitlements active through this window. */
  stops: boolean;
}

/** The forecast of one rule, its schedule taken alone. */
export interface RuleForecast {
  rule: string;
  schedule: string;
  timezone: string;
  offHours: 'stop' | 'switchConfig';
  /** Selected entitlements the schedule manages (ACTIVE or STOPPED; PENDING and EXPIRED are never touched). */
  entitlements: number;
  /** Of those, how many other rules select as well (their combined schedule counts in the totals). */
  overlapping: number;
  /** Points per Pacific day the rule's entitlements save while off (rate, or rate difference for switchConfig). */
  pointsPerDay: number;
  /** Config ids of selected entitlements without a known rate (counted as 0). */
  unknownRateConfigIds: number[];
  /** State stretches of the schedule clipped to the range (for pictures). */
  intervals: { start: string; end: string; active: boolean }[];
  /** Holidays of the rule's schedule whose local day overlaps the range (for pictures). */
  holidays: HolidayDay[];
  windows: ForecastWindow[];
  /** Pacific days saved per entitlement over the range (sum over windows). */
  ptDaysSaved: number;
  /** Points saved over the range for all the rule's entitlements. */
  pointsSaved: number;
  /** Windows that cover no whole Pacific day. */
  unprofitableWindows: number;
}

/** The forecast over [from, to). */
export interface Forecast {
  from: string;
  to: string;
  rules: RuleForecast[];
  totals: {
    /** Entitlements managed by at least one rule. */
    entitlements: number;
    /** Entitlement-days saved (each entitlement under its combined schedule). */
    entitlementDaysSaved: number;
    pointsSaved: number;
  };
  advice: Advice[];
  notes: string[];
}

/** Whether a rule's stops happen in a window, and when. */
function stopMoment(rule: Rule, window: OffWindow, allDays: string[]): { stops: boolean; stopAt: Date } {
  if (allDays.length === 0) return { stops: !rule.billing.skipUnprofitableStops, stopAt: window.start };
  if (rule.billing.stopTiming === 'lastSafeMoment') {
    const latest = ptDayStart(allDays[0]!).getTime() - rule.billing.marginMinutes * 60_000;
    return { stops: true, stopAt: new Date(Math.max(window.start.getTime(), latest)) };
  }
  return { stops: true, stopAt: window.start };
}

/**
 * The days the planner claims for a window: starting strictly after the window starts and, for
 * lastSafeMoment, at least the margin after it (that stop comes at the first such day's start minus the
 * margin).
 */
function claimedDays(rule: Rule, window: OffWindow): string[] {
  const leadMs = rule.billing.stopTiming === 'lastSafeMoment' ? rule.billing.marginMinutes * 60_000 : 0;
  return ptDaysSavedByStop(window.start, window.end, leadMs);
}

/** The Pacific days of `days` that lie wholly inside [from, to). */
function daysInRange(days: string[], from: Date, to: Date): string[] {
  return days.filter(
    (day) => ptDayStart(day).getTime() >= from.getTime() && ptDayEnd(day).getTime() <= to.getTime(),
  );
}

/** An off-hours window with its full extent; `open` when it was still running at the end of the walk. */
export interface OffWindow {
  start: Date;
  end: Date;
  open: boolean;
}

/**
 * Off-hours windows of `intervals` that intersect [from, to), with their full extent. The walk must start
 * before `from` and end after `to` so that windows crossing the range edges get their true ends.
 */
export function offWindows(intervals: StateInterval[], from: Date, to: Date): OffWindow[] {
  const walkEnd = intervals[intervals.length - 1]?.end.getTime() ?? to.getTime();
  return intervals
    .filter((i) => !i.active && i.end.getTime() > from.getTime() && i.start.getTime() < to.getTime())
    .map((i) => ({ start: i.start, end: i.end, open: i.end.getTime() >= walkEnd }));
}

function forecastRule(
  rule: Rule,
  schedule: CompiledSchedule,
  holidays: HolidayDay[],
  selected: Entitlement[],
  overlapping: number,
  rates: Map<number, number>,
  from: Date,
  to: Date,
): RuleForecast {
  const zone = schedule.timezone;
  const walkStart = new Date(from.getTime() - LOOK_BACK_DAYS * DAY_MS);
  const walkEnd = new Date(to.getTime() + PLAN_HORIZON_DAYS * DAY_MS);
  const intervals = walk(schedule, walkStart, walkEnd);
  const unknown = new Set<number>();
  const rate = (configId: number): number => {
    const value = rates.get(configId);
    if (value === undefined) unknown.add(configId);
    return value ?? 0;
  };
  const switchTo = typeof rule.offHours === 'object' ? rule.offHours.switchConfig : undefined;
  let pointsPerDay = 0;
  for (const e of selected) {
    pointsPerDay +=
      switchTo === undefined ? rate(e.configId) : Math.max(0, rate(e.configId) - rate(switchTo));
  }
  const windows: ForecastWindow[] = [];
  for (const w of offWindows(intervals, from, to)) {
    const allDays = claimedDays(rule, w);
    const { stops, stopAt } = stopMoment(rule, w, allDays);
    const ptDays = stops ? daysInRange(allDays, from, to) : [];
    windows.push({
      start: w.start.toISOString(),
      end: w.open ? null : w.end.toISOString(),
      startLocal: localDateTime(w.start, zone),
      endLocal: w.open ? null : localDateTime(w.end, zone),
      stopAt: stopAt.toISOString(),
      ptDays,
      points: roundPoints(ptDays.length * pointsPerDay),
      unprofitable: allDays.length === 0,
      stops,
    });
  }
  const ptDaysSaved = windows.reduce((sum, w) => sum + w.ptDays.length, 0);
  return {
    rule: rule.name,
    schedule: rule.schedule,
    timezone: zone,
    offHours: switchTo === undefined ? 'stop' : 'switchConfig',
    entitlements: selected.length,
    overlapping,
    pointsPerDay: roundPoints(pointsPerDay),
    unknownRateConfigIds: [...unknown].sort((a, b) => a - b),
    intervals: intervals
      .filter((i) => i.end.getTime() > from.getTime() && i.start.getTime() < to.getTime())
      .map((i) => ({
        start: new Date(Math.max(i.start.getTime(), from.getTime())).toISOString(),
        end: new Date(Math.min(i.end.getTime(), to.getTime())).toISOString(),
        active: i.active,
      })),
    holidays,
    windows,
    ptDaysSaved,
    pointsSaved: roundPoints(ptDaysSaved * pointsPerDay),
    unprofitableWindows: windows.filter((w) => w.unprofitable).length,
  };
}

/**
 * Forecasts the policy over [from, to): per rule windows, Pacific days and points saved, unprofitable
 * windows; totals; and advice. Pure.
 */
export function forecast(input: ForecastInput): Forecast {
  const { policy, from, to } = input;
  if (!(to.getTime() > from.getTime())) throw new RangeError('forecast: `to` must be after `from`');
  const schedules = compileSchedules(policy);
  const rates = mergeRates(policy, input.rates);
  const notes: string[] = [];
  const index = buildRuleIndex(policy.rules, input.folders !== undefined);
  if (index.folderSelectorsWithoutMap) {
    notes.push(
      'folderPath selectors match nothing: FortiFlex does not report folders and no folder map was given',
    );
  }
  const managed = input.entitlements.filter((e) => e.status === 'ACTIVE' || e.status === 'STOPPED');
  const perRule: Entitlement[][] = policy.rules.map(() => []);
  const overlaps = policy.rules.map(() => 0);
  const combos = new Map<string, { rules: number[]; entitlements: Entitlement[] }>();
  for (const e of managed) {
    const matched = index
      .match(e, { folderPath: input.folders?.[e.serialNumber] })
      .filter((i) => schedules.has(policy.rules[i]!.schedule));
    if (matched.length === 0) continue;
    for (const i of matched) {
      perRule[i]!.push(e);
      if (matched.length > 1) overlaps[i]!++;
    }
    const key = matched.join(',');
    let combo = combos.get(key);
    if (combo === undefined) combos.set(key, (combo = { rules: matched, entitlements: [] }));
    combo.entitlements.push(e);
  }

  const rules: RuleForecast[] = [];
  const advice: Advice[] = [];
  policy.rules.forEach((rule, i) => {
    const schedule = schedules.get(rule.schedule);
    if (schedule === undefined) {
      notes.push(`rule ${rule.name}: schedule "${rule.schedule}" is not defined; rule ignored`);
      return;
    }
    const holidays = holidaysBetween(policy.schedules[rule.schedule]?.holidays, schedule.timezone, from, to);
    const result = forecastRule(rule, schedule, holidays, perRule[i]!, overlaps[i]!, rates, from, to);
    rules.push(result);
    advice.push(...adviseRule(rule, schedule, result, from, to));
    if (result.unknownRateConfigIds.length > 0) {
      notes.push(
        `rule ${rule.name}: no points rate for config ${result.unknownRateConfigIds.join(', ')}; counted as 0`,
      );
    }
  });

  // Totals: each entitlement once, under the combined schedule of every rule selecting it.
  let entitlementDaysSaved = 0;
  let pointsSaved = 0;
  let entitlements = 0;
  const walkStart = new Date(from.getTime() - LOOK_BACK_DAYS * DAY_MS);
  const walkEnd = new Date(to.getTime() + PLAN_HORIZON_DAYS * DAY_MS);
  for (const combo of combos.values()) {
    const ruleList = combo.rules.map((i) => policy.rules[i]!);
    const intervals = walkCombined(
      ruleList.map((r) => schedules.get(r.schedule)!),
      walkStart,
      walkEnd,
    );
    entitlements += combo.entitlements.length;
    for (const w of offWindows(intervals, from, to)) {
      // The rule that reactivates first governs the window (as in the planner).
      const governing = ruleList.reduce((best, r) => {
        const next = schedules.get(r.schedule)!.nextTransition(w.start)?.at.getTime() ?? Infinity;
        const bestNext = schedules.get(best.schedule)!.nextTransition(w.start)?.at.getTime() ?? Infinity;
        return next < bestNext ? r : best;
      }, ruleList[0]!);
      const allDays = claimedDays(governing, w);
      if (stopMoment(governing, w, allDays).stops) {
        const days = daysInRange(allDays, from, to).length;
        const switchTo = typeof governing.offHours === 'object' ? governing.offHours.switchConfig : undefined;
        for (const e of combo.entitlements) {
          const r = rates.get(e.configId) ?? 0;
          const perDay = switchTo === undefined ? r : Math.max(0, r - (rates.get(switchTo) ?? 0));
          entitlementDaysSaved += days;
          pointsSaved += days * perDay;
        }
      }
    }
  }
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    rules,
    totals: { entitlements, entitlementDaysSaved, pointsSaved: roundPoints(pointsSaved) },
    advice,
    notes,
  };
}
