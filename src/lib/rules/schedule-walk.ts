/**
 * Walking compiled schedules through time: the state intervals of one schedule over a range, the state of a
 * schedule around an instant (when the current stretch began, when it ends), and the same for several
 * schedules combined with OR (an entitlement selected by several rules is wanted ACTIVE when any of their
 * schedules is active).
 */
import type { CompiledSchedule } from './schedule';

const DAY_MS = 86_400_000;

/** A half-open stretch [start, end) of constant state. */
export interface StateInterval {
  start: Date;
  end: Date;
  active: boolean;
}

/**
 * The state intervals of `schedule` covering [from, to). The first interval starts at `from`, the last ends
 * at `to`: intervals are clipped to the range.
 */
export function walk(schedule: CompiledSchedule, from: Date, to: Date): StateInterval[] {
  const out: StateInterval[] = [];
  let start = from;
  let active = schedule.isActive(from);
  const horizonDays = Math.ceil((to.getTime() - from.getTime()) / DAY_MS) + 1;
  // Bounded: a schedule changes state at most a few times a day; 64 per day is far beyond any real policy.
  for (let guard = 0; guard < horizonDays * 64 + 16; guard++) {
    const next = schedule.nextTransition(start, horizonDays);
    if (next === null || next.at.getTime() >= to.getTime()) break;
    // nextTransition reports flips only, so every step closes an interval.
    out.push({ start, end: next.at, active });
    active = next.active;
    start = next.at;
  }
  out.push({ start, end: to, active });
  return out.filter((interval) => interval.end.getTime() > interval.start.getTime());
}

/** A schedule's situation at one instant. */
export interface ScheduleState {
  active: boolean;
  /** When the current stretch began; undefined when it began before the look-back range. */
  since?: Date;
  /** When it ends (next transition); null when it does not end within the horizon. */
  until: Date | null;
}

/**
 * The state of `schedule` at `at`, when it began (looking back up to `lookBackDays`) and when it ends
 * (looking ahead up to `horizonDays`).
 */
export function stateAt(
  schedule: CompiledSchedule,
  at: Date,
  lookBackDays: number,
  horizonDays: number,
): ScheduleState {
  const active = schedule.isActive(at);
  let since: Date | undefined;
  let cursor = new Date(at.getTime() - lookBackDays * DAY_MS);
  for (let guard = 0; guard < lookBackDays * 64 + 16; guard++) {
    const next = schedule.nextTransition(cursor, lookBackDays + 1);
    if (next === null || next.at.getTime() > at.getTime()) break;
    if (next.active === active) since = next.at;
    cursor = next.at;
  }
  const until = schedule.nextTransition(at, horizonDays)?.at ?? null;
  return { active, since, until };
}

/**
 * The state of several schedules combined with OR at `at`: active when any is active; an inactive stretch
 * began when the last of them went inactive and ends when the first becomes active again.
 * `states` are the individual states at the same instant (from {@link stateAt}).
 */
export function combineInactive(states: readonly ScheduleState[]): { since?: Date; until: Date | null } {
  let since: Date | undefined;
  let until: Date | null = null;
  for (const state of states) {
    if (state.since !== undefined && (since === undefined || state.since.getTime() > since.getTime())) {
      since = state.since;
    }
    if (state.until !== null && (until === null || state.until.getTime() < until.getTime())) {
      until = state.until;
    }
  }
  // A schedule inactive for longer than the look-back does not make the combined start unknown: the
  // combined stretch began when the last one went inactive, i.e. at the latest known start.
  return { since, until };
}

/** State intervals of several schedules combined with OR over [from, to). */
export function walkCombined(schedules: readonly CompiledSchedule[], from: Date, to: Date): StateInterval[] {
  if (schedules.length === 1) return walk(schedules[0]!, from, to);
  const boundaries = new Set<number>([from.getTime(), to.getTime()]);
  for (const schedule of schedules) {
    for (const interval of walk(schedule, from, to)) boundaries.add(interval.start.getTime());
  }
  const points = [...boundaries].sort((a, b) => a - b);
  const out: StateInterval[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = new Date(points[i]!);
    const active = schedules.some((schedule) => schedule.isActive(start));
    const last = out[out.length - 1];
    if (last !== undefined && last.active === active) last.end = new Date(points[i + 1]!);
    else out.push({ start, end: new Date(points[i + 1]!), active });
  }
  return out;
}
