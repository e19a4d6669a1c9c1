import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../../src/lib/rules';
import { combineInactive, stateAt, walk, walkCombined } from '../../../src/lib/rules/schedule-walk';

const ZONE = 'Europe/Berlin';
const at = (local: string) => DateTime.fromISO(local, { zone: ZONE }).toJSDate();
const schedule = (...active: string[]) => compileSchedule('s', { timezone: ZONE, active, exceptions: [] });
const show = (intervals: { start: Date; end: Date; active: boolean }[]) =>
  intervals.map(
    (i) =>
      `${DateTime.fromJSDate(i.start, { zone: ZONE }).toFormat('ccc HH:mm')}-` +
      `${DateTime.fromJSDate(i.end, { zone: ZONE }).toFormat('ccc HH:mm')} ${i.active ? 'on' : 'off'}`,
  );

describe('walk', () => {
  it('lists alternating intervals clipped to the range', () => {
    expect(
      show(walk(schedule('Mon-Tue 07:00-19:00'), at('2026-06-08T12:00'), at('2026-06-10T12:00'))),
    ).toEqual([
      'Mon 12:00-Mon 19:00 on',
      'Mon 19:00-Tue 07:00 off',
      'Tue 07:00-Tue 19:00 on',
      'Tue 19:00-Wed 12:00 off',
    ]);
  });

  it('returns nothing for an empty range', () => {
    expect(walk(schedule('daily 07:00-19:00'), at('2026-06-08T12:00'), at('2026-06-08T12:00'))).toEqual([]);
  });
});

describe('walkCombined', () => {
  it('is active where any schedule is, joining overlapping and touching stretches', () => {
    const early = schedule('Mon 07:00-12:00');
    const late = schedule('Mon 12:00-15:00', 'Mon 14:00-18:00');
    expect(show(walkCombined([early, late], at('2026-06-08T00:00'), at('2026-06-09T00:00')))).toEqual([
      'Mon 00:00-Mon 07:00 off',
      'Mon 07:00-Mon 18:00 on',
      'Mon 18:00-Tue 00:00 off',
    ]);
  });
});

describe('stateAt and combineInactive', () => {
  it('says when the current stretch began and when it ends', () => {
    const state = stateAt(schedule('Mon-Fri 07:00-19:00'), at('2026-06-10T20:00'), 7, 7);
    expect(state).toEqual({ active: false, since: at('2026-06-10T19:00'), until: at('2026-06-11T07:00') });
    // A stretch that began before the look-back has no known start.
    expect(stateAt(schedule('Mon-Fri 07:00-19:00'), at('2026-06-13T12:00'), 0.5, 7)).toEqual({
      active: false,
      since: undefined,
      until: at('2026-06-15T07:00'),
    });
  });

  it('combines inactive stretches: began when the last went inactive, ends when the first wakes', () => {
    const now = at('2026-06-10T21:00');
    const states = [
      stateAt(schedule('Mon-Fri 07:00-19:00'), now, 7, 7),
      stateAt(schedule('Mon-Fri 09:00-20:00'), now, 7, 7),
      { active: false, until: null },
    ];
    expect(combineInactive(states)).toEqual({ since: at('2026-06-10T20:00'), until: at('2026-06-11T07:00') });
  });
});
