import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { compileSchedule, parseSpan, weekdayIntervals } from '../../../src/lib/rules';

const ZONE = 'Europe/Berlin';
/** Berlin local time in an ordinary (no DST change) week: Mon 2026-06-08 … Sun 2026-06-14. */
const at = (local: string) => DateTime.fromISO(local, { zone: ZONE }).toJSDate();
const schedule = (...active: string[]) => compileSchedule('s', { timezone: ZONE, active, exceptions: [] });

describe('parseSpan', () => {
  it.each([
    ['Mon-Fri 07:00-19:00', [0, 1, 2, 3, 4].map((d) => [d * 1440 + 420, 720])],
    ['Sat 09:00-13:00', [[5 * 1440 + 540, 240]]],
    ['Mon,Wed,Fri 08:00-12:00', [0, 2, 4].map((d) => [d * 1440 + 480, 240])],
    ['Mon-Tue, Thu 08:00-12:00', [0, 1, 3].map((d) => [d * 1440 + 480, 240])],
    ['Fri-Mon 10:00-11:00', [0, 4, 5, 6].map((d) => [d * 1440 + 600, 60])],
    ['Sat-Sun 10:00-16:00', [5, 6].map((d) => [d * 1440 + 600, 360])],
    ['22:00-06:00', [0, 1, 2, 3, 4, 5, 6].map((d) => [d * 1440 + 1320, 480])],
    ['daily 08:00-18:00', [0, 1, 2, 3, 4, 5, 6].map((d) => [d * 1440 + 480, 600])],
    ['Fri 18:00-Mon 06:00', [[4 * 1440 + 1080, 60 * 60]]],
    ['Sun 22:00-Mon 02:00', [[6 * 1440 + 1320, 240]]],
    ['Mon 00:00-24:00', [[0, 1440]]],
    ['monday-FRIDAY 7:00 - 19:00', [0, 1, 2, 3, 4].map((d) => [d * 1440 + 420, 720])],
  ])('%s', (text, expected) => {
    const parsed = parseSpan(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.spans.map((s) => [s.startMinute, s.durationMinutes])).toEqual(expected);
  });

  it.each([
    ['Mon-Fry 07:00-19:00', 'unknown day "Fry"; expected e.g. "Mon-Fri 07:00-19:00"'],
    ['Mon-Fri 25:00-26:00', 'invalid time "25:00"; expected HH:MM from 00:00 to 24:00'],
    ['Mon-Fri 07:60-19:00', 'invalid time "07:60"; expected HH:MM from 00:00 to 24:00'],
    ['24:00-06:00', '"24:00" can only end a span; expected e.g. "00:00-24:00"'],
    ['08:00-08:00', 'span is empty (start equals end); expected e.g. "00:00-24:00" for a whole day'],
    ['Mon 08:00-Mon 08:00', 'span is empty (it ends where it starts); expected e.g. "Fri 18:00-Mon 06:00"'],
    [
      'Mon-Fri 18:00-Sat 06:00',
      'a span with an end day takes one start day; expected e.g. "Fri 18:00-Mon 06:00"',
    ],
    ['Fri 18:00-Mun 06:00', 'unknown day "Mun"; expected e.g. "Mon-Fri 07:00-19:00"'],
    [
      'whenever',
      'cannot read span; expected e.g. "Mon-Fri 07:00-19:00", "Sat 09:00-13:00", "22:00-06:00" or "Fri 18:00-Mon 06:00"',
    ],
    ['Mon--Fri 07:00-19:00', 'cannot read days "Mon--Fri"; expected e.g. "Mon-Fri 07:00-19:00"'],
  ])('rejects %s', (text, problem) => {
    expect(parseSpan(text)).toEqual({ ok: false, problem });
  });
});

describe('weekdayIntervals', () => {
  it('splits spans at midnight and joins overlapping or touching ones', () => {
    const spans = ['Fri 18:00-Mon 06:00', 'Mon 06:00-08:00', 'Sat 10:00-12:00'].flatMap((t) => {
      const p = parseSpan(t);
      return p.ok ? p.spans : [];
    });
    expect(weekdayIntervals(spans)).toEqual([[0, 480], [], [], [], [1080, 1440], [0, 1440], [0, 1440]]);
  });
});

describe('span forms evaluated in the schedule zone (half-open)', () => {
  it.each<[string[], string, boolean]>([
    [['Mon-Fri 07:00-19:00'], '2026-06-08T06:59', false],
    [['Mon-Fri 07:00-19:00'], '2026-06-08T07:00', true],
    [['Mon-Fri 07:00-19:00'], '2026-06-12T18:59', true],
    [['Mon-Fri 07:00-19:00'], '2026-06-12T19:00', false],
    [['Mon-Fri 07:00-19:00'], '2026-06-13T12:00', false],
    [['Sat 09:00-13:00'], '2026-06-13T09:00', true],
    [['Sat 09:00-13:00'], '2026-06-13T13:00', false],
    [['Sat 09:00-13:00'], '2026-06-14T10:00', false],
    [['Mon,Wed,Fri 08:00-12:00'], '2026-06-10T11:00', true],
    [['Mon,Wed,Fri 08:00-12:00'], '2026-06-09T11:00', false],
    // Overnight spans belong to their start day and end on the next day.
    [['Fri 22:00-06:00'], '2026-06-13T05:59', true],
    [['Fri 22:00-06:00'], '2026-06-13T06:00', false],
    [['Fri 22:00-06:00'], '2026-06-12T05:00', false],
    [['Fri 22:00-06:00'], '2026-06-12T23:00', true],
    [['22:00-06:00'], '2026-06-10T03:00', true],
    [['22:00-06:00'], '2026-06-10T12:00', false],
    // Week-wrapping span.
    [['Fri 18:00-Mon 06:00'], '2026-06-12T17:59', false],
    [['Fri 18:00-Mon 06:00'], '2026-06-12T18:00', true],
    [['Fri 18:00-Mon 06:00'], '2026-06-14T12:00', true],
    [['Fri 18:00-Mon 06:00'], '2026-06-15T05:59', true],
    [['Fri 18:00-Mon 06:00'], '2026-06-15T06:00', false],
    [['Sun 22:00-Mon 02:00'], '2026-06-08T01:00', true],
    [['Sun 22:00-Mon 02:00'], '2026-06-14T23:00', true],
    [['Sat-Sun 10:00-16:00'], '2026-06-14T15:00', true],
    [['Fri-Mon 10:00-11:00'], '2026-06-08T10:30', true],
    [['Fri-Mon 10:00-11:00'], '2026-06-09T10:30', false],
    [['daily 08:00-18:00'], '2026-06-14T08:00', true],
    [['Mon 00:00-24:00'], '2026-06-08T23:59', true],
    [['Mon 00:00-24:00'], '2026-06-09T00:00', false],
  ])('%j at %s → %s', (active, local, expected) => {
    expect(schedule(...active).isActive(at(local))).toBe(expected);
  });

  it('joins touching spans: no transition where one ends and the next starts', () => {
    const s = schedule('Mon 08:00-12:00', 'Mon 12:00-18:00', 'Mon 18:00-24:00', 'Tue 00:00-06:00');
    expect(s.nextTransition(at('2026-06-08T09:00'))).toEqual({ at: at('2026-06-09T06:00'), active: false });
    expect(s.nextTransition(at('2026-06-08T06:00'))).toEqual({ at: at('2026-06-08T08:00'), active: true });
  });

  it('reports transitions of a week-wrapping span at its edges', () => {
    const s = schedule('Fri 18:00-Mon 06:00');
    expect(s.nextTransition(at('2026-06-10T00:00'))).toEqual({ at: at('2026-06-12T18:00'), active: true });
    expect(s.nextTransition(at('2026-06-12T18:00'))).toEqual({ at: at('2026-06-15T06:00'), active: false });
  });

  it('returns null when the state never changes within the horizon', () => {
    expect(schedule('daily 00:00-24:00').nextTransition(at('2026-06-08T09:00'))).toBeNull();
    expect(schedule().isActive(at('2026-06-08T09:00'))).toBe(false);
    expect(schedule().nextTransition(at('2026-06-08T09:00'))).toBeNull();
    expect(schedule('Sat 09:00-13:00').nextTransition(at('2026-06-08T09:00'), 2)).toBeNull();
    expect(schedule('Sat 09:00-13:00').nextTransition(at('2026-06-08T09:00'), 7)).toEqual({
      at: at('2026-06-13T09:00'),
      active: true,
    });
  });
});
