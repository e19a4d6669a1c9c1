/**
 * Claims that fail, race or die half-way: the license stays usable by the pool, an instance is told one
 * serial and one unused token, and nothing is left "in use outside claims".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { claimLicense } from '../../../src/app/pools/claims';
import { releaseClaim } from '../../../src/app/pools/release';
import { loadInventory } from '../../../src/app/pools/inventory';
import { sweepClaims } from '../../../src/app/pools/sweep';
import { BusyError } from '../../../src/app/errors';
import { otherWorker, POOL, startPoolWorld, type PoolWorld } from './support';

let world: PoolWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

const opts = { runId: 'test' };

/** The pool as a fresh read sees it. */
async function inventory(w: PoolWorld) {
  return loadInventory(w.deps, w.policy, w.policy.pools[0]!, w.sim.clock.now());
}

/** Claims until the answer is not a retryable failure (as a FortiGate following `Retry-After` does). */
async function claimUntilAnswered(w: PoolWorld, instanceId: string) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await claimLicense(w.deps, POOL, instanceId, opts);
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

describe('a claim that fails after changing a license', () => {
  it('keeps a reused STOPPED member for the same instance when the token cannot be regenerated', async () => {
    world = await startPoolWorld({ seed: { stopped: 1 } });
    const [member] = world.members();
    // Every attempt the client makes (three) fails: the claim fails.
    world.sim.faults.add({
      endpoint: 'entitlements/vm/token',
      times: 3,
      fault: { kind: 'http', status: 500 },
    });
    await expect(claimLicense(world.deps, POOL, 'fgt-a', opts)).rejects.toThrow(/entitlements\/vm\/token/);

    const after = await inventory(world);
    expect(after.inUse).toBe(0);
    expect(after.members.map((m) => m.role)).not.toContain('inUseOutsideClaims');

    // The instance's retry gets that license, with a token nobody used, and nothing is created.
    const retry = await claimLicense(world.deps, POOL, 'fgt-a', opts);
    expect(retry.serialNumber).toBe(member!.serialNumber);
    expect(retry.status).toBe('ACTIVE');
    expect(world.members()).toHaveLength(1);
    expect(world.members()[0]).toMatchObject({
      status: 'ACTIVE',
      tokenStatus: 'NOTUSED',
      token: retry.token,
    });
    expect(world.sim.activateToken(retry.token)).toMatchObject({ ok: true });
  });

  it('keeps it when the reactivation fails after the token was regenerated (reply lost)', async () => {
    world = await startPoolWorld({ seed: { stopped: 1 } });
    world.sim.faults.add({
      endpoint: 'entitlements/reactivate',
      times: 1,
      when: 'after',
      fault: { kind: 'http', status: 500 },
    });
    // The pool's two reads pass; the re-reads that would confirm the lost reply fail.
    world.sim.faults.add({ endpoint: 'entitlements/list', times: 2, fault: { kind: 'delay', ms: 0 } });
    world.sim.faults.add({ endpoint: 'entitlements/list', times: 3, fault: { kind: 'reset' } });
    await expect(claimLicense(world.deps, POOL, 'fgt-a', opts)).rejects.toThrow(/entitlements\/reactivate/);
    world.sim.faults.clear();
    expect(world.members()[0]!.status).toBe('ACTIVE');
    expect((await inventory(world)).inUse).toBe(0);
    const retry = await claimLicense(world.deps, POOL, 'fgt-a', opts);
    expect(world.sim.activateToken(retry.token)).toMatchObject({
      ok: true,
      serialNumber: retry.serialNumber,
    });
  });

  it('returns the license to the pool when the instance never comes back, through the sweep', async () => {
    world = await startPoolWorld({ seed: { stopped: 1 } });
    const [member] = world.members();
    world.sim.faults.add({
      endpoint: 'entitlements/vm/token',
      times: 3,
      fault: { kind: 'http', status: 500 },
    });
    await expect(claimLicense(world.deps, POOL, 'fgt-a', opts)).rejects.toThrow();
    // A claim row left for a retry that never comes is released once it is stale.
    const later = { ...world.deps, wallClock: () => Date.now() + 10 * 60_000 };
    const [report] = await sweepClaims(later, world.sim.clock.now());
    expect(report!.released).toEqual([
      { instanceId: 'fgt-a', serialNumber: member!.serialNumber, reason: 'claim never completed' },
    ]);
    const next = await claimLicense(world.deps, POOL, 'fgt-b', opts);
    expect(next.serialNumber).toBe(member!.serialNumber);
    expect(world.sim.activateToken(next.token)).toMatchObject({ ok: true });
    expect(world.members()).toHaveLength(1);
    expect((await inventory(world)).inUse).toBe(0);
  });
});

describe('a repeat claim racing the first', () => {
  it('answers the same serial and the same unused token as the first attempt', async () => {
    world = await startPoolWorld({ seed: { stopped: 1 } });
    const [member] = world.members();
    const second = await otherWorker(world);
    // The first attempt is slow to regenerate the previous VM's token.
    world.sim.faults.add({ endpoint: 'entitlements/vm/token', times: 1, fault: { kind: 'delay', ms: 800 } });
    const first = claimLicense(world.deps, POOL, 'fgt-a', opts);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const repeat = await claimLicense(second, POOL, 'fgt-a', opts);
    const answer = await first;
    expect(repeat.serialNumber).toBe(answer.serialNumber);
    expect(repeat.token).toBe(answer.token);
    expect(answer.token).not.toBe(member!.token);
    expect(world.sim.activateToken(answer.token)).toMatchObject({
      ok: true,
      serialNumber: member!.serialNumber,
    });
  });

  it('answers busy (503 + Retry-After) rather than guess while the first attempt is still at work', async () => {
    world = await startPoolWorld({ seed: { stopped: 1 } });
    const second = await otherWorker(world);
    world.sim.faults.add({
      endpoint: 'entitlements/vm/token',
      times: 1,
      fault: { kind: 'delay', ms: 1_000 },
    });
    const first = claimLicense(world.deps, POOL, 'fgt-a', opts);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const error = await claimLicense(second, POOL, 'fgt-a', { ...opts, repeatWaitMs: 100 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BusyError);
    expect((error as BusyError).retryAfterSeconds).toBeGreaterThan(0);
    const answer = await first;
    expect(world.sim.activateToken(answer.token)).toMatchObject({ ok: true });
  });
});

describe('a claim whose process died half-way', () => {
  it('is finished by the same instance’s next claim, and blocks nobody else', async () => {
    world = await startPoolWorld({ seed: { stopped: 2 } });
    const [dead, other] = world.members();
    // What a process killed after taking the claim row and reactivating leaves: an incomplete row and an
    // ACTIVE license with the previous VM's used token.
    await world.store.claims.create({
      pool: POOL,
      instanceId: 'fgt-a',
      serialNumber: dead!.serialNumber,
      claimedAt: world.sim.clock.now().toISOString(),
      complete: false,
      attemptId: 'killed',
      attemptAt: new Date(Date.now() - 5 * 60_000).toISOString(),
    });
    await world.client.reactivateEntitlement({ serialNumber: dead!.serialNumber });
    expect((await inventory(world)).inUse).toBe(0);

    const b = await claimLicense(world.deps, POOL, 'fgt-b', opts);
    expect(b.serialNumber).toBe(other!.serialNumber);
    const a = await claimUntilAnswered(world, 'fgt-a');
    expect(a.serialNumber).toBe(dead!.serialNumber);
    expect(a.token).not.toBe(dead!.token);
    expect(world.sim.activateToken(a.token)).toMatchObject({ ok: true, serialNumber: dead!.serialNumber });
    expect(world.members()).toHaveLength(2);
  });

  it('is left alone while its attempt may still be at work: no sweep release, no DELETE, no second answer', async () => {
    world = await startPoolWorld({ seed: { stopped: 1 } });
    const [member] = world.members();
    await world.store.claims.create({
      pool: POOL,
      instanceId: 'fgt-a',
      serialNumber: member!.serialNumber,
      claimedAt: world.sim.clock.now().toISOString(),
      complete: false,
      attemptId: 'alive',
      attemptAt: new Date().toISOString(),
    });
    const [report] = await sweepClaims(world.deps, world.sim.clock.now());
    expect(report!.released).toEqual([]);
    await expect(releaseClaim(world.deps, POOL, 'fgt-a', opts)).rejects.toBeInstanceOf(BusyError);
    await expect(
      claimLicense(world.deps, POOL, 'fgt-a', { ...opts, repeatWaitMs: 50 }),
    ).rejects.toBeInstanceOf(BusyError);
    expect(await world.store.claims.get(POOL, 'fgt-a')).toMatchObject({
      complete: false,
      attemptId: 'alive',
    });
    // Past the attempt's budget, the instance's next claim finishes the job.
    const later = { ...world.deps, wallClock: () => Date.now() + 10 * 60_000 };
    const a = await claimLicense(later, POOL, 'fgt-a', opts);
    expect(a).toMatchObject({ serialNumber: member!.serialNumber, status: 'ACTIVE', source: 'resumed' });
    expect(world.sim.activateToken(a.token)).toMatchObject({ ok: true });
  });
});
