/**
 * The span grammar of `schedules.*.active`:
 *
 * | form                      | meaning                                                        |
 * |---------------------------|----------------------------------------------------------------|
 * | `Mon-Fri 07:00-19:00`     | each of Mon…Fri, 07:00 to 19:00                                |
 * | `Sat 09:00-13:00`         | one day                                                        |
 * | `Mon,Wed,Fri 08:00-12:00` | a list; items may be ranges (`Mon-Tue,Thu`)                    |
 * | `Fri-Mon 08:00-12:00`     | ranges wrap around the week (Fri, Sat, Sun, Mon)               |
 * | `22:00-06:00`             | no day (or `daily`) = every day; end ≤ start = overnight: the   |
 * |                           | span belongs to its start day and ends the next day            |
 * | `Fri 18:00-Mon 06:00`     | an end day: one span from Fri 18:00 to the next Mon 06:00      |
 * | `Mon 00:00-24:00`         | `24:00` is the end of the day (only as an end)                  |
 *
 * Spans are half-open [start, end) in local wall-clock time. Day names are case-insensitive, three letters or
 * full (`Mon`, `monday`).
 */

/** A span on the weekly wall clock; Monday 00:00 is minute 0. */
export interface WeeklySpan {
  startMinute: number;
  durationMinutes: number;
}

/** Result of {@link parseSpan}: the spans it stands for, or the problem in words. */
export type SpanParse = { ok: true; spans: WeeklySpan[] } | { ok: false; problem: string };

const DAY_MINUTES = 1440;
const WEEK_MINUTES = 7 * DAY_MINUTES;
const EXAMPLE = 'expected e.g. "Mon-Fri 07:00-19:00"';

const DAY_NAMES: Record<string, number> = {};
['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].forEach((full, i) => {
  DAY_NAMES[full] = i;
  DAY_NAMES[full.slice(0, 3)] = i;
});
DAY_NAMES['tues'] = 1;
DAY_NAMES['thur'] = 3;
DAY_NAMES['thurs'] = 3;

const SHAPE = /^\s*(?:(.*?)\s+)?(\d{1,2}:\d{2})\s*-\s*(?:([A-Za-z]+)\s+)?(\d{1,2}:\d{2})\s*$/;

function dayIndex(token: string): number | string {
  const index = DAY_NAMES[token.toLowerCase()];
  return index === undefined ? `unknown day "${token}"; ${EXAMPLE}` : index;
}

function parseTime(text: string, isEnd: boolean): number | string {
  const [h, m] = text.split(':').map(Number) as [number, number];
  if (h === 24 && m === 0)
    return isEnd ? DAY_MINUTES : '"24:00" can only end a span; expected e.g. "00:00-24:00"';
  if (h > 23 || m > 59) return `invalid time "${text}"; expected HH:MM from 00:00 to 24:00`;
  return h * 60 + m;
}

function parseDays(text: string): number[] | string {
  if (/^(daily|everyday|every day)$/i.test(text.trim())) return [0, 1, 2, 3, 4, 5, 6];
  const days = new Set<number>();
  for (const item of text.split(',')) {
    const parts = item.split('-').map((p) => p.trim());
    if (parts.length > 2 || parts.some((p) => p === ''))
      return `cannot read days "${text.trim()}"; ${EXAMPLE}`;
    const indexes: number[] = [];
    for (const part of parts) {
      const index = dayIndex(part);
      if (typeof index === 'string') return index;
      indexes.push(index);
    }
    const [from, to = from] = indexes as [number, number?];
    // Ranges wrap around the week: Fri-Mon is Fri, Sat, Sun, Mon.
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return [...days].sort((a, b) => a - b);
}

/** Parses one span expression (see the module comment for the grammar). */
export function parseSpan(text: string): SpanParse {
  const m = SHAPE.exec(text);
  if (!m) {
    return {
      ok: false,
      problem: `cannot read span; expected e.g. "Mon-Fri 07:00-19:00", "Sat 09:00-13:00", "22:00-06:00" or "Fri 18:00-Mon 06:00"`,
    };
  }
  const dayText = m[1];
  const startText = m[2]!;
  const endDayText = m[3];
  const endText = m[4]!;
  const days = dayText === undefined ? [0, 1, 2, 3, 4, 5, 6] : parseDays(dayText);
  if (typeof days === 'string') return { ok: false, problem: days };
  const start = parseTime(startText, false);
  if (typeof start === 'string') return { ok: false, problem: start };
  const end = parseTime(endText, true);
  if (typeof end === 'string') return { ok: false, problem: end };

  if (endDayText !== undefined) {
    const endDay = dayIndex(endDayText);
    if (typeof endDay === 'string') return { ok: false, problem: endDay };
    if (days.length !== 1 || dayText === undefined || /[,-]|daily|every/i.test(dayText)) {
      return {
        ok: false,
        problem: `a span with an end day takes one start day; expected e.g. "Fri 18:00-Mon 06:00"`,
      };
    }
    const startMinute = days[0]! * DAY_MINUTES + start;
    const duration =
      (((endDay * DAY_MINUTES + end - startMinute) % WEEK_MINUTES) + WEEK_MINUTES) % WEEK_MINUTES;
    if (duration === 0) {
      return {
        ok: false,
        problem: `span is empty (it ends where it starts); expected e.g. "Fri 18:00-Mon 06:00"`,
      };
    }
    return { ok: true, spans: [{ startMinute, durationMinutes: duration }] };
  }

  if (start === end) {
    return {
      ok: false,
      problem: `span is empty (start equals end); expected e.g. "00:00-24:00" for a whole day`,
    };
  }
  // End before start: overnight, ending on the next day.
  const duration = end > start ? end - start : end + DAY_MINUTES - start;
  return {
    ok: true,
    spans: days.map((d) => ({ startMinute: d * DAY_MINUTES + start, durationMinutes: duration })),
  };
}

/**
 * Active local wall-clock intervals per weekday (index 0 = Monday): flat `[start, end, start, end, …]`
 * minute-of-day pairs, sorted, with overlapping and touching intervals joined. Spans crossing midnight are
 * split at it, so each day only holds its own hours (a holiday can then blank exactly its own day).
 */
export function weekdayIntervals(spans: readonly WeeklySpan[]): number[][] {
  const raw: [number, number][][] = Array.from({ length: 7 }, () => []);
  for (const span of spans) {
    let cursor = span.startMinute;
    const end = span.startMinute + span.durationMinutes;
    while (cursor < end) {
      const dayStart = Math.floor(cursor / DAY_MINUTES) * DAY_MINUTES;
      const segmentEnd = Math.min(end, dayStart + DAY_MINUTES);
      raw[(dayStart / DAY_MINUTES) % 7]!.push([cursor - dayStart, segmentEnd - dayStart]);
      cursor = segmentEnd;
    }
  }
  return raw.map((intervals) => {
    intervals.sort((a, b) => a[0] - b[0]);
    const flat: number[] = [];
    for (const [s, e] of intervals) {
      const last = flat.length - 1;
      if (last > 0 && s <= flat[last]!) flat[last] = Math.max(flat[last]!, e);
      else flat.push(s, e);
    }
    return flat;
  });
}
