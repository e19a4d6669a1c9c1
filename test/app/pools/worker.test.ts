import { afterEach, describe, expect, it } from 'vitest';
import { claimLicense } from '../../../src/app/pools/claims';
import { releaseClaim } from '../../../src/app/pools/release';
import { loadInventory } from '../../../src/app/pools/inventory';
import { PoolBusyError, poolLeaseName } from '../../../src/app/pools/lease';
import { applyScaleMessage } from '../../../src/app/pools/worker';
import { applySteps } from '../../../src/app/pools/steps';
import {
  InvalidScaleMessageError,
  parseScaleMessage,
  type CapacityChange,
  type ScaleMessage,
} from '../../../src/app/pools/message';
import { planDue } from '../../../src/app/pools/plan';
import { CLAIM_GRACE_MS, sweepClaims, sweepPools } from '../../../src/app/pools/sweep';
import { POOL, SCALE_SET, startPoolWorld, statusCounts, type PoolWorld } from './support';

let world: PoolWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

function message(change: CapacityChange): ScaleMessage {
  return { v: 1, kind: 'scale', pool: POOL, change, source: 'cli', reason: 'test', receivedAt: '' };
}

async function scaleTo(w: PoolWorld, change: CapacityChange) {
  return applyScaleMessage(w.deps, message(change), { runId: 'test' });
}

const marked = async (w: PoolWorld) =>
  (await w.store.records.list()).filter((r) => r.lastAction === 'poolRelease').map((r) => r.serialNumber);

describe('pool worker', () => {
  it('scales out by cancelling releases, then reactivating STOPPED, then unparking PENDING, then creating', async () => {
    world = await startPoolWorld({ seed: { active: 1, stopped: 2, pending: 1 } });
    const down = await scaleTo(world, { desired: 0 });
    expect(down).toMatchObject({ before: 2, after: 0 });
    expect(await marked(world)).toHaveLength(2);
    world.sim.resetStats();

    const up = await scaleTo(world, { delta: 5 });
    expect(up).toMatchObject({ before: 0, target: 5, after: 5 });
    expect(up.applied.map((step) => step.kind)).toEqual([
      'cancelRelease',
      'reactivate',
      'reactivate',
      'cancelRelease',
      'create',
    ]);
    expect(world.sim.stats().requests['entitlements/stop'] ?? 0).toBe(0);
    expect(world.sim.stats().requests['entitlements/vm/create']).toBe(1);
    expect(statusCounts(world.members())).toEqual({ ACTIVE: 3, PENDING: 2 });
    // Reactivated spares get a fresh token, so they read as unused, not as FortiGates outside claims.
    expect(world.members().every((e) => e.tokenStatus === 'NOTUSED')).toBe(true);
    expect(world.members().filter((e) => e.description === 'fortiflex-scaler pool vmss-fgt')).toHaveLength(5);
    expect(await marked(world)).toEqual([]);
  });

  it('clamps the target to the capacity in force, with a higher floor in business hours', async () => {
    world = await startPoolWorld({
      pool: {
        capacity: [
          { schedule: 'office', min: 2, max: 3 },
          { min: 0, max: 1 },
        ],
      },
      policy: { schedules: { office: { timezone: 'America/Los_Angeles', active: ['Mon-Fri 07:00-19:00'] } } },
    });
    // Monday 08:00 PT: office hours, the floor is 2.
    const office = await scaleTo(world, { desired: 0 });
    expect(office).toMatchObject({ target: 2, after: 2, bounds: { min: 2, max: 3 } });
    expect((await scaleTo(world, { desired: 10 })).after).toBe(3);
    world.sim.clock.set('2026-03-02T20:00:00-08:00');
    const evening = await scaleTo(world, { delta: 0 });
    expect(evening).toMatchObject({ target: 1, after: 1, bounds: { min: 0, max: 1 } });
  });

  it('makes a scale-in followed by a scale-out on the same PT day cost nothing extra', async () => {
    world = await startPoolWorld({ seed: { active: 2 } });
    const today = '2026-03-02';
    const before = world.sim.pointsCharged({ from: today, to: today });
    expect(before).toBeGreaterThan(0);
    await scaleTo(world, { delta: -1 });
    world.sim.clock.set('2026-03-02T21:00:00-08:00');
    await scaleTo(world, { delta: 1 });
    world.sim.clock.set('2026-03-02T23:45:00-08:00');
    await sweepPools(world.deps, world.sim.clock.now());
    expect(world.sim.pointsCharged({ from: today, to: today })).toBe(before);
    expect(world.sim.stats().requests['entitlements/stop'] ?? 0).toBe(0);
    expect(world.sim.stats().requests['entitlements/reactivate'] ?? 0).toBe(0);
    expect(statusCounts(world.members())).toEqual({ ACTIVE: 2 });
  });

  it('holds a scale-in until just before PT midnight, which saves the following day', async () => {
    world = await startPoolWorld({ seed: { active: 2 } });
    await scaleTo(world, { delta: -1 });
    const [serial] = await marked(world);
    world.sim.clock.set('2026-03-02T22:00:00-08:00');
    await sweepPools(world.deps, world.sim.clock.now());
    expect(world.members().find((e) => e.serialNumber === serial)?.status).toBe('ACTIVE');
    // Due at 23:00 PT (margin 60 minutes).
    world.sim.clock.set('2026-03-02T23:05:00-08:00');
    const report = await sweepPools(world.deps, world.sim.clock.now());
    expect(report.pools[0]).toMatchObject({ applied: [{ kind: 'stop', serialNumber: serial }] });
    expect(world.members().find((e) => e.serialNumber === serial)?.status).toBe('STOPPED');
    world.sim.clock.set('2026-03-04T12:00:00-08:00');
    const other = world.members().find((e) => e.serialNumber !== serial)!.serialNumber;
    expect(world.sim.pointsCharged({ serialNumber: serial, from: '2026-03-03', to: '2026-03-03' })).toBe(0);
    expect(
      world.sim.pointsCharged({ serialNumber: other, from: '2026-03-03', to: '2026-03-03' }),
    ).toBeGreaterThan(0);
    expect(await world.store.records.get(serial!)).toMatchObject({
      stoppedByScaler: true,
      lastAction: 'poolStop',
    });
  });

  it('parks surplus PENDING licenses without any API call and takes them back first', async () => {
    world = await startPoolWorld({ seed: { pending: 2 } });
    world.sim.resetStats();
    expect((await scaleTo(world, { desired: 0 })).after).toBe(0);
    expect((await scaleTo(world, { desired: 1 })).after).toBe(1);
    expect(world.sim.stats().requests['entitlements/stop'] ?? 0).toBe(0);
    expect(world.sim.stats().requests['entitlements/vm/create'] ?? 0).toBe(0);
    expect(await marked(world)).toHaveLength(1);
  });

  it('keeps a scale-in that hits claimed licenses as a debt and stops the license an instance frees', async () => {
    world = await startPoolWorld({ seed: { active: 2 } });
    const a = await claimLicense(world.deps, POOL, 'a', { runId: 't' });
    world.sim.clock.advance(1000);
    const b = await claimLicense(world.deps, POOL, 'b', { runId: 't' });
    await scaleTo(world, { desired: 1 });
    // The newest claim carries the debt; nothing can be stopped while both instances run.
    expect(await marked(world)).toEqual([b.serialNumber]);
    await releaseClaim(world.deps, POOL, 'a', { runId: 't', notifyPool: false });
    world.sim.clock.set('2026-03-02T23:10:00-08:00');
    await sweepPools(world.deps, world.sim.clock.now());
    const status = new Map(world.members().map((e) => [e.serialNumber, e.status]));
    expect(status.get(a.serialNumber)).toBe('STOPPED');
    expect(status.get(b.serialNumber)).toBe('ACTIVE');
    expect(await marked(world)).toEqual([]);
  });

  it('never stops a license in use outside claims, by scale-in or by the sweep enforcing the bounds', async () => {
    world = await startPoolWorld({
      seed: { inUse: 2, active: 1, pending: 1 },
      pool: {
        capacity: [
          { schedule: 'office', min: 0, max: 10 },
          { min: 0, max: 1 },
        ],
      },
      policy: { schedules: { office: { timezone: 'America/Los_Angeles', active: ['Mon-Fri 07:00-19:00'] } } },
    });
    const inUse = world.members().filter((e) => e.tokenStatus === 'USED');
    const down = await scaleTo(world, { desired: 0 });
    // The two FortiGates outside claims keep the size at 2; only the spare and the PENDING one are marked.
    expect(down).toMatchObject({ before: 4, target: 0, after: 2 });
    expect((await marked(world)).sort()).toEqual(
      world
        .members()
        .filter((e) => e.tokenStatus === 'NOTUSED')
        .map((e) => e.serialNumber)
        .sort(),
    );
    // Evening (max 1): the sweep enforces the bounds and runs due releases, through the next PT day.
    for (const at of [
      '2026-03-02T20:00:00-08:00',
      '2026-03-02T23:30:00-08:00',
      '2026-03-03T23:30:00-08:00',
    ]) {
      world.sim.clock.set(at);
      const report = await sweepPools(world.deps, world.sim.clock.now());
      expect(report.pools[0]).toMatchObject({ after: 2, failed: [] });
    }
    expect(world.sim.stats().requests['entitlements/stop']).toBe(1); // the spare only
    for (const e of inUse) {
      expect(world.members().find((m) => m.serialNumber === e.serialNumber)).toMatchObject({
        status: 'ACTIVE',
        tokenStatus: 'USED',
        token: e.token,
      });
    }
    expect(world.sim.pointsCharged({ from: '2026-03-03', to: '2026-03-03' })).toBeGreaterThan(0);
  });

  it('does not stop a parked license whose token was used outside claims after it was parked', async () => {
    world = await startPoolWorld({ seed: { pending: 2 } });
    await scaleTo(world, { desired: 0 });
    expect(await marked(world)).toHaveLength(2);
    const [taken] = world.members();
    world.sim.useToken(taken!.serialNumber); // e.g. handed out by groups/nexttoken or from the portal
    world.sim.clock.set('2026-03-02T23:30:00-08:00');
    const report = await sweepPools(world.deps, world.sim.clock.now());
    expect(report.pools[0]).toMatchObject({ after: 1, applied: [], failed: [] });
    expect(world.sim.stats().requests['entitlements/stop'] ?? 0).toBe(0);
    expect(world.members().find((e) => e.serialNumber === taken!.serialNumber)?.status).toBe('ACTIVE');
  });

  it('looks again right before a stop and refuses when the token was used or the license claimed since', async () => {
    world = await startPoolWorld({ seed: { active: 2 } });
    await scaleTo(world, { desired: 0 });
    world.sim.clock.set('2026-03-02T23:05:00-08:00');
    const inventory = await loadInventory(
      world.deps,
      world.policy,
      world.policy.pools[0]!,
      world.sim.clock.now(),
    );
    const steps = planDue(inventory, world.sim.clock.now());
    expect(steps.map((step) => step.kind)).toEqual(['stop', 'stop']);
    // Between the inventory and the stops: one token is used by hand, the other license is claimed.
    const [used, claimed] = world.members();
    world.sim.useToken(used!.serialNumber);
    await world.store.claims.create({
      pool: POOL,
      instanceId: 'late',
      serialNumber: claimed!.serialNumber,
      claimedAt: world.sim.clock.now().toISOString(),
    });
    const report = await applySteps(
      world.deps,
      inventory,
      steps,
      { runId: 't', actor: 't', reason: 't' },
      world.sim.clock.now(),
    );
    expect(report.failed.map((f) => f.error)).toEqual([
      `refusing to stop ${used!.serialNumber}: its license is in use outside claims`,
      `refusing to stop ${claimed!.serialNumber}: it is claimed`,
    ]);
    expect(world.sim.stats().requests['entitlements/stop'] ?? 0).toBe(0);
    expect(statusCounts(world.members())).toEqual({ ACTIVE: 2 });
  });

  it('makes a license whose claim was released (token not regenerated) a scale-in candidate again', async () => {
    world = await startPoolWorld({ seed: { active: 2 }, pool: { scaleSet: { resourceId: SCALE_SET } } });
    const a = await claimLicense(world.deps, POOL, 'vmss-fgt_0', { runId: 't' });
    const b = await claimLicense(world.deps, POOL, 'vmss-fgt_1', { runId: 't' });
    world.sim.useToken(a.serialNumber);
    world.sim.useToken(b.serialNumber);
    // a leaves through the release API; b's VM disappears and the sweep finds it gone.
    await releaseClaim(world.deps, POOL, 'vmss-fgt_0', { runId: 't', notifyPool: false });
    world.sim.clock.advance(CLAIM_GRACE_MS);
    const deps = { ...world.deps, scaleSets: async () => ['vmss-fgt_0'] };
    const [swept] = await sweepClaims(deps, world.sim.clock.now());
    expect(swept?.released.map((r) => r.serialNumber)).toEqual([b.serialNumber]);
    expect(world.members().every((e) => e.status === 'ACTIVE' && e.tokenStatus === 'USED')).toBe(true);
    for (const serialNumber of [a.serialNumber, b.serialNumber]) {
      expect(await world.store.records.get(serialNumber)).toMatchObject({ lastAction: 'claimRelease' });
    }

    const down = await scaleTo(world, { desired: 0 });
    expect(down).toMatchObject({ before: 2, after: 0 });
    // Marking regenerated the departed instances' tokens: a marked member never carries a used token.
    expect(world.members().map((e) => e.tokenStatus)).toEqual(['NOTUSED', 'NOTUSED']);
    world.sim.clock.set('2026-03-02T23:05:00-08:00');
    await sweepPools(deps, world.sim.clock.now());
    expect(statusCounts(world.members())).toEqual({ STOPPED: 2 });
  });

  it('throws PoolBusyError while another holder has the pool lease', async () => {
    world = await startPoolWorld({ seed: { active: 1 } });
    const lease = await world.store.leases.acquire(poolLeaseName(POOL), 15);
    await expect(
      applyScaleMessage(world.deps, message({ delta: 1 }), { runId: 't', leaseWaitMs: 50 }),
    ).rejects.toBeInstanceOf(PoolBusyError);
    await lease!.release();
    expect(world.members()).toHaveLength(1);
  });
});

describe('parseScaleMessage', () => {
  it('accepts a message as JSON text or object and names the bad field otherwise', () => {
    const valid = message({ delta: -2 });
    expect(parseScaleMessage(JSON.stringify(valid))).toEqual(valid);
    expect(() => parseScaleMessage({ ...valid, change: { delta: 'x' } })).toThrow(/^change/);
    expect(() => parseScaleMessage({ ...valid, pool: '' })).toThrow(/^pool/);
    expect(() => parseScaleMessage('{oops')).toThrow(InvalidScaleMessageError);
  });
});
