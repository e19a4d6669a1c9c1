import { describe, expect, it } from 'vitest';
import { forecast, ptDayStart } from '../../../src/lib/rules';
import { ent, policyOf } from './planner-helpers';

const week = (from: string, to: string) => ({ from: ptDayStart(from), to: ptDayStart(to) });

describe('forecast advice', () => {
  it('suggests reactivating at 09:00 instead of 07:00 Berlin on Monday (Pacific Sunday ends at 09:00)', () => {
    const policy = policyOf([{ name: 'branch' }]);
    const result = forecast({
      policy,
      entitlements: [ent('A'), ent('B')],
      ...week('2026-05-04', '2026-05-11'),
    });
    expect(result.advice).toEqual([
      {
        rule: 'branch',
        kind: 'reactivateLater',
        weekday: 'Monday',
        current: '07:00',
        suggested: '09:00',
        timezone: 'Europe/Berlin',
        shiftHours: 2,
        occurrences: 1,
        extraPtDaysPerWeek: 1,
        extraPointsPerWeek: 10,
        message:
          'reactivating at 09:00 instead of 07:00 Europe/Berlin on Monday saves 1 more Pacific day a week (10 points)',
      },
    ]);
  });

  it('derives the shift from the billing calendar: one hour suffices while the US is on summer time alone', () => {
    const policy = policyOf([{ name: 'branch' }]);
    const result = forecast({ policy, entitlements: [ent('A')], ...week('2026-03-09', '2026-03-16') });
    expect(result.advice.map((a) => [a.kind, a.weekday, a.current, a.suggested])).toEqual([
      ['reactivateLater', 'Monday', '07:00', '08:00'],
    ]);
  });

  it('lists each shift that gains more than the smaller ones: a month where the clocks change in between', () => {
    const policy = policyOf([{ name: 'branch' }]);
    const result = forecast({ policy, entitlements: [ent('A')], ...week('2026-03-02', '2026-03-30') });
    // Mondays 9, 16, 23 March: Pacific days start at 08:00 Berlin; Monday 30 March (Europe on summer time): 09:00.
    expect(result.advice.map((a) => [a.suggested, a.occurrences, a.extraPtDaysPerWeek])).toEqual([
      ['08:00', 3, 0.75],
      ['09:00', 4, 1],
    ]);
    expect(result.advice[0]!.message).toBe(
      'reactivating at 08:00 instead of 07:00 Europe/Berlin on Monday saves 0.75 more Pacific days a week (3.75 points)',
    );
  });

  it('suggests stopping earlier on Friday in Tokyo, where Pacific Friday begins at 16:00', () => {
    const policy = policyOf([{ name: 'apac', schedule: 'tokyo' }], {
      tokyo: { timezone: 'Asia/Tokyo', active: ['Mon-Fri 09:00-18:00'] },
    });
    const result = forecast({ policy, entitlements: [ent('A')], ...week('2026-05-04', '2026-05-11') });
    expect(result.advice.map((a) => a.message)).toContain(
      'stopping at 16:00 instead of 18:00 Asia/Tokyo on Friday saves 1 more Pacific day a week (5 points)',
    );
  });

  it('averages over the weeks of the range and gives no advice where 3 hours gain nothing', () => {
    const berlin = forecast({
      policy: policyOf([{ name: 'branch' }]),
      entitlements: [ent('A')],
      ...week('2026-05-04', '2026-06-01'),
    });
    expect(berlin.advice).toMatchObject([{ occurrences: 4, extraPtDaysPerWeek: 1 }]);
    const newYork = forecast({
      policy: policyOf([{ name: 'east', schedule: 'east' }], {
        east: { timezone: 'America/New_York', active: ['Mon-Fri 07:30-20:30'] },
      }),
      entitlements: [ent('A')],
      ...week('2026-05-04', '2026-05-11'),
    });
    expect(newYork.advice).toEqual([]);
  });
});
