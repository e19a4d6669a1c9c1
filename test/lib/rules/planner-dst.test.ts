import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { planActions } from '../../../src/lib/rules';
import { ent, policyOf } from './planner-helpers';

/**
 * DST: for every zone a schedule may use here, plan a stop on the Friday evening and on the Sunday of every
 * weekend on which that zone or Los Angeles changes its clocks, and compare with an independent count made
 * with luxon wall-clock arithmetic: the Pacific days d with midnight(d) ≥ stop and midnight(d + 1) ≤ the
 * Monday 08:00 local reactivation.
 */
const PT = 'America/Los_Angeles';
const PT_SUNDAYS = ['2026-03-08', '2026-11-01'];
const ZONES: Record<string, string[]> = {
  'Europe/Berlin': ['2026-03-29', '2026-10-25'],
  'America/New_York': ['2026-03-08', '2026-11-01'],
  'America/Los_Angeles': [],
  'Australia/Sydney': ['2026-04-05', '2026-10-04'],
  'Asia/Kolkata': [],
};

function expectedSavedDays(now: Date, reactivation: Date): string[] {
  const days: string[] = [];
  let day = DateTime.fromJSDate(now, { zone: PT }).startOf('day');
  while (day.toMillis() < reactivation.getTime()) {
    const end = day.plus({ days: 1 });
    if (day.toMillis() >= now.getTime() && end.toMillis() <= reactivation.getTime())
      days.push(day.toISODate()!);
    day = end;
  }
  return days;
}

const cases = Object.entries(ZONES).flatMap(([zone, own]) =>
  [...new Set([...own, ...PT_SUNDAYS])].flatMap((sunday) => {
    const sun = DateTime.fromISO(sunday, { zone });
    const monday = sun.plus({ days: 1 }).set({ hour: 8 });
    return [
      {
        zone,
        sunday,
        label: 'Friday 18:05',
        now: sun.minus({ days: 2 }).set({ hour: 18, minute: 5 }),
        monday,
      },
      { zone, sunday, label: 'Sunday 12:00', now: sun.set({ hour: 12 }), monday },
    ];
  }),
);

describe('planActions across DST weekends', () => {
  it.each(cases)('$zone, weekend of $sunday, $label', ({ zone, label, now, monday }) => {
    const policy = policyOf([{ name: 'office', billing: { skipUnprofitableStops: false } }], {
      office: { timezone: zone, active: ['Mon-Fri 08:00-18:00'] },
    });
    const plan = planActions({
      policy,
      entitlements: [ent('A')],
      records: [],
      now: now.toJSDate(),
    });
    const expected = expectedSavedDays(now.toJSDate(), monday.toJSDate());
    // From Friday evening every zone listed saves at least the Pacific Saturday; from Sunday noon the
    // Pacific Sunday has already begun everywhere, so nothing is saved.
    expect(expected.length >= 1).toBe(label.startsWith('Friday'));
    expect(plan.actions).toHaveLength(1);
    expect(plan.actions[0]).toMatchObject({
      action: 'stop',
      savedPtDays: expected,
      ptDaysSaved: expected.length,
    });
    expect(plan.actions[0]!.reason).toContain(`Fri 18:00–Mon 08:00 ${zone}`);
  });

  it('counts the 25-hour Pacific Sunday of the fall-back weekend as one whole day (New York)', () => {
    const policy = policyOf([{ name: 'office' }], {
      office: { timezone: 'America/New_York', active: ['Mon-Fri 08:00-18:00'] },
    });
    const plan = planActions({
      policy,
      entitlements: [ent('A')],
      records: [],
      now: new Date('2026-10-30T18:05:00-04:00'),
    });
    // Mon 08:00 EST = Mon 05:00 PST: Saturday Oct 31 and the long Sunday Nov 1 are both free.
    expect(plan.actions[0]!.savedPtDays).toEqual(['2026-10-31', '2026-11-01']);
  });

  it('sees Pacific days start at 08:00 Berlin while the US is on summer time and Europe is not', () => {
    const policy = policyOf([{ name: 'office' }], {
      office: { timezone: 'Europe/Berlin', active: ['Mon-Fri 08:00-18:00'] },
    });
    // 2026-03-16 is in the three weeks where Berlin is UTC+1 and Los Angeles UTC-7.
    const plan = planActions({
      policy,
      entitlements: [ent('A')],
      records: [],
      now: new Date('2026-03-13T18:05:00+01:00'),
    });
    expect(plan.actions[0]!.savedPtDays).toEqual(['2026-03-14', '2026-03-15']);
    const april = planActions({
      policy,
      entitlements: [ent('A')],
      records: [],
      now: new Date('2026-04-10T18:05:00+02:00'),
    });
    expect(april.actions[0]!.savedPtDays).toEqual(['2026-04-11']);
  });
});
