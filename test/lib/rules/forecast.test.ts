import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSchedules, forecast, ptDay, ptDayEnd, ptDayStart } from '../../../src/lib/rules';
import { PROPERTY_ZONES } from '../../support/zones';
import { ent, policyOf } from './planner-helpers';

// Ranges are Pacific billing days: [from's PT midnight, to's PT midnight).
const range = (from: string, to: string) => ({ from: ptDayStart(from), to: ptDayStart(to) });

describe('forecast, checked against hand-computed weeks', () => {
  it('Berlin 07:00–19:00 in May: four weeknights save nothing, the weekend saves only Saturday', () => {
    const policy = policyOf([{ name: 'branch', select: { configIds: [10, 20] } }]);
    const result = forecast({
      policy,
      entitlements: [ent('A', 'ACTIVE', 10), ent('B', 'STOPPED', 20), ent('C', 'PENDING', 10)],
      ...range('2026-05-04', '2026-05-11'),
    });
    const [rule] = result.rules;
    expect(rule).toMatchObject({
      rule: 'branch',
      timezone: 'Europe/Berlin',
      entitlements: 2, // PENDING is never touched
      pointsPerDay: 12, // 5 + 7
      ptDaysSaved: 1,
      pointsSaved: 12,
      unprofitableWindows: 4,
    });
    expect(rule!.windows.map((w) => [w.startLocal, w.endLocal, w.ptDays, w.stops])).toEqual([
      ['Mon 2026-05-04 19:00', 'Tue 2026-05-05 07:00', [], false],
      ['Tue 2026-05-05 19:00', 'Wed 2026-05-06 07:00', [], false],
      ['Wed 2026-05-06 19:00', 'Thu 2026-05-07 07:00', [], false],
      ['Thu 2026-05-07 19:00', 'Fri 2026-05-08 07:00', [], false],
      ['Fri 2026-05-08 19:00', 'Mon 2026-05-11 07:00', ['2026-05-09'], true],
    ]);
    expect(result.totals).toEqual({ entitlements: 2, entitlementDaysSaved: 2, pointsSaved: 12 });
  });

  it('New York 07:30–20:30: both weekend days are free; a window open at the range start saves only inside it', () => {
    const policy = policyOf([{ name: 'us-east', schedule: 'east' }], {
      east: { timezone: 'America/New_York', active: ['Mon-Fri 07:30-20:30'] },
    });
    const result = forecast({ policy, entitlements: [ent('A')], ...range('2026-05-04', '2026-05-11') });
    const windows = result.rules[0]!.windows;
    // The previous weekend's window (Fri 05-01 20:30 – Mon 05-04 07:30 ET) reaches into the range.
    expect(windows[0]).toMatchObject({ startLocal: 'Fri 2026-05-01 20:30', ptDays: [], unprofitable: false });
    expect(windows.at(-1)).toMatchObject({
      startLocal: 'Fri 2026-05-08 20:30',
      ptDays: ['2026-05-09', '2026-05-10'],
    });
    expect(result.rules[0]).toMatchObject({ ptDaysSaved: 2, pointsSaved: 10 });
  });

  it('Tokyo 09:00–18:00: Monday morning falls in Sunday PT, so only Saturday is saved', () => {
    const policy = policyOf([{ name: 'apac', schedule: 'tokyo' }], {
      tokyo: { timezone: 'Asia/Tokyo', active: ['Mon-Fri 09:00-18:00'] },
    });
    const result = forecast({ policy, entitlements: [ent('A')], ...range('2026-05-04', '2026-05-11') });
    expect(result.rules[0]!.windows.flatMap((w) => w.ptDays)).toEqual(['2026-05-09']);
  });

  it('a Friday holiday adds the Pacific Friday; the Thursday-night window then saves two days', () => {
    const policy = policyOf([{ name: 'branch' }], {
      office: {
        timezone: 'Europe/Berlin',
        active: ['Mon-Fri 07:00-19:00'],
        holidays: { dates: ['2026-05-15'] },
      },
    });
    const result = forecast({ policy, entitlements: [ent('A')], ...range('2026-05-11', '2026-05-18') });
    const saving = result.rules[0]!.windows.filter((w) => w.ptDays.length > 0);
    expect(saving.map((w) => [w.startLocal, w.endLocal, w.ptDays])).toEqual([
      ['Thu 2026-05-14 19:00', 'Mon 2026-05-18 07:00', ['2026-05-15', '2026-05-16']],
    ]);
  });

  it('switchConfig saves the rate difference per whole Pacific day', () => {
    const policy = policyOf([{ name: 'small-at-night', offHours: { switchConfig: 11 } }]);
    const result = forecast({
      policy,
      entitlements: [ent('A'), ent('B')],
      ...range('2026-05-04', '2026-05-11'),
    });
    expect(result.rules[0]).toMatchObject({
      offHours: 'switchConfig',
      pointsPerDay: 6,
      ptDaysSaved: 1,
      pointsSaved: 6,
    });
  });

  it('counts an entitlement under overlapping rules once, with their combined schedule', () => {
    const policy = policyOf([{ name: 'office' }, { name: 'saturday-shift', schedule: 'sat' }], {
      office: { timezone: 'Europe/Berlin', active: ['Mon-Fri 07:00-19:00'] },
      sat: { timezone: 'Europe/Berlin', active: ['Sat 10:00-14:00'] },
    });
    const result = forecast({ policy, entitlements: [ent('A')], ...range('2026-05-04', '2026-05-11') });
    expect(result.rules.map((r) => [r.rule, r.ptDaysSaved, r.overlapping])).toEqual([
      ['office', 1, 1],
      ['saturday-shift', 6, 1],
    ]);
    // Together: Fri 19:00 – Sat 10:00 and Sat 14:00 – Mon 07:00 Berlin, neither holds a whole Pacific day.
    expect(result.totals).toEqual({ entitlements: 1, entitlementDaysSaved: 0, pointsSaved: 0 });
  });

  it('notes unknown rates and rejects an empty range', () => {
    const policy = policyOf([{ name: 'branch', select: { configIds: [99] } }]);
    const result = forecast({
      policy,
      entitlements: [ent('A', 'ACTIVE', 99)],
      ...range('2026-05-04', '2026-05-11'),
    });
    expect(result.rules[0]!.unknownRateConfigIds).toEqual([99]);
    expect(result.notes).toEqual(['rule branch: no points rate for config 99; counted as 0']);
    expect(() => forecast({ policy, entitlements: [], from: new Date(0), to: new Date(0) })).toThrow(
      RangeError,
    );
  });

  it('reports the lastSafeMoment stop just before the first saved Pacific day', () => {
    const policy = policyOf([
      { name: 'branch', billing: { stopTiming: 'lastSafeMoment', marginMinutes: 45 } },
    ]);
    const result = forecast({ policy, entitlements: [ent('A')], ...range('2026-05-04', '2026-05-11') });
    const weekend = result.rules[0]!.windows.at(-1)!;
    // Sat 00:00 PDT = Sat 07:00 UTC; minus 45 minutes.
    expect(weekend.stopAt).toBe('2026-05-09T06:15:00.000Z');
  });
});

describe('forecast properties', () => {
  const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
  const span = fc
    .tuple(
      fc.constantFrom('Mon-Fri', 'Tue-Sat', 'daily', 'Sat', 'Mon,Thu', 'Sun'),
      fc.integer({ min: 0, max: 23 }),
      fc.integer({ min: 1, max: 24 }),
    )
    .filter(([, a, b]) => a !== b % 24)
    .map(([days, a, b]) => `${days} ${hh(a)}-${hh(b)}`);
  // Start days around every DST change of these zones and of Los Angeles in 2026, plus ordinary weeks.
  const starts = [
    '2026-03-02',
    '2026-03-25',
    '2026-04-01',
    '2026-05-04',
    '2026-09-30',
    '2026-10-21',
    '2026-10-28',
  ];

  it('saves exactly the Pacific days in range entered already off (never active, not just turned off)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PROPERTY_ZONES),
        fc.array(span, { minLength: 1, maxLength: 2 }),
        fc.constantFrom(...starts),
        fc.integer({ min: 1, max: 14 }),
        (timezone, active, start, days) => {
          const policy = policyOf([{ name: 'r', schedule: 's' }], { s: { timezone, active } });
          const from = ptDayStart(start);
          const to = new Date(from.getTime() + days * 86_400_000 + 3 * 3_600_000);
          const result = forecast({ policy, entitlements: [ent('A')], from, to });
          const saved = result.rules[0]!.windows.flatMap((w) => w.ptDays);
          const schedule = compileSchedules(policy).get('s')!;
          const expected: string[] = [];
          for (let day = ptDay(from); ptDayEnd(day).getTime() <= to.getTime(); day = ptDay(ptDayEnd(day))) {
            // A window that starts exactly at the day's first instant stops then: that day is still charged.
            let idle = !schedule.isActive(new Date(ptDayStart(day).getTime() - 1));
            for (let t = ptDayStart(day).getTime(); t < ptDayEnd(day).getTime() && idle; t += 15 * 60_000) {
              idle = !schedule.isActive(new Date(t));
            }
            if (idle) expected.push(day);
          }
          expect(saved).toEqual(expected);
          expect(result.totals.entitlementDaysSaved).toBe(expected.length);
        },
      ),
      { numRuns: 120 },
    );
  });
});
