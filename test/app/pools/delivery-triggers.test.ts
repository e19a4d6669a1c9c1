/**
 * What starts a licence-delivery sync: Event Grid resource events (the `scaleSetEvents` function with the
 * real `@azure/functions` objects), the queue worker (`poolWorker`) for sync messages and scale messages of
 * the webhook, the reconcile sweep, and the `pool sync|adopt` commands. Addresses 127.0.23.x belong to this
 * file.
 */
import type { EventGridEvent } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { poolsForResourceEvent } from '../../../src/app/pools/events';
import { sweepPools } from '../../../src/app/pools/sweep';
import { applyWorkMessage } from '../../../src/app/pools/work';
import { createPoolDeliveryRegistrar } from '../../../src/cli/commands/pool-delivery';
import { bufferIo } from '../../../src/cli/io';
import { createPoolWorker } from '../../../src/functions/pool-worker';
import { createScaleSetEventsHandler } from '../../../src/functions/scale-set-events';
import { validatePolicy } from '../../../src/lib/rules';
import { runRegistrar } from '../../support/cli';
import { createContext } from '../../support/functions';
import { poolPolicyDocument } from './support';
import { startDeliveryWorld, POOL, SCALE_SET, TEST_SYNC, type DeliveryWorld } from './delivery-support';

let world: DeliveryWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

const GROUP = SCALE_SET.split('/providers/')[0]!;

function resourceEvent(
  resourceUri: string,
  eventType = 'Microsoft.Resources.ResourceWriteSuccess',
): EventGridEvent {
  return {
    id: `evt-${Math.random().toString(36).slice(2)}`,
    topic: GROUP,
    subject: resourceUri,
    eventType,
    eventTime: '2026-03-02T16:00:00Z',
    dataVersion: '2',
    metadataVersion: '1',
    data: {
      operationName: 'Microsoft.Compute/virtualMachineScaleSets/write',
      resourceUri,
      status: 'Succeeded',
    },
  };
}

describe('which events concern which pools (pure)', () => {
  const policy = validatePolicy(
    poolPolicyDocument({ scaleSet: { resourceId: SCALE_SET }, fortigate: {} }, {}),
  );
  const names = (event: EventGridEvent) => poolsForResourceEvent(policy, event).map((p) => p.name);

  it('matches the set, its instances, and VMs or NICs of its resource group; nothing else', () => {
    expect(names(resourceEvent(SCALE_SET))).toEqual([POOL]);
    expect(names(resourceEvent(`${SCALE_SET}/virtualMachines/3`.toUpperCase()))).toEqual([POOL]);
    expect(
      names(resourceEvent(`${GROUP}/providers/Microsoft.Compute/virtualMachines/vmss-fgt_1a2b3c4d`)),
    ).toEqual([POOL]);
    expect(names(resourceEvent(`${GROUP}/providers/Microsoft.Network/networkInterfaces/nic-1`))).toEqual([
      POOL,
    ]);
    expect(
      names(
        resourceEvent(`${GROUP.replace('rg-fgt', 'rg-other')}/providers/Microsoft.Compute/virtualMachines/x`),
      ),
    ).toEqual([]);
    expect(names(resourceEvent(SCALE_SET, 'Microsoft.Resources.ResourceWriteFailure'))).toEqual([]);
    const withoutDelivery = validatePolicy(poolPolicyDocument({ scaleSet: { resourceId: SCALE_SET } }));
    expect(poolsForResourceEvent(withoutDelivery, resourceEvent(SCALE_SET))).toEqual([]);
  });
});

describe('triggers', () => {
  it('an Event Grid event queues one coalesced, delayed sync that the pool worker runs', async () => {
    world = await startDeliveryWorld({ fleet: { count: 1, firstAddress: '127.0.23.2' } });
    const w = world;
    const [machine] = w.grow(1);
    const handler = createScaleSetEventsHandler(async () => w.deps);
    const first = createContext('scaleSetEvents');
    await handler(resourceEvent(`${SCALE_SET}/virtualMachines/${machine!.instanceId}`), first.context);
    const second = createContext('scaleSetEvents');
    await handler(resourceEvent(SCALE_SET), second.context);
    expect(first.text()).toMatch(/sync queued for \[vmss-fgt\], coalesced \[\]/);
    expect(second.text()).toMatch(/sync queued for \[\], coalesced \[vmss-fgt\]/);
    expect(await w.store.queue.receive(1)).toEqual([]);

    const message = await w.nextMessage(8_000);
    expect(message).toMatchObject({ kind: 'sync', pool: POOL, source: 'event' });
    expect(await w.nextMessage(500)).toBeUndefined();
    const worker = createPoolWorker(async () => w.deps);
    const run = createContext('poolWorker', { triggerMetadata: { dequeueCount: 1 } });
    await worker(message, run.context);
    expect(run.text()).toMatch(/pool vmss-fgt: delivery 1 pending; retry in \d+ s/);
    expect(run.text()).not.toContain(w.fleet.apiKey);
    expect(await w.store.claims.get(POOL, machine!.name.toLowerCase())).toBeDefined();
  });

  it('a scale message from the webhook also kicks a sync, and a follow-up one a minute later', async () => {
    world = await startDeliveryWorld({ fleet: { count: 2, firstAddress: '127.0.23.10' } });
    const w = world;
    w.grow(2);
    const sent: { kind: string; source: string; delaySeconds?: number }[] = [];
    const queue = w.deps.store.queue;
    const deps = {
      ...w.deps,
      store: {
        ...w.deps.store,
        queue: {
          ...queue,
          send: (message: unknown, options?: { delaySeconds?: number }) => {
            const m = message as { kind: string; source: string };
            sent.push({
              kind: m.kind,
              source: m.source,
              ...(options?.delaySeconds && { delaySeconds: options.delaySeconds }),
            });
            return queue.send(message, options);
          },
        },
      },
    };
    const outcome = await applyWorkMessage(
      deps,
      {
        v: 1,
        kind: 'scale',
        pool: POOL,
        change: { desired: 2 },
        source: 'autoscale',
        reason: 'Scale Out to 2',
        receivedAt: w.sim.clock.now().toISOString(),
      },
      { runId: 'webhook', sync: TEST_SYNC },
    );
    expect(outcome.scale).toMatchObject({ before: 0, target: 2 });
    expect(outcome.sync?.instances.map((i) => i.state)).toEqual(['pending', 'pending']);
    // The resize made both licences; the sync's claims took them: no second create.
    expect(w.sim.stats().requests['entitlements/vm/create']).toBe(1);
    expect(w.members()).toHaveLength(2);
    expect(sent).toContainEqual({ kind: 'sync', source: 'autoscale', delaySeconds: 60 });
    expect(sent).toContainEqual({ kind: 'sync', source: 'delivery', delaySeconds: 1 });
  });

  it('the reconcile sweep syncs pools with delivery', async () => {
    world = await startDeliveryWorld({ fleet: { count: 1, firstAddress: '127.0.23.20' } });
    const w = world;
    w.grow(1);
    const report = await sweepPools(w.deps, w.sim.clock.now(), { runId: 'sweep' });
    expect(report.deliveries).toEqual([expect.objectContaining({ pool: POOL })]);
    const [sync] = report.deliveries as { instances: { state: string }[] }[];
    expect(sync!.instances.map((i) => i.state)).toEqual(['pending']);
  });

  it('pool sync --json and pool adopt print per instance what happened, never a token or the key', async () => {
    world = await startDeliveryWorld({
      seed: { inUse: 1 },
      running: 1,
      fleet: {
        count: 2,
        firstAddress: '127.0.23.30',
        perDevice: (i) => (i === 0 ? { licensedSerial: 'FGVMPOOL00000001' } : {}),
      },
    });
    const w = world;
    const policyText = JSON.stringify(poolDocument(w));
    const cli = (args: string[], text = policyText) => {
      const io = bufferIo();
      const register = createPoolDeliveryRegistrar({
        readTextFile: async () => text,
        createDeps: async () => w.deps,
      });
      return runRegistrar(register, ['pool', ...args, '--policy', 'p.json', '--pool', POOL], io).then(
        (code) => ({
          code,
          io,
        }),
      );
    };
    const adopt = await cli(['adopt']);
    expect(adopt.code).toBe(0);
    expect(adopt.io.out).toMatch(/vmss-fgt_0\s+FGVMPOOL00000001\s+adopted\s+adopted: FortiGate runs licence/);

    w.grow(1);
    const sync = await cli(['sync', '--json']);
    expect(sync.code).toBe(0);
    const printed = JSON.parse(sync.io.out) as { instances: Record<string, unknown>[] };
    expect(Object.keys(printed)).toEqual(['instances']);
    expect(printed.instances.map((i) => Object.keys(i))).toEqual([
      ['instanceId', 'serialNumber', 'state', 'detail'],
      ['instanceId', 'serialNumber', 'state', 'detail'],
    ]);
    expect(printed.instances.map((i) => i.state)).toEqual(['adopted', 'pending']);
    for (const secret of [w.fleet.apiKey, ...w.members().map((e) => e.token)]) {
      expect(sync.io.out + sync.io.err + adopt.io.out + adopt.io.err).not.toContain(secret);
    }

    const plain = await cli(
      ['sync'],
      JSON.stringify(poolPolicyDocument({ scaleSet: { resourceId: SCALE_SET } })),
    );
    expect(plain.code).toBe(2);
    expect(plain.io.err).toMatch(/--pool: "vmss-fgt" has no licence delivery; expected pools\[\]\.fortigate/);
  });
});

/** The policy document of a world (the pool entry as the world built it). */
function poolDocument(w: DeliveryWorld): unknown {
  const pool = w.policy.pools[0]!;
  return poolPolicyDocument({ scaleSet: pool.scaleSet, fortigate: pool.fortigate });
}
