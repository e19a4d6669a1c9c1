import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entitlement } from '../../../src/lib/fortiflex/types';
import {
  compileSchedules,
  planActions,
  ptDayEnd,
  ptDayStart,
  type Plan,
  type PlannerRecord,
  type Policy,
} from '../../../src/lib/rules';
import { PROPERTY_ZONES } from '../../support/zones';
import { ent, policyOf } from './planner-helpers';

const DAYS = ['Mon-Fri', 'Mon-Thu', 'Tue-Sat', 'daily', 'Sat', 'Mon,Wed,Fri', 'Sun'];
const YEAR_START = Date.parse('2026-01-01T00:00:00Z');
const YEAR_END = Date.parse('2027-01-01T00:00:00Z');

const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
const span = fc
  .tuple(fc.constantFrom(...DAYS), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 1, max: 24 }))
  .filter(([, a, b]) => a !== b % 24)
  .map(([days, a, b]) => `${days} ${hh(a)}-${hh(b)}`);
const schedule = fc.record({
  timezone: fc.constantFrom(...PROPERTY_ZONES),
  active: fc.array(span, { minLength: 1, maxLength: 2 }),
});
const instant = fc
  .integer({ min: YEAR_START, max: YEAR_END })
  .map((ms) => new Date(Math.floor(ms / 60_000) * 60_000));
const ruleOptions = fc.record({
  offHours: fc.constantFrom<'stop' | { switchConfig: number }>('stop', { switchConfig: 11 }),
  enforce: fc.constantFrom('ownChangesOnly', 'always'),
  billing: fc.record({
    skipUnprofitableStops: fc.boolean(),
    stopTiming: fc.constantFrom('windowStart', 'lastSafeMoment'),
    marginMinutes: fc.integer({ min: 0, max: 120 }),
  }),
});

/** Applies a plan the way the apply layer does: new statuses/configs and the records it writes. */
function apply(plan: Plan, entitlements: Entitlement[], records: PlannerRecord[]) {
  const byRecord = new Map(records.map((r) => [r.serialNumber, { ...r }]));
  const next = entitlements.map((e) => ({ ...e }));
  for (const action of plan.actions) {
    const e = next.find((x) => x.serialNumber === action.serialNumber)!;
    const record: PlannerRecord = byRecord.get(e.serialNumber) ?? {
      serialNumber: e.serialNumber,
      stoppedByScaler: false,
    };
    record.lastAction = action.action;
    record.lastActionAt = plan.at;
    if (action.action === 'stop') {
      e.status = 'STOPPED';
      record.stoppedByScaler = true;
    } else if (action.action === 'reactivate') {
      e.status = 'ACTIVE';
      record.stoppedByScaler = false;
    } else {
      e.configId = action.targetConfigId!;
      record.originalConfigId = action.restore ? undefined : action.originalConfigId;
    }
    byRecord.set(e.serialNumber, record);
  }
  return { entitlements: next, records: [...byRecord.values()] };
}

const entitlementSet = fc
  .array(
    fc.record({
      status: fc.constantFrom('ACTIVE', 'STOPPED', 'PENDING'),
      configId: fc.constantFrom(10, 20),
      stoppedByScaler: fc.boolean(),
      hasRecord: fc.boolean(),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((list) => ({
    entitlements: list.map((x, i) => ent(`S${String(i).padStart(2, '0')}`, x.status, x.configId)),
    records: list.flatMap((x, i) =>
      x.hasRecord
        ? [{ serialNumber: `S${String(i).padStart(2, '0')}`, stoppedByScaler: x.stoppedByScaler }]
        : [],
    ),
  }));

function twoRulePolicy(a: unknown, b: unknown, options: object, cap = 1000): Policy {
  return policyOf(
    [
      { name: 'first', schedule: 'a', select: { configIds: [10, 20] }, ...options },
      { name: 'second', schedule: 'b', select: { configIds: [20] }, ...options },
    ],
    { a, b },
    { safety: { maxActionsPerRun: cap, minActiveMinutesAfterReactivate: 60 } },
  );
}

describe('planActions properties', () => {
  it('never counts a Pacific day with any active minute of a selecting schedule as saved', () => {
    fc.assert(
      fc.property(schedule, schedule, instant, (a, b, now) => {
        const policy = twoRulePolicy(a, b, { billing: { skipUnprofitableStops: false } });
        const compiled = compileSchedules(policy);
        const plan = planActions({ policy, entitlements: [ent('X', 'ACTIVE', 20)], records: [], now });
        for (const action of plan.actions) {
          for (const day of action.savedPtDays) {
            const start = ptDayStart(day);
            const end = ptDayEnd(day);
            expect(start.getTime()).toBeGreaterThanOrEqual(now.getTime());
            for (const s of compiled.values()) {
              expect(s.isActive(start)).toBe(false);
              const next = s.nextTransition(start);
              expect(next === null || next.at.getTime() >= end.getTime()).toBe(true);
              // Independent of nextTransition: sample the day every 15 minutes.
              for (let t = start.getTime(); t < end.getTime(); t += 15 * 60_000) {
                expect(s.isActive(new Date(t))).toBe(false);
              }
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is idempotent: planning the result of an applied plan yields no actions', () => {
    fc.assert(
      fc.property(schedule, schedule, ruleOptions, entitlementSet, instant, (a, b, options, world, now) => {
        const policy = twoRulePolicy(a, b, options);
        const plan = planActions({ policy, ...world, now });
        const after = apply(plan, world.entitlements, world.records);
        const again = planActions({ policy, ...after, now });
        expect(again.actions).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('never exceeds maxActionsPerRun and keeps reactivations ahead of stops', () => {
    fc.assert(
      fc.property(
        schedule,
        schedule,
        ruleOptions,
        entitlementSet,
        instant,
        fc.integer({ min: 1, max: 6 }),
        (a, b, options, world, now, cap) => {
          const full = planActions({ policy: twoRulePolicy(a, b, options), ...world, now });
          const capped = planActions({ policy: twoRulePolicy(a, b, options, cap), ...world, now });
          expect(capped.actions.length).toBeLessThanOrEqual(cap);
          expect(capped.actions).toEqual(full.actions.slice(0, cap));
          const overCap = capped.skipped
            .filter((s) => /maxActionsPerRun/.test(s.reason))
            .map((s) => s.serialNumber);
          expect(overCap).toEqual(full.actions.slice(cap).map((x) => x.serialNumber));
          const firstStop = capped.actions.findIndex((x) => x.action !== 'reactivate' && !x.restore);
          if (firstStop >= 0) {
            expect(capped.actions.slice(firstStop).some((x) => x.action === 'reactivate' || x.restore)).toBe(
              false,
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('wants the same state everywhere between two reported transitions', () => {
    fc.assert(
      fc.property(schedule, instant, fc.double({ min: 0, max: 1, noNaN: true }), (a, now, fraction) => {
        const policy = policyOf(
          [{ name: 'only', schedule: 'a', billing: { skipUnprofitableStops: false } }],
          { a },
        );
        const next = compileSchedules(policy).get('a')!.nextTransition(now);
        const end = next?.at.getTime() ?? now.getTime() + 3 * 86_400_000;
        const later = new Date(now.getTime() + Math.floor((end - now.getTime() - 1) * fraction));
        const world = {
          entitlements: [ent('ON'), ent('OFF', 'STOPPED')],
          records: [{ serialNumber: 'OFF', stoppedByScaler: true }],
        };
        const shape = (p: Plan) => p.actions.map((x) => `${x.serialNumber}:${x.action}`);
        expect(shape(planActions({ policy, ...world, now: later }))).toEqual(
          shape(planActions({ policy, ...world, now })),
        );
      }),
      { numRuns: 300 },
    );
  });
});
