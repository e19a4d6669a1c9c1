import { TableClient } from '@azure/data-tables';
import { afterEach, describe, expect, it } from 'vitest';
import { claimLicense } from '../../../src/app/pools/claims';
import { poolMarker } from '../../../src/app/pools/membership';
import { CLAIM_GRACE_MS, sweepClaims, sweepPools } from '../../../src/app/pools/sweep';
import { createAzureScaleSetLister, parseScaleSetId } from '../../../src/lib/azure/scale-set-lister';
import { POOL, POOL_CONFIG, SCALE_SET, startPoolWorld, type PoolWorld } from './support';

let world: PoolWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

describe('sweepClaims', () => {
  it('releases claims that expired without renewal and keeps renewed ones', async () => {
    world = await startPoolWorld({ seed: { pending: 2 }, pool: { claimTtlMinutes: 30 } });
    await claimLicense(world.deps, POOL, 'a', { runId: 't' });
    await claimLicense(world.deps, POOL, 'b', { runId: 't' });
    world.sim.clock.advance(20 * 60_000);
    await claimLicense(world.deps, POOL, 'b', { runId: 't' }); // repeat renews b
    world.sim.clock.advance(15 * 60_000);
    const [report] = await sweepClaims(world.deps, world.sim.clock.now());
    expect(report?.released.map((r) => [r.instanceId, r.reason])).toEqual([
      ['a', 'claim expired without renewal'],
    ]);
    expect((await world.store.claims.list(POOL)).map((c) => c.instanceId)).toEqual(['b']);
  });

  it('releases claims of VMs the scale set no longer lists, after a grace period', async () => {
    world = await startPoolWorld({ seed: { active: 3 }, pool: { scaleSet: { resourceId: SCALE_SET } } });
    for (const id of ['vmss-fgt_0', 'vmss-fgt_1', 'vmss-fgt_2'])
      await claimLicense(world.deps, POOL, id, { runId: 't' });
    const listed: string[] = [];
    const deps = {
      ...world.deps,
      scaleSets: async (resourceId: string) => {
        listed.push(resourceId);
        return ['VMSS-FGT_0', 'vmss-fgt_2'];
      },
    };
    expect((await sweepClaims(deps, world.sim.clock.now()))[0]?.released).toEqual([]);
    world.sim.clock.advance(CLAIM_GRACE_MS);
    const [report] = await sweepClaims(deps, world.sim.clock.now());
    expect(report?.released.map((r) => r.instanceId)).toEqual(['vmss-fgt_1']);
    expect(listed).toEqual([SCALE_SET, SCALE_SET]);
  });

  it('releases nothing by listing when the scale set cannot be listed', async () => {
    world = await startPoolWorld({ seed: { active: 1 }, pool: { scaleSet: { resourceId: SCALE_SET } } });
    await claimLicense(world.deps, POOL, 'vm_0', { runId: 't' });
    world.sim.clock.advance(CLAIM_GRACE_MS * 2);
    const deps = { ...world.deps, scaleSets: () => Promise.reject(new Error('AuthorizationFailed')) };
    const [report] = await sweepClaims(deps, world.sim.clock.now());
    expect(report).toMatchObject({ released: [], listError: 'scale set not listed: AuthorizationFailed' });
    expect(await world.store.claims.list(POOL)).toHaveLength(1);
  });
});

describe('sweepPools', () => {
  it('raises the pool to the floor in force and reports per pool', async () => {
    world = await startPoolWorld({ seed: { stopped: 1 }, pool: { capacity: [{ min: 2, max: 4 }] } });
    const report = await sweepPools(world.deps, world.sim.clock.now());
    expect(report.pools[0]).toMatchObject({ pool: POOL, before: 0, after: 2 });
    expect(
      world
        .members()
        .map((e) => e.status)
        .sort(),
    ).toEqual(['ACTIVE', 'PENDING']);
    // The stopped member was reactivated; the second license had to be created, and the report names it.
    const pending = world.members().filter((e) => e.status === 'PENDING');
    expect(report.pools[0]).toMatchObject({ created: pending.map((e) => e.serialNumber) });
  });
});

describe('sweepPools housekeeping', () => {
  it('purges expired dedupe keys and release memory, and keeps live ones', async () => {
    world = await startPoolWorld({ seed: { active: 1 } });
    const now = world.sim.clock.now();
    await world.store.events.remember('scale:old-alert', 60_000, now);
    await world.store.events.remember('scale:live-alert', 24 * 3_600_000, now);
    const later = new Date(now.getTime() + 10 * 60_000);
    await sweepPools(world.deps, later);
    const client = TableClient.fromConnectionString(world.connectionString, `${world.prefix}events`, {
      allowInsecureConnection: true,
    });
    const keys: unknown[] = [];
    for await (const row of client.listEntities<{ key?: string }>()) keys.push(row.key);
    expect(keys).toEqual(['scale:live-alert']);
  });

  it('records what a killed run created, stopped and reactivated, from what exists', async () => {
    world = await startPoolWorld({
      seed: { active: 1, stopped: 1 },
      pool: { capacity: [{ min: 0, max: 4 }] },
    });
    const [active, stopped] = world.members();
    const at = world.sim.clock.now().toISOString();
    const intent = { pool: POOL, at, runId: 'killed-run', actor: 'scale', reason: 'scale-out' };
    // A create whose process died after FortiFlex made the entitlement, a stop that happened, and a
    // reactivation that never got through.
    await world.store.intents.add({
      ...intent,
      id: `${at}-a`,
      action: 'create',
      count: 1,
      known: [active!.serialNumber, stopped!.serialNumber],
    });
    const [created] = await world.client.createVmEntitlements({
      configId: POOL_CONFIG,
      count: 1,
      description: poolMarker(POOL),
    });
    await world.store.intents.add({
      ...intent,
      id: `${at}-b`,
      action: 'stop',
      serialNumber: active!.serialNumber,
    });
    await world.client.stopEntitlement({ serialNumber: active!.serialNumber });
    await world.store.intents.add({
      ...intent,
      id: `${at}-c`,
      action: 'reactivate',
      serialNumber: stopped!.serialNumber,
    });

    await sweepPools(world.deps, world.sim.clock.now());
    const audit = await world.store.audit.query({});
    const resolved = audit.filter((row) => row.details?.interruptedRun === 'killed-run');
    expect(resolved.map((row) => [row.action, row.serialNumber, row.outcome]).sort()).toEqual(
      [
        ['create', undefined, 'succeeded'],
        ['reactivate', stopped!.serialNumber, 'failed'],
        ['stop', active!.serialNumber, 'succeeded'],
      ].sort(),
    );
    expect(resolved.find((row) => row.action === 'create')?.details).toMatchObject({
      serialNumbers: [created!.serialNumber],
    });
    expect(await world.store.records.get(active!.serialNumber)).toMatchObject({
      lastAction: 'poolStop',
      stoppedByScaler: true,
    });
    expect(await world.store.intents.list(POOL)).toEqual([]);
  });
});

describe('scale-set lister', () => {
  it('lists VM names through the compute client for the resource id', async () => {
    const calls: string[] = [];
    const lister = createAzureScaleSetLister({
      createClient: (subscriptionId) => ({
        virtualMachineScaleSetVMs: {
          async *list(resourceGroup: string, name: string) {
            calls.push(`${subscriptionId}/${resourceGroup}/${name}`);
            yield { name: 'vmss-fgt_0' };
            yield {};
            yield { name: 'vmss-fgt_3' };
          },
        },
      }),
    });
    expect(await lister(SCALE_SET)).toEqual(['vmss-fgt_0', 'vmss-fgt_3']);
    expect(calls).toEqual(['00000000-0000-0000-0000-000000000001/rg-fgt/vmss-fgt']);
  });

  it('rejects resource ids that are not scale sets', () => {
    expect(parseScaleSetId(SCALE_SET)).toEqual({
      subscriptionId: '00000000-0000-0000-0000-000000000001',
      resourceGroup: 'rg-fgt',
      name: 'vmss-fgt',
    });
    expect(() => parseScaleSetId('/subscriptions/x/resourceGroups/y')).toThrow(
      /^scaleSet.resourceId: expected/,
    );
  });
});
