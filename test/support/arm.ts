/**
 * ARM simulator helpers for tests: a simulator with a small seed, the real compute adapter pointed at it
 * (static token, the simulator's CA trusted per client), and an adapter clock that runs on the simulated
 * clock, so an operation's Retry-After waits move simulated time instead of making the test sleep.
 */
import { createComputeClient, type AdapterClock, type ComputeClient } from '../../src/lib/azure/compute';
import { staticTokenCredential } from '../../src/lib/azure/credential';
import { SimClock } from '../../src/simulator/clock';
import {
  startArmSimulator,
  type ArmSeed,
  type ArmSimulatorHandle,
  type ArmSimulatorOptions,
} from '../../src/simulator/arm';
import { parseInstant } from '../../src/simulator/time';
import { createLocalCa, type KeyPair } from '../../src/simulator/tls';

export const SUB = '11111111-2222-4333-8444-555555555555';
export const OTHER_SUB = '99999999-8888-4777-8666-555555555555';

/** `/subscriptions/<SUB>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<name>` */
export const vmIdOf = (name: string, rg = 'rg-a', sub = SUB): string =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;

/** `/subscriptions/<SUB>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<name>` */
export const scaleSetIdOf = (name: string, rg = 'rg-pools', sub = SUB): string =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;

/** Three VMs in rg-a, two in rg-b, one in another subscription, a Uniform and a Flexible scale set. */
export function smallSeed(): ArmSeed {
  return {
    virtualMachines: [
      {
        subscriptionId: SUB,
        resourceGroup: 'rg-a',
        name: 'fgt-a1',
        tags: { 'fortiflex-serial': 'FGVM0001' },
      },
      {
        subscriptionId: SUB,
        resourceGroup: 'rg-a',
        name: 'fgt-a2',
        tags: { 'fortiflex-serial': 'FGVM0002' },
        powerState: 'deallocated',
      },
      {
        subscriptionId: SUB,
        resourceGroup: 'rg-a',
        name: 'jump-a3',
        powerState: 'stopped',
        privateIp: '10.9.9.9',
      },
      {
        subscriptionId: SUB,
        resourceGroup: 'rg-b',
        name: 'fgt-b1',
        tags: { 'fortiflex-serial': 'FGVM0003' },
      },
      { subscriptionId: SUB, resourceGroup: 'rg-b', name: 'fgt-b2', powerState: 'deallocated' },
      {
        subscriptionId: OTHER_SUB,
        resourceGroup: 'rg-z',
        name: 'fgt-z1',
        tags: { 'fortiflex-serial': 'FGVM0009' },
      },
    ],
    scaleSets: [
      {
        subscriptionId: SUB,
        resourceGroup: 'rg-pools',
        name: 'vmss-u',
        mode: 'Uniform',
        tags: { pool: 'u' },
        instances: [{}, { powerState: 'deallocated' }, {}],
      },
      {
        subscriptionId: SUB,
        resourceGroup: 'rg-pools',
        name: 'vmss-f',
        mode: 'Flexible',
        instances: [{ tags: { role: 'fgt' } }, { powerState: 'stopped' }],
      },
    ],
  };
}

/** An adapter clock on the simulated clock: `delay` advances it (and honours aborts). */
export function simulatedClock(arm: ArmSimulatorHandle): AdapterClock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => arm.clock.now().getTime(),
    delay: async (ms, signal) => {
      if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      waits.push(ms);
      arm.clock.advance(ms);
    },
  };
}

let sharedCa: Promise<KeyPair> | undefined;

/** Starts an ARM simulator on its own clock (2026-03-02 08:00 PST) with `seed` and a CA shared per file. */
export async function startArm(
  options: ArmSimulatorOptions = {},
  seed: ArmSeed = smallSeed(),
): Promise<ArmSimulatorHandle> {
  sharedCa ??= createLocalCa();
  const clock = new SimClock(parseInstant('2026-03-02T08:00:00-08:00', 'clock'));
  return startArmSimulator(options, { clock, seed, ca: await sharedCa });
}

/** The real adapter against `arm`; `clock` defaults to wall time. */
export function adapterFor(
  arm: ArmSimulatorHandle,
  options: { clock?: AdapterClock; defaultPollIntervalMs?: number; token?: string; trust?: boolean } = {},
): ComputeClient {
  return createComputeClient({
    credential: staticTokenCredential(options.token ?? arm.token),
    endpoint: arm.endpoint,
    ...(options.trust !== false && { tlsCa: arm.caCertificate }),
    ...(options.clock && { clock: options.clock }),
    ...(options.defaultPollIntervalMs !== undefined && {
      defaultPollIntervalMs: options.defaultPollIntervalMs,
    }),
  });
}

/** The ARM operations logged so far, e.g. `['vm.start', 'operation.status', 'operation.result']`. */
export const operationsLogged = (arm: ArmSimulatorHandle): string[] => arm.requests().map((r) => r.operation);
