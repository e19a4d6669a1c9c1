import { afterEach, describe, expect, it } from 'vitest';
import {
  claimLicense,
  InvalidInstanceIdError,
  normalizeInstanceId,
  PoolAtMaxError,
} from '../../../src/app/pools/claims';
import { ClaimNotFoundError, releaseClaim } from '../../../src/app/pools/release';
import { applyScaleMessage } from '../../../src/app/pools/worker';
import { POOL, startPoolWorld, statusCounts, type PoolWorld } from './support';

let world: PoolWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

const opts = { runId: 'test' };

describe('claimLicense', () => {
  it('gives 40 instances one serial each under 100 concurrent claims, creating only what is missing', async () => {
    world = await startPoolWorld({ seed: { active: 3, stopped: 4, pending: 5 } });
    const before = world.members().length;
    const instances = Array.from({ length: 40 }, (_, i) => `fgt-vmss_${i}`);
    // Every instance at least twice, some three times, in an interleaved order.
    const requests = Array.from({ length: 100 }, (_, i) => instances[(i * 7) % 40]!);
    const results = await Promise.all(
      requests.map(async (instanceId) => ({
        instanceId,
        result: await claimLicense(world!.deps, POOL, instanceId, opts),
      })),
    );

    const serialOf = new Map<string, string>();
    for (const { instanceId, result } of results) {
      const seen = serialOf.get(instanceId);
      if (seen) expect(result.serialNumber).toBe(seen);
      else serialOf.set(instanceId, result.serialNumber);
    }
    expect(serialOf.size).toBe(40);
    expect(new Set(serialOf.values()).size).toBe(40);
    // 12 members existed (3 active, 4 stopped, 5 pending): exactly 28 more were needed.
    expect(world.members().length - before).toBe(28);
    const claims = await world.store.claims.list(POOL);
    expect(claims).toHaveLength(40);
    expect(new Map(claims.map((c) => [c.instanceId, c.serialNumber]))).toEqual(serialOf);
    expect(statusCounts(world.members())).toEqual({ ACTIVE: 7, PENDING: 33 });
  });

  it('answers a repeat claim from the claim row without regenerating the token', async () => {
    world = await startPoolWorld({ seed: { stopped: 1 } });
    const first = await claimLicense(world.deps, POOL, 'fgt_0', opts);
    expect(first.source).toBe('reactivated');
    world.sim.resetStats();
    const again = await claimLicense(world.deps, POOL, 'fgt_0', opts);
    expect(again).toEqual({ ...first, source: 'repeat' });
    expect(world.sim.stats().requests['entitlements/vm/token'] ?? 0).toBe(0);
    expect(world.sim.stats().requests['entitlements/vm/create'] ?? 0).toBe(0);
  });

  it('regenerates the token of a reused STOPPED entitlement before revealing it', async () => {
    world = await startPoolWorld({ seed: { stopped: 1 } });
    const [stopped] = world.members();
    const result = await claimLicense(world.deps, POOL, 'fgt_0', opts);
    expect(result.serialNumber).toBe(stopped!.serialNumber);
    expect(result.status).toBe('ACTIVE');
    expect(result.token).not.toBe(stopped!.token);
    expect(world.members()[0]).toMatchObject({
      status: 'ACTIVE',
      tokenStatus: 'NOTUSED',
      token: result.token,
    });
  });

  it('hands out a PENDING token as is, and regenerates it when the instance leaves without using it', async () => {
    world = await startPoolWorld({ seed: { pending: 1 } });
    const [pending] = world.members();
    const result = await claimLicense(world.deps, POOL, 'fgt_0', opts);
    expect(result).toMatchObject({
      serialNumber: pending!.serialNumber,
      token: pending!.token,
      status: 'PENDING',
    });
    await releaseClaim(world.deps, POOL, 'fgt_0', { ...opts, notifyPool: false });
    expect(world.members()[0]!.token).not.toBe(pending!.token);
    const next = await claimLicense(world.deps, POOL, 'fgt_1', opts);
    expect(next.serialNumber).toBe(pending!.serialNumber);
    expect(next.token).not.toBe(pending!.token);
  });

  it('never hands out a license in use outside claims, and counts it against max', async () => {
    world = await startPoolWorld({
      seed: { inUse: 2, pending: 1 },
      pool: { capacity: [{ min: 0, max: 4 }] },
    });
    const inUse = world.members().filter((e) => e.tokenStatus === 'USED');
    const first = await claimLicense(world.deps, POOL, 'a', opts);
    expect(first.source).toBe('held');
    const second = await claimLicense(world.deps, POOL, 'b', opts);
    expect(second.source).toBe('created');
    for (const e of inUse) expect([first.serialNumber, second.serialNumber]).not.toContain(e.serialNumber);
    const error = await claimLicense(world.deps, POOL, 'c', opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolAtMaxError);
    expect((error as PoolAtMaxError).numbers).toMatchObject({ max: 4, claimed: 2, inUse: 2 });
    // Their tokens were neither regenerated nor revealed.
    for (const e of inUse) {
      expect(world.members().find((m) => m.serialNumber === e.serialNumber)?.token).toBe(e.token);
    }
  });

  it('hands a released license to the next instance with a fresh token and forgets the release', async () => {
    world = await startPoolWorld({ seed: { active: 1 } });
    const a = await claimLicense(world.deps, POOL, 'a', opts);
    world.sim.useToken(a.serialNumber);
    await releaseClaim(world.deps, POOL, 'a', { ...opts, notifyPool: false });
    expect((await world.store.records.get(a.serialNumber))?.lastAction).toBe('claimRelease');
    const b = await claimLicense(world.deps, POOL, 'b', opts);
    expect(b).toMatchObject({ serialNumber: a.serialNumber, source: 'held' });
    expect(b.token).not.toBe(a.token);
    // The record no longer vouches for the token: b's instance is the one using it now.
    expect((await world.store.records.get(a.serialNumber))?.lastAction).toBe('claimAssign');
  });

  it('treats a released license whose new token is then used outside claims as in use', async () => {
    world = await startPoolWorld({ seed: { pending: 1 } });
    const a = await claimLicense(world.deps, POOL, 'a', opts);
    await releaseClaim(world.deps, POOL, 'a', { ...opts, notifyPool: false });
    // Never used, so the release regenerated the token; the record does not vouch for the new one.
    expect((await world.store.records.get(a.serialNumber))?.lastAction).toBe('claimReleaseNewToken');
    world.sim.useToken(a.serialNumber);
    const b = await claimLicense(world.deps, POOL, 'b', opts);
    expect(b.source).toBe('created');
    expect(b.serialNumber).not.toBe(a.serialNumber);
  });

  it('answers 409 numbers when the pool is at max', async () => {
    world = await startPoolWorld({ seed: { pending: 1 }, pool: { capacity: [{ min: 0, max: 2 }] } });
    await claimLicense(world.deps, POOL, 'a', opts);
    await claimLicense(world.deps, POOL, 'b', opts);
    const error = await claimLicense(world.deps, POOL, 'c', opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolAtMaxError);
    expect((error as PoolAtMaxError).numbers).toEqual({
      pool: POOL,
      min: 0,
      max: 2,
      claimed: 2,
      inUse: 0,
      active: 0,
    });
    expect(world.members()).toHaveLength(2);
  });

  it('reuses a license whose release is pending at no cost', async () => {
    world = await startPoolWorld({ seed: { active: 2 } });
    await applyScaleMessage(
      world.deps,
      {
        v: 1,
        kind: 'scale',
        pool: POOL,
        change: { desired: 1 },
        source: 'cli',
        reason: 'test',
        receivedAt: '',
      },
      { runId: 't' },
    );
    const marked = await world.store.records.list();
    expect(marked.filter((r) => r.lastAction === 'poolRelease')).toHaveLength(1);
    await claimLicense(world.deps, POOL, 'a', opts);
    const result = await claimLicense(world.deps, POOL, 'b', opts);
    expect(result.source).toBe('cancelRelease');
    expect(statusCounts(world.members())).toEqual({ ACTIVE: 2 });
    expect((await world.store.records.get(result.serialNumber))?.lastAction).toBe('claimAssign');
  });
});

describe('releaseClaim', () => {
  it('answers 404 for an unknown instance and 204 twice for a double release', async () => {
    world = await startPoolWorld({ seed: { active: 1 } });
    await expect(releaseClaim(world.deps, POOL, 'nobody', opts)).rejects.toBeInstanceOf(ClaimNotFoundError);
    world.sim.clock.advance(1000);
    await expect(releaseClaim(world.deps, POOL, 'nobody', opts)).rejects.toBeInstanceOf(ClaimNotFoundError);
    await claimLicense(world.deps, POOL, 'fgt_0', opts);
    expect(await releaseClaim(world.deps, POOL, 'fgt_0', opts)).toBe('released');
    expect(await releaseClaim(world.deps, POOL, 'fgt_0', opts)).toBe('alreadyReleased');
    expect(await world.store.claims.list(POOL)).toEqual([]);
    const [message] = await world.store.queue.receive(1);
    expect(message?.body).toMatchObject({ kind: 'settle', pool: POOL, source: 'release' });
  });

  it('regenerates a used token on request so the departed instance token is dead', async () => {
    world = await startPoolWorld({ seed: { active: 1 } });
    const result = await claimLicense(world.deps, POOL, 'fgt_0', opts);
    world.sim.useToken(result.serialNumber);
    await releaseClaim(world.deps, POOL, 'fgt_0', { ...opts, regenerateToken: true, notifyPool: false });
    expect(world.members()[0]).toMatchObject({ tokenStatus: 'NOTUSED' });
    expect(world.members()[0]!.token).not.toBe(result.token);
  });
});

describe('normalizeInstanceId', () => {
  it('lower-cases VM names and rejects ids that are not VM names', () => {
    expect(normalizeInstanceId('FGT-VMSS_3')).toBe('fgt-vmss_3');
    for (const bad of ['', ' x', 'a/b', 'x'.repeat(129), 42, undefined]) {
      expect(() => normalizeInstanceId(bad)).toThrow(InvalidInstanceIdError);
    }
  });
});
