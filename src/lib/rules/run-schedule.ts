/**
 * When the reconcile timer fires: the occurrences of its NCRONTAB schedule (`SCALER_SCHEDULE`, six fields
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, in UTC as the Functions host evaluates it), computed
 * with croner from an explicit start instant. The planner takes these instants as data to decide whether a
 * `lastSafeMoment` stop may wait for a later run; nothing here reads the clock.
 */
import { Cron } from 'croner';

/** How far ahead of a run its later runs are needed: a first saved Pacific day starts within ~25 h + margin. */
export const LATER_RUNS_HOURS = 26;

/** Most occurrences returned, so an every-second schedule cannot make a run list enormous. */
const MAX_RUNS = 2_000;

const HOUR_MS = 3_600_000;

/**
 * Parses an NCRONTAB expression with seconds. Throws a one-line error naming `field` and the accepted form
 * when the expression is not six fields or croner refuses it.
 */
export function parseRunSchedule(expression: string, field = 'SCALER_SCHEDULE'): Cron {
  const text = expression.trim();
  const expected = `expected an NCRONTAB expression with 6 fields "{second} {minute} {hour} {day} {month} {day-of-week}", e.g. "0 */5 * * * *"`;
  if (text.split(/\s+/).length !== 6) throw new Error(`${field}: "${text}" — ${expected}`);
  try {
    // No callback: croner schedules nothing and only answers occurrence queries.
    return new Cron(text, { timezone: 'UTC' });
  } catch (error) {
    throw new Error(`${field}: "${text}" — ${(error as Error).message}; ${expected}`);
  }
}

/**
 * The runs of `schedule` strictly after `after`, up to `hours` later (default {@link LATER_RUNS_HOURS}),
 * ascending; at most 2,000.
 */
export function runsAfter(schedule: string | Cron, after: Date, hours = LATER_RUNS_HOURS): Date[] {
  const cron = typeof schedule === 'string' ? parseRunSchedule(schedule) : schedule;
  const until = after.getTime() + hours * HOUR_MS;
  const runs: Date[] = [];
  let previous = after;
  while (runs.length < MAX_RUNS) {
    const next = cron.nextRun(previous);
    if (next === null || next.getTime() > until) break;
    runs.push(next);
    previous = next;
  }
  return runs;
}
