import { describe, expect, it } from 'vitest';
import {
  buildInventory,
  capacityInForce,
  hasPoolMarker,
  isPoolMember,
  memberRole,
  poolDescription,
  releaseDueAt,
} from '../../../src/app/pools/membership';
import { planDue, planResize, targetSize } from '../../../src/app/pools/plan';
import type { Entitlement } from '../../../src/lib/fortiflex/types';
import { compileSchedules, validatePolicy } from '../../../src/lib/rules';
import type { ClaimRecord, EntitlementRecord } from '../../../src/lib/state';
import { poolPolicyDocument } from './support';

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

/** A pool member; ACTIVE ones default to an unused token (spares), `used` gives a used one. */
function ent(
  serialNumber: string,
  status: string,
  description = marker,
  used = status === 'STOPPED',
): Entitlement {
  return {
    serialNumber,
    description,
    configId: 2200,
    accountId: 12345,
    startDate: '',
    endDate: '',
    status,
    token: 'T',
    tokenStatus: used ? 'USED' : 'NOTUSED',
  };
}
/** ACTIVE with a used token: a FortiGate runs on it (claimed, or outside claims when unclaimed). */
const used = (serialNumber: string): Entitlement => ent(serialNumber, 'ACTIVE', marker, true);
/** The record the release path writes: the instance that used the token is gone. */
const released = (serialNumber: string): EntitlementRecord => ({
  serialNumber,
  stoppedByScaler: false,
  pool: 'vmss-fgt',
  lastAction: 'claimRelease',
  lastActionAt: '2026-03-02T17:00:00.000Z',
});
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

  it('derives roles from status, token, claim and the release mark', () => {
    expect(memberRole(ent('A', 'ACTIVE'))).toBe('held');
    expect(memberRole(ent('A', 'PENDING'), mark('A'))).toBe('releasing');
    expect(memberRole(ent('A', 'STOPPED'), mark('A'))).toBe('reserve');
    expect(memberRole(ent('A', 'EXPIRED'))).toBe('unusable');
    // A used token without a claim: a FortiGate the scaler knows nothing about may run on it.
    expect(memberRole(used('A'))).toBe('inUseOutsideClaims');
    expect(memberRole(used('A'), { serialNumber: 'A', stoppedByScaler: false, lastAction: 'poolStop' })).toBe(
      'inUseOutsideClaims',
    );
    // A release mark does not override it: the token was used after the mark (or before this version).
    expect(memberRole(used('A'), mark('A'))).toBe('inUseOutsideClaims');
    expect(memberRole(used('A'), mark('A'), claim('A'))).toBe('releasing');
    expect(memberRole(used('A'), undefined, claim('A'))).toBe('held');
    // Released by the scaler: the instance that used the token is gone, the license is a spare again.
    expect(memberRole(used('A'), released('A'))).toBe('held');
  });

  it('counts members in use outside claims toward the size and as in use', () => {
    const inv = inventory(
      [used('A'), used('B'), ent('C', 'PENDING'), used('D'), used('E')],
      [released('B')],
      [claim('D')],
    );
    expect(inv.members.map((m) => m.role)).toEqual([
      'inUseOutsideClaims',
      'held',
      'held',
      'held',
      'inUseOutsideClaims',
    ]);
    expect(inv).toMatchObject({ size: 5, claimed: 1, inUse: 2, active: 4 });
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

  it('never marks a member in use outside claims, but marks one whose instance the scaler released', () => {
    const inv = inventory(
      [used('A'), used('B'), ent('C', 'PENDING'), used('D'), used('E')],
      [mark('B'), released('E')],
      [claim('D')],
    );
    expect(inv.size).toBe(5);
    // A and B (a used token under an old mark) are in use outside claims: only E, C and the claim D qualify.
    expect(planResize(inv, 0)).toEqual([
      { kind: 'markRelease', serialNumber: 'E' },
      { kind: 'markRelease', serialNumber: 'C' },
      { kind: 'markRelease', serialNumber: 'D' },
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

  it('never moves a debt to, or stops, a member in use outside claims', () => {
    const inv = inventory([used('A'), used('B'), used('D')], [mark('B'), mark('D')], [claim('D')]);
    expect(inv.members.map((m) => m.role)).toEqual(['inUseOutsideClaims', 'inUseOutsideClaims', 'releasing']);
    expect(planDue(inv, new Date('2026-03-04T07:00:00Z'))).toEqual([]);
  });
});
