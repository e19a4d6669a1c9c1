import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  nextPtMidnight,
  pointsForDays,
  ptDay,
  ptDayEnd,
  ptDayStart,
  ptDaysWhollyInside,
} from '../../../src/lib/rules';

const utc = (iso: string) => new Date(`${iso}Z`);
const HOUR = 3_600_000;

describe('Pacific billing days', () => {
  it.each([
    ['2026-03-07T07:59', '2026-03-06'],
    ['2026-03-07T08:00', '2026-03-07'], // PST midnight
    ['2026-06-01T06:59', '2026-05-31'],
    ['2026-06-01T07:00', '2026-06-01'], // PDT midnight
  ])('ptDay(%s) = %s', (at, day) => {
    expect(ptDay(utc(at))).toBe(day);
  });

  it.each([
    ['2026-03-08', '2026-03-08T08:00', 23], // spring forward
    ['2026-11-01', '2026-11-01T07:00', 25], // fall back
    ['2026-07-01', '2026-07-01T07:00', 24],
  ])('%s starts at %s and lasts %i hours', (day, start, hours) => {
    expect(ptDayStart(day)).toEqual(utc(start));
    expect((ptDayEnd(day).getTime() - ptDayStart(day).getTime()) / HOUR).toBe(hours);
  });

  it('nextPtMidnight is strictly after its argument', () => {
    expect(nextPtMidnight(utc('2026-03-07T08:00'))).toEqual(utc('2026-03-08T08:00'));
    expect(nextPtMidnight(utc('2026-03-07T07:59'))).toEqual(utc('2026-03-07T08:00'));
    expect(nextPtMidnight(utc('2026-03-08T12:00'))).toEqual(utc('2026-03-09T07:00'));
    expect(nextPtMidnight(utc('2026-11-01T12:00'))).toEqual(utc('2026-11-02T08:00'));
  });

  it.each([
    // Berlin weekend: Fri 19:00 CET (10:00 PST) → Mon 07:00 CET (Sun 22:00 PST): only Saturday is free.
    ['2026-03-06T18:00', '2026-03-09T06:00', ['2026-03-07']],
    // …reactivating Monday 09:00 Berlin during the US-only DST weeks (PDT, Berlin still CET) = Mon 01:00 PDT.
    ['2026-03-13T18:00', '2026-03-16T08:00', ['2026-03-14', '2026-03-15']],
    // New York weekend: Fri 22:00 EST → Mon 06:00 EDT covers Saturday and the 23-hour Sunday.
    ['2026-03-07T03:00', '2026-03-09T10:00', ['2026-03-07', '2026-03-08']],
    // The 25-hour fall-back day is only free when the stop covers all 25 hours.
    ['2026-10-31T07:00', '2026-11-02T08:00', ['2026-10-31', '2026-11-01']],
    ['2026-10-31T07:00', '2026-11-02T07:59', ['2026-10-31']],
    ['2026-11-01T07:00', '2026-11-02T07:00', []], // 24 hours from its midnight: one short
    // The 23-hour spring-forward day is free after 23 hours.
    ['2026-03-08T08:00', '2026-03-09T07:00', ['2026-03-08']],
    ['2026-03-08T08:01', '2026-03-09T07:00', []],
    // A weeknight stop saves nothing.
    ['2026-06-09T17:00', '2026-06-10T05:00', []],
    // Exact day boundaries are included; an empty or reversed range has no days.
    ['2026-06-01T07:00', '2026-06-02T07:00', ['2026-06-01']],
    ['2026-06-02T07:00', '2026-06-01T07:00', []],
  ])('ptDaysWhollyInside(%s, %s)', (from, to, days) => {
    expect(ptDaysWhollyInside(utc(from), utc(to))).toEqual(days);
  });

  it('prices saved days', () => {
    expect(pointsForDays(2, 6.5)).toBe(13);
    expect(pointsForDays(3, 1.111)).toBe(3.33);
  });

  it('property: returned days lie inside [from, to), are consecutive, and no further day fits', () => {
    const start = utc('2026-01-01T00:00').getTime();
    const year = 365 * 24 * HOUR;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: year }),
        fc.integer({ min: 0, max: 20 * 24 * HOUR }),
        (a, length) => {
          const from = new Date(start + a);
          const to = new Date(start + a + length);
          const days = ptDaysWhollyInside(from, to);
          for (const day of days) {
            expect(ptDayStart(day).getTime()).toBeGreaterThanOrEqual(from.getTime());
            expect(ptDayEnd(day).getTime()).toBeLessThanOrEqual(to.getTime());
          }
          for (let i = 1; i < days.length; i++) expect(ptDayStart(days[i]!)).toEqual(ptDayEnd(days[i - 1]!));
          // Maximal: the day before the first / after the last (or the first whole day after from) does not fit.
          const firstCandidate =
            ptDay(from) === ptDay(new Date(from.getTime() - 1)) ? nextPtMidnight(from) : from;
          const next = days.length ? ptDayEnd(days[days.length - 1]!) : firstCandidate;
          expect(ptDayEnd(ptDay(next)).getTime()).toBeGreaterThan(to.getTime());
          if (days.length) expect(ptDayStart(days[0]!)).toEqual(firstCandidate);
        },
      ),
      { numRuns: 300 },
    );
  });
});
