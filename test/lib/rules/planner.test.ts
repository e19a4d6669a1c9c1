import { describe, expect, it } from 'vitest';
import { planActions, runsAfter, type PlannerRecord } from '../../../src/lib/rules';
import { ent, policyOf } from './planner-helpers';

// Week of Monday 2026-05-04: Berlin is UTC+2, Los Angeles UTC-7, so Pacific days start at 09:00 Berlin.
const at = (local: string) => new Date(`${local}+02:00`);
const office9 = { office9: { timezone: 'Europe/Berlin', active: ['Mon-Fri 09:00-17:00'] } };

describe('planActions: off-hours stops and Pacific billing days', () => {
  it('keeps an entitlement active on a weekday night that covers no whole Pacific day', () => {
    const plan = planActions({
      policy: policyOf([{ name: 'branch' }]),
      entitlements: [ent('A')],
      records: [],
      now: at('2026-05-05T19:05:00'),
    });
    expect(plan.actions).toEqual([]);
    expect(plan.skipped).toEqual([
      {
        serialNumber: 'A',
        rule: 'branch',
        reason: expect.stringMatching(
          /^off-hours window Tue 19:00–Wed 07:00 Europe\/Berlin covers no whole Pacific day/,
        ) as unknown as string,
      },
    ]);
  });

  it('stops on a weekday night that saves nothing when skipUnprofitableStops is off', () => {
    const plan = planActions({
      policy: policyOf([{ name: 'branch', billing: { skipUnprofitableStops: false } }]),
      entitlements: [ent('A')],
      records: [],
      now: at('2026-05-05T19:05:00'),
    });
    expect(plan.actions).toMatchObject([
      { serialNumber: 'A', action: 'stop', ptDaysSaved: 0, pointsSaved: 0 },
    ]);
  });

  it('stops on Friday evening in Berlin saving Saturday and Sunday when Monday starts at 09:00', () => {
    const plan = planActions({
      policy: policyOf([{ name: 'branch', schedule: 'office9' }], office9),
      entitlements: [ent('A')],
      records: [],
      now: at('2026-05-08T17:05:00'),
    });
    expect(plan.actions).toEqual([
      {
        serialNumber: 'A',
        action: 'stop',
        rule: 'branch',
        reason:
          'off-hours window Fri 17:00–Mon 09:00 Europe/Berlin: stop saves 2 Pacific days (Sat 2026-05-09, Sun 2026-05-10)',
        ptDaysSaved: 2,
        pointsSaved: 10,
        configId: 10,
        accountId: 1,
        programSerialNumber: 'ELAVMR0000000001',
        savedPtDays: ['2026-05-09', '2026-05-10'],
      },
    ]);
  });

  it('saves only Saturday when Monday starts at 07:00 Berlin (Sunday PT is still running)', () => {
    const plan = planActions({
      policy: policyOf([{ name: 'branch' }]),
      entitlements: [ent('A')],
      records: [],
      now: at('2026-05-08T19:05:00'),
    });
    expect(plan.actions).toMatchObject([
      { action: 'stop', ptDaysSaved: 1, pointsSaved: 5, savedPtDays: ['2026-05-09'] },
    ]);
  });

  it('counts points as 0 with a note when the config has no rate', () => {
    const plan = planActions({
      policy: policyOf([{ name: 'branch', select: { configIds: [99] } }]),
      entitlements: [ent('A', 'ACTIVE', 99)],
      records: [],
      now: at('2026-05-08T19:05:00'),
    });
    expect(plan.actions).toMatchObject([{ action: 'stop', ptDaysSaved: 1, pointsSaved: 0 }]);
    expect(plan.actions[0]!.reason).toMatch(/no rate known for config 99/);
    expect(plan.notes).toEqual([expect.stringMatching(/^no points rate for config 99/)]);
  });

  it('takes rates from the input when the policy does not price a config, the policy winning otherwise', () => {
    const plan = planActions({
      policy: policyOf([{ name: 'branch', select: { configIds: [10, 99] } }]),
      entitlements: [ent('A', 'ACTIVE', 99), ent('B', 'ACTIVE', 10)],
      records: [],
      now: at('2026-05-08T19:05:00'),
      rates: { 99: 3, 10: 100 },
    });
    expect(plan.actions.map((a) => [a.serialNumber, a.pointsSaved])).toEqual([
      ['B', 5],
      ['A', 3],
    ]);
  });
});

describe('planActions: reactivation only undoes what the scaler did', () => {
  const monday = at('2026-05-11T07:05:00');

  it('reactivates on Monday morning what the scaler stopped', () => {
    const plan = planActions({
      policy: policyOf([{ name: 'branch' }]),
      entitlements: [ent('A', 'STOPPED')],
      records: [
        {
          serialNumber: 'A',
          stoppedByScaler: true,
          lastAction: 'stop',
          lastActionAt: '2026-05-08T17:05:00Z',
        },
      ],
      now: monday,
    });
    expect(plan.actions).toMatchObject([
      {
        serialNumber: 'A',
        action: 'reactivate',
        rule: 'branch',
        reason: 'schedule office active since Mon 07:00 Europe/Berlin: reactivate (stopped by the scaler)',
      },
    ]);
  });

  it('leaves an entitlement stopped by someone else alone', () => {
    const plan = planActions({
      policy: policyOf([{ name: 'branch' }]),
      entitlements: [ent('A', 'STOPPED')],
      records: [],
      now: monday,
    });
    expect(plan.actions).toEqual([]);
    expect(plan.skipped[0]!.reason).toMatch(/STOPPED outside the scaler; only undoing its own stops/);
  });

  it('reactivates anything stopped when the rule enforces always', () => {
    const plan = planActions({
      policy: policyOf([{ name: 'branch', enforce: 'always' }]),
      entitlements: [ent('A', 'STOPPED')],
      records: [],
      now: monday,
    });
    expect(plan.actions).toMatchObject([
      { action: 'reactivate', reason: expect.stringMatching(/enforces always/) },
    ]);
  });

  it('never touches PENDING, EXPIRED or GRACE_PERIOD entitlements, in or out of hours', () => {
    for (const now of [monday, at('2026-05-08T19:05:00')]) {
      const plan = planActions({
        policy: policyOf([{ name: 'branch', enforce: 'always' }]),
        entitlements: [ent('P', 'PENDING'), ent('E', 'EXPIRED'), ent('G', 'GRACE_PERIOD')],
        records: [{ serialNumber: 'E', stoppedByScaler: true }],
        now,
      });
      expect(plan.actions).toEqual([]);
      expect(plan.skipped.map((s) => [s.serialNumber, s.reason.split(':')[0]])).toEqual([
        ['P', 'PENDING'],
        ['E', 'EXPIRED'],
        ['G', 'status GRACE_PERIOD'],
      ]);
    }
  });
});

describe('planActions: safety', () => {
  it('caps the plan with reactivations first, then points saved, then serial number', () => {
    const policy = policyOf(
      [
        { name: 'office', select: { configIds: [10] } },
        { name: 'weekend-lab', schedule: 'saturday', select: { configIds: [11, 20] } },
      ],
      {
        office: { timezone: 'Europe/Berlin', active: ['Mon-Fri 07:00-19:00'] },
        saturday: { timezone: 'Europe/Berlin', active: ['Sat 09:00-13:00'] },
      },
      { safety: { maxActionsPerRun: 3 } },
    );
    const records: PlannerRecord[] = ['R2', 'R1'].map((serialNumber) => ({
      serialNumber,
      stoppedByScaler: true,
    }));
    const plan = planActions({
      policy,
      entitlements: [
        ent('S1', 'ACTIVE', 11),
        ent('S3', 'ACTIVE', 20),
        ent('R2', 'STOPPED'),
        ent('S2', 'ACTIVE', 20),
        ent('R1', 'STOPPED'),
      ],
      records,
      now: at('2026-05-11T07:05:00'),
    });
    expect(plan.actions.map((a) => [a.serialNumber, a.action])).toEqual([
      ['R1', 'reactivate'],
      ['R2', 'reactivate'],
      ['S2', 'stop'],
    ]);
    // Mon 07:05 Berlin is Sun 22:05 PT; until Sat 09:00 Berlin (= Sat 00:00 PT) the Pacific days Mon 11 … Fri 15
    // lie wholly inside: 5 days at rate 7.
    expect(plan.actions[2]).toMatchObject({ ptDaysSaved: 5, pointsSaved: 35 });
    expect(plan.skipped.map((s) => s.serialNumber)).toEqual(['S3', 'S1']);
    expect(plan.skipped[0]!.reason).toBe(
      'stop deferred to the next run: safety.maxActionsPerRun (3) reached',
    );
  });

  it('does not stop what the scaler reactivated less than minActiveMinutesAfterReactivate ago', () => {
    const policy = policyOf([{ name: 'branch' }]);
    const records: PlannerRecord[] = [
      {
        serialNumber: 'A',
        stoppedByScaler: false,
        lastAction: 'reactivate',
        lastActionAt: '2026-05-08T16:30:00Z',
      },
    ];
    const early = planActions({ policy, entitlements: [ent('A')], records, now: at('2026-05-08T19:05:00') });
    expect(early.actions).toEqual([]);
    expect(early.skipped[0]!.reason).toMatch(/stays active at least 60 minutes/);
    const later = planActions({ policy, entitlements: [ent('A')], records, now: at('2026-05-08T19:31:00') });
    expect(later.actions).toMatchObject([{ action: 'stop' }]);
  });

  it('does not stop again in the same window after someone reactivated by hand, unless enforce is always', () => {
    const records: PlannerRecord[] = [
      { serialNumber: 'A', stoppedByScaler: true, lastAction: 'stop', lastActionAt: '2026-05-08T17:05:00Z' },
    ];
    const now = at('2026-05-08T21:00:00');
    const own = planActions({
      policy: policyOf([{ name: 'branch' }]),
      entitlements: [ent('A')],
      records,
      now,
    });
    expect(own.actions).toEqual([]);
    expect(own.skipped[0]!.reason).toMatch(/turned back by hand/);
    const always = planActions({
      policy: policyOf([{ name: 'branch', enforce: 'always' }]),
      entitlements: [ent('A')],
      records,
      now,
    });
    expect(always.actions).toMatchObject([{ action: 'stop' }]);
    // A stop from last week's window does not count for this one.
    const lastWeek = planActions({
      policy: policyOf([{ name: 'branch' }]),
      entitlements: [ent('A')],
      records: [{ ...records[0]!, lastActionAt: '2026-05-01T17:05:00Z' }],
      now,
    });
    expect(lastWeek.actions).toMatchObject([{ action: 'stop' }]);
  });
});

describe('planActions: stopTiming lastSafeMoment', () => {
  const policy = policyOf(
    [{ name: 'branch', schedule: 'office9', billing: { stopTiming: 'lastSafeMoment', marginMinutes: 30 } }],
    office9,
  );

  it('defers the stop to the last run before the first saved Pacific day, then stops saving the same days', () => {
    const plan = (local: string) =>
      planActions({
        policy,
        entitlements: [ent('A')],
        records: [],
        now: at(local),
        laterRuns: runsAfter('0 */5 * * * *', at(local)),
      });
    const evening = plan('2026-05-08T17:05:00');
    expect(evening.actions).toEqual([]);
    expect(evening.skipped[0]!.reason).toMatch(
      /^off-hours window Fri 17:00–Mon 09:00 Europe\/Berlin: deferred to the reconcile run at Sat 2026-05-09 08:30 Europe\/Berlin \(lastSafeMoment: stopping then still saves 2 Pacific days/,
    );
    expect(plan('2026-05-09T08:29:00').actions).toEqual([]);
    expect(plan('2026-05-09T08:30:00').actions).toMatchObject([
      { action: 'stop', savedPtDays: ['2026-05-09', '2026-05-10'] },
    ]);
  });

  it('behaves like windowStart for a window that saves nothing but is stopped anyway', () => {
    const p = policyOf([
      { name: 'branch', billing: { stopTiming: 'lastSafeMoment', skipUnprofitableStops: false } },
    ]);
    const plan = planActions({
      policy: p,
      entitlements: [ent('A')],
      records: [],
      now: at('2026-05-05T19:05:00'),
    });
    expect(plan.actions).toMatchObject([{ action: 'stop', ptDaysSaved: 0 }]);
  });
});

describe('planActions: switchConfig off-hours', () => {
  const policy = policyOf([{ name: 'branch', offHours: { switchConfig: 11 } }]);

  it('switches to the smaller config off-hours and back in business hours, remembering the original', () => {
    const friday = planActions({
      policy,
      entitlements: [ent('A')],
      records: [],
      now: at('2026-05-08T19:05:00'),
    });
    expect(friday.actions).toEqual([
      expect.objectContaining({
        action: 'switchConfig',
        configId: 10,
        targetConfigId: 11,
        originalConfigId: 10,
        ptDaysSaved: 1,
        pointsSaved: 3, // rate 5 − rate 2 for one whole Pacific day
      }),
    ]);
    // Applied: the entitlement now runs config 11 and the record remembers 10.
    const switched = ent('A', 'ACTIVE', 11);
    const records: PlannerRecord[] = [
      {
        serialNumber: 'A',
        stoppedByScaler: false,
        lastAction: 'switchConfig',
        lastActionAt: '2026-05-08T17:05:00Z',
        originalConfigId: 10,
      },
    ];
    const saturday = planActions({
      policy,
      entitlements: [switched],
      records,
      now: at('2026-05-09T12:00:00'),
    });
    expect(saturday.actions).toEqual([]);
    expect(saturday.unchanged).toBe(1);
    const monday = planActions({ policy, entitlements: [switched], records, now: at('2026-05-11T07:05:00') });
    expect(monday.actions).toEqual([
      expect.objectContaining({ action: 'switchConfig', configId: 11, targetConfigId: 10, restore: true }),
    ]);
  });
});

describe('planActions: selection and overlapping rules', () => {
  const schedules = {
    office: { timezone: 'Europe/Berlin', active: ['Mon-Fri 07:00-19:00'] },
    late: { timezone: 'Europe/Berlin', active: ['Mon-Fri 12:00-22:00'] },
  };
  const policy = policyOf(
    [
      { name: 'office', billing: { skipUnprofitableStops: false } },
      { name: 'late-shift', schedule: 'late', select: { descriptionPrefix: 'late-' } },
    ],
    schedules,
  );

  it('keeps an entitlement ACTIVE while any of its rules is active', () => {
    const plan = planActions({
      policy,
      entitlements: [ent('BOTH', 'ACTIVE', 10, 'late-1'), ent('ONLY', 'ACTIVE', 10, 'x')],
      records: [],
      now: at('2026-05-05T20:00:00'),
    });
    expect(plan.actions.map((a) => a.serialNumber)).toEqual(['ONLY']);
    expect(plan.unchanged).toBe(1);
  });

  it('reactivates under the rule that is active, and stops when all are inactive until the earliest start', () => {
    const reactivate = planActions({
      policy,
      entitlements: [ent('BOTH', 'STOPPED', 10, 'late-1')],
      records: [{ serialNumber: 'BOTH', stoppedByScaler: true }],
      now: at('2026-05-05T20:00:00'),
    });
    expect(reactivate.actions).toMatchObject([{ action: 'reactivate', rule: 'late-shift' }]);
    const stop = planActions({
      policy,
      entitlements: [ent('BOTH', 'ACTIVE', 10, 'late-1')],
      records: [],
      now: at('2026-05-08T22:05:00'),
    });
    // Office brings it back first (Mon 07:00), so it governs; the window is Fri 22:00 (late-shift end) – Mon 07:00.
    expect(stop.actions).toMatchObject([
      { action: 'stop', rule: 'office', reason: expect.stringMatching(/Fri 22:00–Mon 07:00 Europe\/Berlin/) },
    ]);
  });

  it('lets excludes win over every include', () => {
    const p = policyOf([
      {
        name: 'branch',
        select: { configIds: [10], serialNumbers: ['X'], exclude: { serialNumbers: ['X'] } },
      },
    ]);
    const plan = planActions({
      policy: p,
      entitlements: [ent('X'), ent('Y')],
      records: [],
      now: at('2026-05-08T19:05:00'),
    });
    expect(plan.actions.map((a) => a.serialNumber)).toEqual(['Y']);
    expect(plan.skipped).toEqual([]);
  });

  it('matches folder selectors through the folder map, and notes when there is none', () => {
    const p = policyOf([{ name: 'lab', select: { folderPath: 'My Assets/Lab' } }]);
    const entitlements = [ent('IN', 'ACTIVE', 30), ent('DEEP', 'ACTIVE', 30), ent('OUT', 'ACTIVE', 30)];
    const now = at('2026-05-08T19:05:00');
    const withMap = planActions({
      policy: p,
      entitlements,
      records: [],
      now,
      folders: { IN: 'My Assets/Lab', DEEP: 'My Assets/Lab/Berlin', OUT: 'My Assets/Laboratory' },
    });
    expect(withMap.actions.map((a) => a.serialNumber)).toEqual(['DEEP', 'IN']);
    const withoutMap = planActions({ policy: p, entitlements, records: [], now });
    expect(withoutMap.actions).toEqual([]);
    expect(withoutMap.notes[0]).toMatch(/folderPath selectors match nothing/);
  });

  it('ignores entitlements no rule selects', () => {
    const plan = planActions({
      policy: policyOf([{ name: 'branch' }]),
      entitlements: [ent('OTHER', 'ACTIVE', 77)],
      records: [],
      now: at('2026-05-08T19:05:00'),
    });
    expect(plan).toMatchObject({ actions: [], skipped: [], unchanged: 0 });
  });
});
