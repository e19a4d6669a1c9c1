/**
 * The Pacific midnight boundary: a stop at or after a Pacific day's first instant never claims that day,
 * and `lastSafeMoment` waits only for a later run of the real reconcile schedule that still comes at least
 * the margin before the midnight.
 */
import { describe, expect, it } from 'vitest';
import { planActions, runsAfter } from '../../../src/lib/rules';
import { ent, policyOf } from './planner-helpers';

// Week of Monday 2026-05-04: Los Angeles is UTC-7, so a Pacific day starts at 07:00Z.
const office9 = { office9: { timezone: 'Europe/Berlin', active: ['Mon-Fri 09:00-17:00'] } };

describe('planActions at the Pacific midnight', () => {
  const windowStart = policyOf([{ name: 'branch', schedule: 'office9' }], office9);
  const planAt = (iso: string) =>
    planActions({ policy: windowStart, entitlements: [ent('A')], records: [], now: new Date(iso) });

  it('a stop at 23:59:00 PT saves the next day; a stop at 00:00:00 PT does not save that day', () => {
    // Fri 2026-05-08 23:59:00 PDT, inside the window Fri 17:00 – Mon 09:00 Berlin (Mon 00:00 PDT).
    expect(planAt('2026-05-09T06:59:00Z').actions).toMatchObject([
      { action: 'stop', savedPtDays: ['2026-05-09', '2026-05-10'], ptDaysSaved: 2, pointsSaved: 10 },
    ]);
    // Sat 2026-05-09 00:00:00 PDT exactly: Saturday is already charged.
    expect(planAt('2026-05-09T07:00:00Z').actions).toMatchObject([
      { action: 'stop', savedPtDays: ['2026-05-10'], ptDaysSaved: 1, pointsSaved: 5 },
    ]);
  });

  const margin45 = policyOf(
    [{ name: 'lab', schedule: 'office9', billing: { stopTiming: 'lastSafeMoment', marginMinutes: 45 } }],
    office9,
  );
  const lab = (iso: string, schedule?: string) =>
    planActions({
      policy: margin45,
      entitlements: [ent('A')],
      records: [],
      now: new Date(iso),
      ...(schedule && { laterRuns: runsAfter(schedule, new Date(iso)) }),
    });

  it('with hourly runs, stops at the last run that is at least the margin before the midnight', () => {
    // Fri 23:00 PDT; the next hourly run would be 00:00 PDT, too late to save Saturday.
    const plan = lab('2026-05-09T06:00:00Z', '0 0 * * * *');
    expect(plan.actions).toMatchObject([{ action: 'stop', savedPtDays: ['2026-05-09', '2026-05-10'] }]);
    // The run before it defers to that 23:00 run rather than to a moment no run falls on.
    expect(lab('2026-05-09T05:00:00Z', '0 0 * * * *').skipped[0]!.reason).toMatch(
      /deferred to the reconcile run at Sat 2026-05-09 08:00 Europe\/Berlin/,
    );
  });

  it('with runs every 5 minutes, waits for the run 45 minutes before the midnight', () => {
    expect(lab('2026-05-09T06:00:00Z', '0 */5 * * * *').skipped[0]!.reason).toMatch(
      /deferred to the reconcile run at Sat 2026-05-09 08:15 Europe\/Berlin/,
    );
    expect(lab('2026-05-09T06:15:00Z', '0 */5 * * * *').actions).toMatchObject([{ action: 'stop' }]);
  });

  it('stops at once when no later run is known, and never claims a day starting within the margin', () => {
    expect(lab('2026-05-09T05:00:00Z').actions).toMatchObject([
      { action: 'stop', savedPtDays: ['2026-05-09', '2026-05-10'] },
    ]);
    // 23:30 PDT: Saturday starts 30 minutes ahead, less than the 45-minute margin.
    expect(lab('2026-05-09T06:30:00Z').actions).toMatchObject([
      { action: 'stop', savedPtDays: ['2026-05-10'] },
    ]);
    expect(lab('2026-05-09T06:30:00Z', '0 0 * * * *').skipped[0]!.reason).toMatch(
      /deferred to the reconcile run at Sun 2026-05-10 08:00 Europe\/Berlin/,
    );
  });
});

describe('runsAfter', () => {
  it('lists the NCRONTAB runs strictly after the start, in UTC, for the next 26 hours', () => {
    const runs = runsAfter('0 */5 * * * *', new Date('2026-05-09T06:00:00Z'));
    expect(runs[0]!.toISOString()).toBe('2026-05-09T06:05:00.000Z');
    expect(runs).toHaveLength(26 * 12);
    expect(
      runsAfter('30 15 9 * * Mon-Fri', new Date('2026-05-09T00:00:00Z'), 72).map((d) => d.toISOString()),
    ).toEqual(['2026-05-11T09:15:30.000Z']);
  });

  it('names the setting and the accepted form for a bad expression', () => {
    expect(() => runsAfter('*/5 * * * *', new Date(0))).toThrow(
      /^SCALER_SCHEDULE: "\*\/5 \* \* \* \*" — expected an NCRONTAB expression with 6 fields/,
    );
    expect(() => runsAfter('0 */5 * * * Funday', new Date(0))).toThrow(
      /^SCALER_SCHEDULE: .*expected an NCRONTAB/,
    );
  });
});
