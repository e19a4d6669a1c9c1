/**
 * Compiled schedules: is a schedule active at an instant, and when does it next change.
 *
 * Semantics (pinned by tests):
 * - Spans are local wall-clock time in the schedule's zone, half-open [start, end) (grammar: `spans.ts`).
 *   A span end that lands where a span starts joins them (no transition).
 * - DST: a local start/end time that does not exist (spring-forward gap) is the first instant after the gap
 *   (02:30 → 03:00); one that occurs twice (fall-back) is its first occurrence (`time.ts`). So on a
 *   spring-forward night "22:00-06:00" lasts 7 real hours, on a fall-back night 9.
 * - A holiday makes its whole local calendar day inactive, including the after-midnight part of an
 *   overnight span that started the day before; the day before keeps its own hours.
 * - Exceptions override spans and holidays; where several cover an instant, the last listed wins. An
 *   exception stops applying at its `expires` instant (compared to the instant being evaluated), so it acts
 *   as if it ended at min(to, expires).
 *
 * Work is done per local day, lazily, and cached: each day is turned into instants once; queries after that
 * are a lookup, and repeated queries inside the same constant stretch are answered from a one-entry memo.
 * `nextTransition` steps from edge to edge (span edges, holiday midnights, exception edges), never by minutes.
 */
import { holidayPredicate } from './holidays';
import { parseSpan, weekdayIntervals, type WeeklySpan } from './spans';
import {
  dayNumberToIso,
  localDayNumber,
  localToInstant,
  parseLocalDateTime,
  startOfLocalDay,
  weekdayOf,
} from './time';
import type { Policy, ScheduleDef } from './types';

/** A schedule ready for queries. */
export interface CompiledSchedule {
  name: string;
  timezone: string;
  /** True when entitlements under this schedule must be ACTIVE at `at`. */
  isActive(at: Date): boolean;
  /**
   * The first instant strictly after `after` at which `isActive` changes, with the new state; null when it
   * does not change within `horizonDays` (default 400) days.
   */
  nextTransition(after: Date, horizonDays?: number): { at: Date; active: boolean } | null;
}

const DAY_MS = 86_400_000;
const MAX_CACHED_DAYS = 4096;

/** One local day as instants: segment boundaries `[start, b1, …, end]` and the state of each segment. */
interface DayPlan {
  bounds: number[];
  states: boolean[];
}

/** Exceptions flattened into elementary segments between sorted boundaries, each with its winning state. */
interface ExceptionTable {
  bounds: number[];
  /** states[i] applies on [bounds[i], bounds[i+1]); undefined = no exception there. */
  states: (boolean | undefined)[];
}

interface Stretch {
  from: number;
  to: number;
  active: boolean;
  /** Memo of the first flip after this stretch, and up to which instant that search looked. */
  next?: { flip: { at: Date; active: boolean } | null; searchedTo: number };
}

function buildExceptionTable(zone: string, def: ScheduleDef): ExceptionTable {
  const ranges: { from: number; to: number; active: boolean }[] = [];
  for (const e of def.exceptions) {
    const from = parseLocalDateTime(zone, e.from);
    let to = parseLocalDateTime(zone, e.to);
    const expires = e.expires === undefined ? undefined : parseLocalDateTime(zone, e.expires);
    if (from === undefined || to === undefined) continue;
    if (expires !== undefined) to = Math.min(to, expires);
    if (to > from) ranges.push({ from, to, active: e.state === 'active' });
  }
  const bounds = [...new Set(ranges.flatMap((r) => [r.from, r.to]))].sort((a, b) => a - b);
  const states: (boolean | undefined)[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    let state: boolean | undefined;
    // Last listed wins: scan all, keep the last cover.
    for (const r of ranges) if (r.from <= bounds[i]! && r.to >= bounds[i + 1]!) state = r.active;
    states.push(state);
  }
  return { bounds, states };
}

/** Index of the last element ≤ value, or -1. */
function floorIndex(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

class Schedule implements CompiledSchedule {
  private readonly weekdays: number[][];
  private readonly isHoliday: (iso: string) => boolean;
  private readonly exceptions: ExceptionTable;
  private readonly days = new Map<number, DayPlan>();
  private memo: Stretch | undefined;

  constructor(
    readonly name: string,
    readonly timezone: string,
    def: ScheduleDef,
  ) {
    const spans: WeeklySpan[] = [];
    for (const text of def.active) {
      const parsed = parseSpan(text);
      if (!parsed.ok)
        throw new Error(`schedules.${name}.active: ${JSON.stringify(text)} — ${parsed.problem}`);
      spans.push(...parsed.spans);
    }
    this.weekdays = weekdayIntervals(spans);
    this.isHoliday = holidayPredicate(def.holidays);
    this.exceptions = buildExceptionTable(timezone, def);
  }

  isActive(at: Date): boolean {
    return this.stretchAt(at.getTime()).active;
  }

  nextTransition(after: Date, horizonDays = 400): { at: Date; active: boolean } | null {
    const start = after.getTime();
    const limit = start + horizonDays * DAY_MS;
    const first = this.stretchAt(start);
    // The state is constant over the stretch, so every instant in it has the same next flip.
    const known = first.next;
    if (known) {
      if (known.flip && known.flip.at.getTime() <= limit)
        return { at: new Date(known.flip.at), active: known.flip.active };
      if (!known.flip && known.searchedTo >= limit) return null;
    }
    let flip: { at: Date; active: boolean } | null = null;
    let stretch = first;
    while (stretch.to <= limit) {
      const at = stretch.to;
      stretch = this.stretchAt(at, false);
      if (stretch.active !== first.active) {
        flip = { at: new Date(at), active: stretch.active };
        break;
      }
    }
    first.next = { flip, searchedTo: limit };
    return flip && { at: new Date(flip.at), active: flip.active };
  }

  private day(dayNumber: number): DayPlan {
    let plan = this.days.get(dayNumber);
    if (plan) return plan;
    const tz = this.timezone;
    const start = startOfLocalDay(tz, dayNumber);
    const end = startOfLocalDay(tz, dayNumber + 1);
    const bounds = [start];
    const states: boolean[] = [];
    if (!this.isHoliday(dayNumberToIso(dayNumber))) {
      const minutes = this.weekdays[weekdayOf(dayNumber)]!;
      for (let i = 0; i < minutes.length; i += 2) {
        const from = Math.max(localToInstant(tz, dayNumber, minutes[i]!), start);
        const to =
          minutes[i + 1] === 1440 ? end : Math.min(localToInstant(tz, dayNumber, minutes[i + 1]!), end);
        if (to <= from) continue; // e.g. a span lying wholly in a spring-forward gap
        const last = bounds[bounds.length - 1]!;
        if (from > last) {
          states.push(false);
          bounds.push(from);
        } else if (states[states.length - 1] === true) {
          // Touches the previous active segment (possible after DST mapping): extend it.
          bounds[bounds.length - 1] = Math.max(last, to);
          continue;
        }
        states.push(true);
        bounds.push(to);
      }
    }
    if (bounds[bounds.length - 1]! < end) {
      states.push(false);
      bounds.push(end);
    }
    plan = { bounds, states };
    if (this.days.size >= MAX_CACHED_DAYS) this.days.clear();
    this.days.set(dayNumber, plan);
    return plan;
  }

  /** The state at `ms` and a stretch around it where the state is certainly constant. */
  private stretchAt(ms: number, remember = true): Stretch {
    const memo = this.memo;
    if (memo && ms >= memo.from && ms < memo.to) return memo;
    let dayNumber = localDayNumber(this.timezone, ms);
    let plan = this.day(dayNumber);
    // Guards for zones whose midnight itself is skipped or repeated.
    while (ms < plan.bounds[0]!) plan = this.day(--dayNumber);
    while (ms >= plan.bounds[plan.bounds.length - 1]!) plan = this.day(++dayNumber);
    const i = Math.min(floorIndex(plan.bounds, ms), plan.states.length - 1);
    let from = plan.bounds[i]!;
    let to = plan.bounds[i + 1]!;
    let active = plan.states[i]!;

    const ex = this.exceptions;
    if (ex.bounds.length) {
      const j = floorIndex(ex.bounds, ms);
      if (j < 0) to = Math.min(to, ex.bounds[0]!);
      else if (j >= ex.bounds.length - 1) from = Math.max(from, ex.bounds[ex.bounds.length - 1]!);
      else {
        from = Math.max(from, ex.bounds[j]!);
        to = Math.min(to, ex.bounds[j + 1]!);
        const state = ex.states[j];
        if (state !== undefined) active = state;
      }
    }
    const stretch = { from, to, active };
    if (remember) this.memo = stretch;
    return stretch;
  }
}

/**
 * Compiles one schedule of a validated policy. Throws a plain Error on a span that does not parse (cannot
 * happen for a policy that passed validation).
 */
export function compileSchedule(name: string, def: Policy['schedules'][string]): CompiledSchedule {
  return new Schedule(name, def.timezone, def);
}

const compiled = new WeakMap<Policy, Map<string, CompiledSchedule>>();

/**
 * Compiles every schedule of a policy. The result is cached per policy object, so repeated planning runs
 * over the same policy share their per-day caches.
 */
export function compileSchedules(policy: Policy): Map<string, CompiledSchedule> {
  let map = compiled.get(policy);
  if (!map) {
    map = new Map(Object.entries(policy.schedules).map(([name, def]) => [name, compileSchedule(name, def)]));
    compiled.set(policy, map);
  }
  return map;
}
