/**
 * First claims from a worker's inventory hint: no pool listing on the critical path, yet a stale hint never
 * hands out a member in use outside claims, never gives one serial to two instances, never lets a repeat
 * that the hint missed get a second serial, and never lets the pool pass max.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { claimLicense, PoolAtMaxError } from '../../../src/app/pools/claims';
import { otherWorker, POOL, startPoolWorld, type PoolWorld } from './support';

let world: PoolWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

const opts = { runId: 'test' };

describe('claims from the inventory hint', () => {
  it('makes a first claim in a warm worker with one point read and no listing', async () => {
    world = await startPoolWorld({ seed: { pending: 4 } });
    await claimLicense(world.deps, POOL, 'warm', opts);
    const claimsList = vi.spyOn(world.store.claims, 'list');
    const recordsList = vi.spyOn(world.store.records, 'list');
    const claimsGet = vi.spyOn(world.store.claims, 'get');
    const listEntitlements = vi.spyOn(world.client, 'listEntitlements');

    const result = await claimLicense(world.deps, POOL, 'fgt_1', opts);

    expect(result.source).toBe('held');
    expect(claimsList).not.toHaveBeenCalled();
    expect(recordsList).not.toHaveBeenCalled();
    // An instance the hint does not know is not looked up first: the insert-if-absent decides.
    expect(claimsGet).not.toHaveBeenCalled();
    expect(listEntitlements).toHaveBeenCalledTimes(1);
    expect(listEntitlements.mock.calls[0]![1]).toEqual({ serialNumber: result.serialNumber });
    expect((await world.store.claims.get(POOL, 'fgt_1'))?.serialNumber).toBe(result.serialNumber);

    // A repeat the hint knows reads its claim row and its entitlement only.
    listEntitlements.mockClear();
    claimsGet.mockClear();
    const again = await claimLicense(world.deps, POOL, 'fgt_1', opts);
    expect(again).toEqual({ ...result, source: 'repeat' });
    expect(claimsGet).toHaveBeenCalledTimes(1);
    expect(listEntitlements).toHaveBeenCalledTimes(1);
    expect(claimsList).not.toHaveBeenCalled();
  });

  it('skips a member whose token was used outside claims after the hint was taken', async () => {
    world = await startPoolWorld({ seed: { pending: 2 } });
    const warm = await claimLicense(world.deps, POOL, 'warm', opts);
    const other = world.members().find((e) => e.serialNumber !== warm.serialNumber)!;
    // A FortiGate boots with the other member's token, which the hint still shows PENDING and free.
    world.sim.useToken(other.serialNumber);
    const result = await claimLicense(world.deps, POOL, 'fgt_1', opts);
    expect(result.source).toBe('created');
    expect([warm.serialNumber, other.serialNumber]).not.toContain(result.serialNumber);
    expect(world.members().find((e) => e.serialNumber === other.serialNumber)?.token).toBe(other.token);
  });

  it('keeps one serial per instance and one instance per serial across workers with stale hints', async () => {
    world = await startPoolWorld({ seed: { pending: 3 } });
    const second = await otherWorker(world);
    // Both workers warm their hints while the pool has three free members.
    await claimLicense(world.deps, POOL, 'warm-a', opts);
    await claimLicense(second, POOL, 'warm-b', opts);
    // The second worker takes the last free member; the first worker's hint still shows it free.
    const b = await claimLicense(second, POOL, 'fgt_b', opts);
    const a = await claimLicense(world.deps, POOL, 'fgt_a', opts);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.source).toBe('created');
    // A repeat of fgt_b reaching the first worker, whose hint never saw that claim, gets the same serial.
    const repeat = await claimLicense(world.deps, POOL, 'fgt_b', opts);
    expect(repeat).toEqual({ ...b, source: 'repeat' });
    const claims = await world.store.claims.list(POOL);
    expect(claims).toHaveLength(4);
    expect(new Set(claims.map((c) => c.serialNumber)).size).toBe(4);
    expect(world.members()).toHaveLength(4);
  });

  it('answers 409 when other workers filled the pool after this worker took its hint', async () => {
    world = await startPoolWorld({ seed: { pending: 3 }, pool: { capacity: [{ min: 0, max: 3 }] } });
    const second = await otherWorker(world);
    await claimLicense(world.deps, POOL, 'a', opts);
    await claimLicense(second, POOL, 'b', opts);
    await claimLicense(second, POOL, 'c', opts);
    // This worker's hint shows one claim of three: the insert and the lease path's fresh reads decide.
    const error = await claimLicense(world.deps, POOL, 'd', opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolAtMaxError);
    expect((error as PoolAtMaxError).numbers).toMatchObject({ max: 3, claimed: 3 });
    expect(world.members()).toHaveLength(3);
    expect(await world.store.claims.get(POOL, 'd')).toBeUndefined();
  });

  it('does not take a member from the hint when the pool holds more than max', async () => {
    world = await startPoolWorld({ seed: { pending: 3 }, pool: { capacity: [{ min: 0, max: 3 }] } });
    const second = await otherWorker(world);
    await claimLicense(world.deps, POOL, 'a', opts);
    await claimLicense(second, POOL, 'b', opts);
    // Max drops to 2 (as a schedule would lower it): two claims already stand, so no third one.
    world.deps.loadPolicy = () => ({
      ...world!.policy,
      pools: world!.policy.pools.map((p) => ({ ...p, capacity: [{ min: 0, max: 2 }] })),
    });
    const error = await claimLicense(world.deps, POOL, 'c', opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolAtMaxError);
    expect((error as PoolAtMaxError).numbers).toMatchObject({ max: 2, claimed: 2 });
  });
});
