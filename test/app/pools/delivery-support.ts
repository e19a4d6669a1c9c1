/**
 * Test world for licence delivery: the pool world (FortiFlex simulator, Azurite store) with the ARM simulator
 * serving the pool's scale set, a fleet of simulated FortiGates that license themselves against the same
 * FortiFlex simulator, and pool dependencies with the real compute adapter and the fleet's API key. Instances
 * the test adds to the scale set get the fleet's loopback addresses as their private IPs, so the sync reaches
 * each instance's FortiGate by the IP Azure reports, as in production.
 */
import type { PoolDeps } from '../../../src/app/pools/deps';
import type { ScaleMessage } from '../../../src/app/pools/message';
import { parseScaleMessage } from '../../../src/app/pools/message';
import { syncPool, type SyncOptions, type SyncReport } from '../../../src/app/pools/sync';
import { applyWorkMessage, type WorkOutcome } from '../../../src/app/pools/work';
import type { AuditEntry } from '../../../src/lib/state';
import type { MachineView } from '../../../src/simulator/arm';
import {
  startFortiGates,
  type FortiGateFleet,
  type FortiGateFleetOptions,
  type LicenseAuthority,
} from '../../../src/simulator/fortigate';
import { adapterFor } from '../../support/arm';
import { POOL, SCALE_SET, startPoolWorld, type PoolSeed, type PoolWorld } from './support';

export { POOL, SCALE_SET };

/** The scale set's resource group and name (from {@link SCALE_SET}). */
const [, , SUBSCRIPTION, , RESOURCE_GROUP] = SCALE_SET.split('/');

/** Fast retries for tests: the delayed message becomes visible after one second. */
export const TEST_SYNC: Partial<SyncOptions> = { retryDelaysSeconds: [1], fortiosTimeoutMs: 2_000 };

/** A running delivery world. */
export interface DeliveryWorld extends PoolWorld {
  fleet: FortiGateFleet;
  /** Pool dependencies with compute and the FortiOS API key. */
  deps: PoolDeps;
  /** Adds `count` running instances whose IPs are the next unused fleet addresses. */
  grow(count: number): MachineView[];
  /** Removes instances by name. */
  shrink(names: readonly string[]): void;
  /** One sync now. */
  sync(options?: Partial<SyncOptions>): Promise<SyncReport>;
  /** Waits up to `timeoutMs` for the next `scaler-work` message, deletes it and returns it. */
  nextMessage(timeoutMs?: number): Promise<ScaleMessage | undefined>;
  /** Waits for the next message and applies it as the pool worker does. */
  runNextMessage(timeoutMs?: number): Promise<WorkOutcome | undefined>;
  /** Every audit row of the run (newest first). */
  audit(): Promise<AuditEntry[]>;
  stop(): Promise<void>;
}

/** Options of {@link startDeliveryWorld}. */
export interface DeliveryWorldOptions {
  /** Devices and their options; each test file uses its own address range. */
  fleet: Omit<FortiGateFleetOptions, 'authority'>;
  seed?: PoolSeed;
  /** Overrides merged into the pool entry (`fortigate` is merged too). */
  pool?: Record<string, unknown>;
  /** Instances already in the scale set, by fleet index (their IPs are those devices' addresses). */
  running?: number;
  /** The API key the scaler uses; default the fleet's. */
  apiKey?: string;
}

/** Starts a world; stop it with `world.stop()`. */
export async function startDeliveryWorld(options: DeliveryWorldOptions): Promise<DeliveryWorld> {
  const fleetOptions = { rebootMs: 100, ...options.fleet };
  const { fortigate, ...poolOverrides } = options.pool ?? {};
  // The devices license against the FortiFlex simulator, which starts after them (the policy needs the
  // fleet's port): they reach it through this forwarder.
  let world: PoolWorld | undefined;
  const authority: LicenseAuthority = {
    activateToken: (token) => world!.sim.activateToken(token),
    entitlementStatus: (serial) => world?.sim.entitlementStatus(serial),
  };
  const fleet = await startFortiGates({ ...fleetOptions, authority });
  const addressOf = (i: number): string => fleet.devices[i]!.address;
  const running = options.running ?? 0;
  try {
    world = await startPoolWorld({
      ...(options.seed && { seed: options.seed }),
      pool: {
        scaleSet: { resourceId: SCALE_SET },
        fortigate: { port: fleet.port, protocol: fleet.protocol, ...(fortigate as object | undefined) },
        ...poolOverrides,
      },
      sim: { arm: true },
      arm: {
        scaleSets: [
          {
            subscriptionId: SUBSCRIPTION!,
            resourceGroup: RESOURCE_GROUP!,
            name: 'vmss-fgt',
            mode: 'Uniform',
            instances: Array.from({ length: running }, (_, i) => ({ privateIp: addressOf(i) })),
          },
        ],
      },
    });
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  const arm = world.sim.arm!;
  const apiKey = options.apiKey ?? fleet.apiKey;
  const deps: PoolDeps = {
    ...world.deps,
    compute: adapterFor(arm),
    fortigateSecret: async (_name, use) => (use === 'apiKey' ? apiKey : undefined),
  };
  let used = running;
  const nextMessage = async (timeoutMs = 5_000): Promise<ScaleMessage | undefined> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [message] = await started.store.queue.receive(1);
      if (message) {
        await started.store.queue.delete(message);
        return parseScaleMessage(message.body);
      }
      if (Date.now() > deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  };
  const started = world;
  return {
    ...started,
    fleet,
    deps,
    grow: (count) => {
      const ips = Array.from({ length: count }, (_, i) => addressOf(used + i));
      if (used + count > fleet.devices.length) throw new Error(`grow: only ${fleet.devices.length} devices`);
      used += count;
      return arm.addInstances('vmss-fgt', count, { privateIps: ips });
    },
    shrink: (names) => arm.removeInstances('vmss-fgt', names),
    sync: (overrides = {}) => syncPool(deps, POOL, { ...TEST_SYNC, runId: 'test', ...overrides }),
    nextMessage,
    runNextMessage: async (timeoutMs) => {
      const message = await nextMessage(timeoutMs);
      if (!message) return undefined;
      return applyWorkMessage(deps, message, { runId: 'test-worker', sync: TEST_SYNC });
    },
    audit: () => {
      const now = started.sim.clock.now().getTime();
      const day = 24 * 3600_000;
      return started.store.audit.query({
        since: new Date(now - day),
        until: new Date(now + 2 * day),
        limit: 1000,
      });
    },
    stop: async () => {
      await fleet.stop();
      await started.stop();
    },
  };
}

/** Waits until every device of `devices` is licensed and answering (the licence reboot is over). */
export async function untilLicensed(devices: FortiGateFleet['devices'], timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!devices.every((d) => d.licensedSerial() !== undefined && d.phase() === 'running')) {
    if (Date.now() > deadline) throw new Error('untilLicensed: devices did not come back licensed in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** States of a report by instance id. */
export function statesOf(report: SyncReport): Record<string, string> {
  return Object.fromEntries(report.instances.map((i) => [i.instanceId, i.state]));
}
