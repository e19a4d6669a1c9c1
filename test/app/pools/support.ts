/**
 * Test world for pool tests: a simulator seeded with one pool config (2200), a FortiFlex client without
 * rate limits, a state store on the shared Azurite with its own prefix, and pool dependencies whose clock is
 * the simulator's.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { PoolDeps } from '../../../src/app/pools/deps';
import { PoolHints } from '../../../src/app/pools/hints';
import { PoolLeases } from '../../../src/app/pools/lease';
import { poolMarker } from '../../../src/app/pools/membership';
import { FortiFlexClient } from '../../../src/lib/fortiflex';
import type { Entitlement, TokenStatus } from '../../../src/lib/fortiflex/types';
import { validatePolicy, type Policy } from '../../../src/lib/rules';
import { createStateStore, type StateStore } from '../../../src/lib/state';
import type { ArmSeed } from '../../../src/simulator/arm';
import {
  defaultSeed,
  startSimulator,
  type SimulatorHandle,
  type SimulatorOptions,
} from '../../../src/simulator';

export const POOL = 'vmss-fgt';
export const POOL_CONFIG = 2200;
export const ACCOUNT = 12345;
export const PROGRAM = 'ELAVMR0000000519';
export const SCALE_SET =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-fgt/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-fgt';

/** Pool members to seed, by status. */
export interface PoolSeed {
  /** ACTIVE with an unused token: spares (created with skipPending, or reactivated without a VM). */
  active?: number;
  /** ACTIVE with a used token and no claim: FortiGates licensed outside the pool's claims. */
  inUse?: number;
  stopped?: number;
  pending?: number;
}

/** A running test world. */
export interface PoolWorld {
  sim: SimulatorHandle;
  client: FortiFlexClient;
  store: StateStore;
  policy: Policy;
  deps: PoolDeps;
  prefix: string;
  connectionString: string;
  /** Current pool entitlements in the simulator (marker in the description). */
  members(): Entitlement[];
  stop(): Promise<void>;
}

/** The policy document of the test pool, with overrides merged into the pool entry. */
export function poolPolicyDocument(pool: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    fortiflex: { accountId: ACCOUNT, programSerialNumber: PROGRAM },
    pools: [
      {
        name: POOL,
        configId: POOL_CONFIG,
        capacity: [{ min: 0, max: 50 }],
        triggers: { alertRules: ['fgt-cpu-high'], autoscaleResourceIds: [SCALE_SET] },
        ...pool,
      },
    ],
    ...extra,
  };
}

/** Starts a simulator plus store and returns the pool dependencies over them. */
export async function startPoolWorld(
  options: {
    seed?: PoolSeed;
    pool?: Record<string, unknown>;
    policy?: Record<string, unknown>;
    sim?: Omit<SimulatorOptions, 'seed'>;
    /** Replaces the seed's Azure side (VMs and scale sets the ARM simulator serves). */
    arm?: ArmSeed;
  } = {},
): Promise<PoolWorld> {
  const seed = defaultSeed();
  // Drop the default seed's pool-config entitlements: each test decides what its pool holds.
  seed.entitlements = seed.entitlements.filter((e) => e.configId !== POOL_CONFIG);
  let n = 0;
  const add = (status: 'ACTIVE' | 'STOPPED' | 'PENDING', count = 0, tokenStatus: TokenStatus = 'NOTUSED') => {
    for (let i = 0; i < count; i += 1) {
      n += 1;
      seed.entitlements.push({
        serialNumber: `FGVMPOOL${String(n).padStart(8, '0')}`,
        description: poolMarker(POOL),
        configId: POOL_CONFIG,
        accountId: ACCOUNT,
        startDate: '2026-01-05T09:00:00.000',
        endDate: '2027-05-31T00:00:00',
        status,
        token: randomBytes(10).toString('hex').toUpperCase(),
        tokenStatus,
        folderPath: 'My Assets/pools/vmss-fgt',
      });
    }
  };
  add('ACTIVE', options.seed?.active);
  add('ACTIVE', options.seed?.inUse, 'USED');
  add('STOPPED', options.seed?.stopped, 'USED');
  add('PENDING', options.seed?.pending);
  if (options.arm) {
    seed.virtualMachines = options.arm.virtualMachines ?? [];
    seed.scaleSets = options.arm.scaleSets ?? [];
  }
  const sim = await startSimulator({ ...options.sim, seed });
  const client = new FortiFlexClient({
    apiUrl: sim.apiUrl,
    authUrl: sim.authUrl,
    credentials: { get: async () => sim.credentials },
    rateLimit: { perMinute: Infinity, perHour: Infinity },
    maxRetries: 2,
  });
  const connectionString = inject('azuriteConnectionString');
  const prefix = `p${randomBytes(5).toString('hex')}`;
  const store = await createStateStore({ kind: 'connectionString', connectionString }, { prefix });
  const policy = validatePolicy(poolPolicyDocument(options.pool, options.policy));
  const deps: PoolDeps = {
    client,
    store,
    loadPolicy: () => policy,
    now: () => sim.clock.now(),
    ...workerState(store),
  };
  return {
    sim,
    client,
    store,
    policy,
    deps,
    prefix,
    connectionString,
    members: () => sim.entitlements().filter((e) => e.configId === POOL_CONFIG),
    stop: () => sim.stop(),
  };
}

/**
 * Dependencies of a second worker over the same simulator and tables: its own store object, so its own
 * in-memory state (inventory hints, in-process lease turns), as another Functions instance or CLI process has.
 */
export async function otherWorker(world: PoolWorld): Promise<PoolDeps> {
  const store = await createStateStore(
    { kind: 'connectionString', connectionString: world.connectionString },
    { prefix: world.prefix },
  );
  return { ...world.deps, store, ...workerState(store) };
}

/** One worker's in-memory pool state (inventory hints, in-process lease turns), with short lease waits. */
export function workerState(store: StateStore): Pick<PoolDeps, 'hints' | 'leases'> {
  return {
    hints: new PoolHints(),
    leases: new PoolLeases(store, {
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20))),
    }),
  };
}

/** Counts of pool members by status. */
export function statusCounts(entitlements: readonly Entitlement[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of entitlements) counts[e.status] = (counts[e.status] ?? 0) + 1;
  return counts;
}

/** An Azure Monitor common-alert-schema delivery for the test pool's rule. */
export function alert(
  condition: 'Fired' | 'Resolved',
  rule = 'fgt-cpu-high',
  firedDateTime = '2026-03-02T16:00:00Z',
) {
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId: '/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/b9569717',
        alertRule: rule,
        severity: 'Sev3',
        signalType: 'Metric',
        monitorCondition: condition,
        monitoringService: 'Platform',
        alertTargetIDs: [SCALE_SET.toLowerCase()],
        firedDateTime,
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
      },
      alertContext: {
        condition: { allOf: [{ metricName: 'Percentage CPU', threshold: '80', metricValue: 91.5 }] },
      },
    },
  };
}

/** An Azure autoscale notification for the test scale set. */
export function autoscale(
  operation: 'Scale Out' | 'Scale In',
  newCapacity: string | number,
  resourceId = SCALE_SET,
) {
  return {
    version: '1.0',
    status: 'Activated',
    operation,
    context: {
      timestamp: '2026-03-02T16:05:04.5834118Z',
      id: '/subscriptions/s/resourceGroups/rg-fgt/providers/microsoft.insights/autoscalesettings/fgt',
      name: 'fgt',
      resourceId,
      oldCapacity: '2',
      newCapacity,
    },
  };
}
