import { describe, expect, it } from 'vitest';
import {
  buildInventory,
  capacityInForce,
  hasPoolMarker,
  isPoolMember,
  memberRole,
  poolDescription,
  releaseDueAt,
} from '../../src/app/pools';
import { planDue, planResize, targetSize } from '../../src/app/scale';
import type { Entitlement } from '../../src/lib/fortiflex/types';
import { compileSchedules, validatePolicy } from '../../src/lib/rules';
import type { ClaimRecord, EntitlementRecord } from '../../src/lib/state';
import { poolPolicyDocument } from './pool-support';

const policy = validatePolicy(
  poolPolicyDocument(
    {
      capacity: [
        { schedule: 'office', min: 2, max: 6 },
        { min: 0, max: 3 },
      ],
    },
    { schedules: { office: { timezone: 'Europe/Berlin', active: ['Mon-Fri 07:00-19:00'] } } },
  ),
);
const pool = policy.pools[0]!;
const marker = 'fortiflex-scaler pool vmss-fgt';

function ent(serialNumber: string, status: string, description = marker): Entitlement {
  return {
    serialNumber,
    description,
    configId: 2200,
    accountId: 12345,
    startDate: '',
    endDate: '',
    status,
    token: 'T',
    tokenStatus: status === 'PENDING' ? 'NOTUSED' : 'USED',
  };
}
const mark = (serialNumber: string, at = '2026-03-02T18:00:00.000Z'): EntitlementRecord => ({
  serialNumber,
  stoppedByScaler: false,
  pool: 'vmss-fgt',
  lastAction: 'poolRelease',
  lastActionAt: at,
});
const claim = (serialNumber: string, claimedAt = '2026-03-02T10:00:00.000Z'): ClaimRecord => ({
  pool: 'vmss-fgt',
  instanceId: `vm-${serialNumber}`,
  serialNumber,
  claimedAt,
});
const inventory = (
  entitlements: Entitlement[],
  records: EntitlementRecord[] = [],
  claims: ClaimRecord[] = [],
  bounds = { min: 0, max: 10 },
) => buildInventory({ pool, at: new Date('2026-03-02T18:00:00Z'), bounds, entitlements, records, claims });

describe('membership', () => {
  it('needs the config plus the marker or a record naming the pool', () => {
    expect(hasPoolMarker(marker, 'vmss-fgt')).toBe(true);
    expect(hasPoolMarker(`${marker} - edge`, 'vmss-fgt')).toBe(true);
    expect(hasPoolMarker('fortiflex-scaler pool vmss-fgt-2', 'vmss-fgt')).toBe(false);
    expect(isPoolMember(pool, ent('A', 'ACTIVE'))).toBe(true);
    expect(isPoolMember(pool, { ...ent('A', 'ACTIVE'), configId: 2198 })).toBe(false);
    expect(isPoolMember(pool, ent('A', 'ACTIVE', 'branch'))).toBe(false);
    expect(isPoolMember(pool, ent('A', 'ACTIVE', 'branch'), mark('A'))).toBe(true);
    expect(poolDescription({ ...pool, description: 'edge cluster' })).toBe(`${marker} - edge cluster`);
  });

  it('derives roles from status and the release mark', () => {
    expect(memberRole(ent('A', 'ACTIVE'))).toBe('held');
    expect(memberRole(ent('A', 'PENDING'), mark('A'))).toBe('releasing');
    expect(memberRole(ent('A', 'STOPPED'), mark('A'))).toBe('reserve');
    expect(memberRole(ent('A', 'EXPIRED'))).toBe('unusable');
  });
});

describe('capacity and timing', () => {
  const schedules = compileSchedules(policy);
  it('takes the first entry whose schedule is active', () => {
    expect(capacityInForce(pool, schedules, new Date('2026-03-02T08:00:00Z'))).toEqual({
      min: 2,
      max: 6,
      schedule: 'office',
    });
    expect(capacityInForce(pool, schedules, new Date('2026-03-02T20:00:00Z'))).toEqual({ min: 0, max: 3 });
    const onlyOffice = { ...pool, capacity: [{ schedule: 'office', min: 2, max: 6 }] };
    expect(capacityInForce(onlyOffice, schedules, new Date('2026-03-07T12:00:00Z'))).toEqual({
      min: 0,
      max: 6,
    });
  });

  it('is due one margin before the next PT midnight, at once inside the margin or without deferral', () => {
    // 10:00 PT (PST, UTC-8) → due 23:00 PT = 07:00Z next day.
    expect(releaseDueAt(pool, new Date('2026-03-02T18:00:00Z')).toISOString()).toBe(
      '2026-03-03T07:00:00.000Z',
    );
    const late = new Date('2026-03-03T07:30:00Z');
    expect(releaseDueAt(pool, late).getTime()).toBeLessThan(late.getTime());
    const eager = { ...pool, scaleIn: { deferUntilBillingDayEnd: false, marginMinutes: 60 } };
    expect(releaseDueAt(eager, late)).toEqual(late);
  });
});

describe('planResize', () => {
  it('grows cheapest first and creates only the rest', () => {
    const inv = inventory(
      [ent('A', 'ACTIVE'), ent('B', 'ACTIVE'), ent('C', 'STOPPED'), ent('D', 'PENDING'), ent('E', 'ACTIVE')],
      [mark('B'), mark('D'), mark('E')],
      [claim('E')],
    );
    expect(inv.size).toBe(1);
    expect(planResize(inv, 7)).toEqual([
      { kind: 'cancelRelease', serialNumber: 'E' },
      { kind: 'cancelRelease', serialNumber: 'B' },
      { kind: 'reactivate', serialNumber: 'C' },
      { kind: 'cancelRelease', serialNumber: 'D' },
      { kind: 'create', count: 2 },
    ]);
    expect(planResize(inv, 1)).toEqual([]);
  });

  it('shrinks unclaimed ACTIVE first, then PENDING, then the newest claims', () => {
    const inv = inventory(
      [ent('A', 'ACTIVE'), ent('B', 'PENDING'), ent('C', 'ACTIVE'), ent('D', 'ACTIVE'), ent('E', 'ACTIVE')],
      [],
      [
        claim('C', '2026-03-02T09:00:00Z'),
        claim('D', '2026-03-02T11:00:00Z'),
        claim('E', '2026-03-02T10:00:00Z'),
      ],
    );
    expect(planResize(inv, 1).map((s) => ('serialNumber' in s ? s.serialNumber : s.kind))).toEqual([
      'A',
      'B',
      'D',
      'E',
    ]);
  });

  it('clamps targets to the bounds in force', () => {
    const inv = inventory([ent('A', 'ACTIVE')], [], [], { min: 2, max: 3 });
    expect(targetSize(inv, { delta: -5 })).toBe(2);
    expect(targetSize(inv, { desired: 9 })).toBe(3);
    expect(targetSize(inv, { delta: 1 })).toBe(2);
  });
});

describe('planDue', () => {
  it('moves debts to free members and stops marked ACTIVE members once due', () => {
    const inv = inventory(
      [ent('A', 'ACTIVE'), ent('B', 'ACTIVE'), ent('C', 'PENDING'), ent('D', 'ACTIVE')],
      [mark('A'), mark('C'), mark('D')],
      [claim('D')],
      { min: 0, max: 10 },
    );
    expect(planDue(inv, new Date('2026-03-02T20:00:00Z'))).toEqual([
      { kind: 'moveRelease', from: 'D', to: 'B' },
    ]);
    expect(planDue(inv, new Date('2026-03-03T07:00:00Z'))).toEqual([
      { kind: 'moveRelease', from: 'D', to: 'B' },
      { kind: 'stop', serialNumber: 'A' },
      // Moved at 23:00 PT, inside the margin: due at once, which still saves the next day.
      { kind: 'stop', serialNumber: 'B' },
    ]);
  });
});
