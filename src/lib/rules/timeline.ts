/**
 * What a timeline picture of a rule shows, as data: the bands (business hours, holidays, Pacific days saved,
 * stopped but still charged, off-hours kept active) and the planned stop and reactivation markers over a
 * range, computed from the rule's forecast. The SVG week picture and the status dashboard both draw these,
 * so they cannot disagree; the status answer carries them as JSON. Pure.
 */
import { BILLING_ZONE, ptDayEnd, ptDaysSavedByStop, ptDayStart, roundPoints } from './billing';
import type { RuleForecast } from './forecast';
import { localDateTime } from './planner-format';
import { dayNumberToIso, localDayNumber, localToInstant, startOfLocalDay } from './time';

/**
 * Kinds of band: `business` (the schedule is active), `holiday` (a holiday of the schedule, whole local day),
 * `saved` (a Pacific day the stop saves), `charged` (stopped, or switched, during a Pacific day that is paid
 * anyway), `unprofitable` (off-hours but kept ACTIVE: the stop would save no whole Pacific day).
 */
export type TimelineBandKind = 'business' | 'holiday' | 'saved' | 'charged' | 'unprofitable';

/** A stretch of a timeline, as ISO instants clipped to the timeline's range. */
export interface TimelineBand {
  kind: TimelineBandKind;
  start: string;
  end: string;
  /** What the band means, for tooltips and screen readers. */
  label: string;
  /** The Pacific day of a `saved` band. */
  ptDay?: string;
}

/** Kinds of marker: a planned stop (▼) or reactivation (▲). */
export type TimelineMarkerKind = 'stop' | 'reactivate';

/** A planned action at an instant inside the range. */
export interface TimelineMarker {
  kind: TimelineMarkerKind;
  at: string;
  label: string;
}

/** One rule's timeline over a range. */
export interface RuleTimeline {
  rule: string;
  timezone: string;
  bands: TimelineBand[];
  markers: TimelineMarker[];
  /** Pacific days saved per entitlement whose start lies in the range. */
  ptDaysSaved: number;
  /** Points those days are worth for all the rule's entitlements. */
  pointsSaved: number;
}

/** A Pacific day with its instants. */
export interface PtDaySpan {
  day: string;
  start: number;
  end: number;
}

/** The Pacific days overlapping [from, to), with their start and end instants (ms). */
export function ptDaysIn(from: number, to: number): PtDaySpan[] {
  const out: PtDaySpan[] = [];
  for (let day = localDayNumber(BILLING_ZONE, from); ; day++) {
    const start = startOfLocalDay(BILLING_ZONE, day);
    if (start >= to) break;
    const end = startOfLocalDay(BILLING_ZONE, day + 1);
    if (end > from) out.push({ day: dayNumberToIso(day), start, end });
  }
  return out;
}

/** The saved Pacific days of a rule whose start lies inside [from, to). */
export function savedDaysInWeek(rule: RuleForecast, from: Date, to: Date): string[] {
  const days = new Set<string>();
  for (const window of rule.windows) {
    for (const day of window.ptDays) {
      const start = ptDayStart(day).getTime();
      if (start >= from.getTime() && start < to.getTime()) days.add(day);
    }
  }
  return [...days].sort();
}

function band(
  kind: TimelineBandKind,
  start: number,
  end: number,
  range: { from: number; to: number },
  label: string,
  ptDay?: string,
): TimelineBand | undefined {
  const s = Math.max(start, range.from);
  const e = Math.min(end, range.to);
  if (!(e > s)) return undefined;
  return {
    kind,
    start: new Date(s).toISOString(),
    end: new Date(e).toISOString(),
    label,
    ...(ptDay !== undefined && { ptDay }),
  };
}

/** [start, end) minus the given sorted, disjoint intervals. */
function subtract(start: number, end: number, holes: { start: number; end: number }[]): [number, number][] {
  const out: [number, number][] = [];
  let cursor = start;
  for (const hole of holes) {
    if (hole.end <= cursor || hole.start >= end) continue;
    if (hole.start > cursor) out.push([cursor, hole.start]);
    cursor = Math.max(cursor, hole.end);
  }
  if (cursor < end) out.push([cursor, end]);
  return out;
}

/**
 * The timeline of `rule` over [from, to). The forecast must cover the range (it may cover more). Saved days
 * are the whole Pacific days after each planned stop, as the forecast counts them; a day only partly inside
 * the range is drawn clipped.
 */
export function ruleTimeline(rule: RuleForecast, from: Date, to: Date): RuleTimeline {
  const range = { from: from.getTime(), to: to.getTime() };
  const zone = rule.timezone;
  const bands: (TimelineBand | undefined)[] = [];
  const markers: TimelineMarker[] = [];
  for (const interval of rule.intervals) {
    if (!interval.active) continue;
    const start = Date.parse(interval.start);
    const end = Date.parse(interval.end);
    bands.push(
      band(
        'business',
        start,
        end,
        range,
        `business hours ${localDateTime(new Date(start), zone)} – ${localDateTime(new Date(end), zone)} ${zone}`,
      ),
    );
  }
  for (const holiday of rule.holidays) {
    bands.push(
      band(
        'holiday',
        Date.parse(holiday.start),
        Date.parse(holiday.end),
        range,
        `holiday ${holiday.date} (${zone})`,
      ),
    );
  }
  const switched = rule.offHours === 'switchConfig';
  for (const window of rule.windows) {
    const start = Date.parse(window.start);
    const end = window.end === null ? Infinity : Date.parse(window.end);
    if (!window.stops) {
      bands.push(
        band(
          'unprofitable',
          start,
          end,
          range,
          `off-hours ${window.startLocal} – ${window.endLocal ?? '…'} ${zone}: kept active, no whole Pacific day`,
        ),
      );
      continue;
    }
    const stopAt = Date.parse(window.stopAt);
    const stoppedUntil = Math.min(end, range.to);
    const saved = ptDaysSavedByStop(new Date(stopAt), new Date(stoppedUntil)).map((day) => ({
      day,
      start: ptDayStart(day).getTime(),
      end: ptDayEnd(day).getTime(),
    }));
    for (const day of saved)
      bands.push(band('saved', day.start, day.end, range, `${day.day} PT saved`, day.day));
    for (const [s, e] of subtract(stopAt, stoppedUntil, saved)) {
      bands.push(
        band(
          'charged',
          s,
          e,
          range,
          `${switched ? 'switched' : 'stopped'} ${localDateTime(new Date(s), zone)} – ${localDateTime(new Date(e), zone)} ${zone}, Pacific day still charged`,
        ),
      );
    }
    if (stopAt >= range.from && stopAt < range.to) {
      markers.push({
        kind: 'stop',
        at: window.stopAt,
        label: `${switched ? 'switch' : 'stop'} ${localDateTime(new Date(stopAt), zone)} ${zone}`,
      });
    }
    if (window.end !== null && end >= range.from && end < range.to) {
      markers.push({
        kind: 'reactivate',
        at: window.end,
        label: `${switched ? 'switch back' : 'reactivate'} ${window.endLocal ?? ''} ${zone}`,
      });
    }
  }
  const ptDaysSaved = savedDaysInWeek(rule, from, to).length;
  return {
    rule: rule.rule,
    timezone: zone,
    bands: bands.filter((b): b is TimelineBand => b !== undefined),
    markers,
    ptDaysSaved,
    pointsSaved: roundPoints(ptDaysSaved * rule.pointsPerDay),
  };
}

/** Hour ticks (PT wall clock) strictly inside (from, to) every `stepHours` hours, midnights excluded. */
export function ptHourTicks(from: number, to: number, stepHours: number): { at: number; label: string }[] {
  const ticks: { at: number; label: string }[] = [];
  for (let day = localDayNumber(BILLING_ZONE, from); startOfLocalDay(BILLING_ZONE, day) < to; day++) {
    for (let hour = stepHours; hour < 24; hour += stepHours) {
      // Wall-clock hours: on the 23- and 25-hour days they are not evenly spaced.
      const at = localToInstant(BILLING_ZONE, day, hour * 60);
      if (at > from && at < to) ticks.push({ at, label: String(hour).padStart(2, '0') });
    }
  }
  return ticks;
}
