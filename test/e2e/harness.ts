/**
 * A reconcile world for tests: the FortiFlex simulator over real HTTP, a state store in the shared Azurite
 * (unique prefix per harness), a real FortiFlexClient, and AppDependencies whose clock is the simulator's.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createAppDependencies, type AppDependencies } from '../../src/app/dependencies';
import { FortiFlexClient } from '../../src/lib/fortiflex';
import { type Settings } from '../../src/app/settings';
import { createStateStore, type StateStore } from '../../src/lib/state';
import {
  defaultSeed,
  startSimulator,
  type SimulatorHandle,
  type SimulatorOptions,
  type SimulatorSeed,
} from '../../src/simulator';

/** Rates used by the test policies and seeds, so the simulator's ledger and the planner agree. */
export const RATES: Record<number, number> = { 2198: 6.5, 2199: 3.25, 2200: 13 };

/** A policy over the default seed: branches follow Berlin office hours, labs stop with the office too. */
export const BRANCH_POLICY = `
fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }
mode: enforce
safety: { maxActionsPerRun: 50, minActiveMinutesAfterReactivate: 60 }
schedules:
  office:
    timezone: Europe/Berlin
    active: ["Mon-Fri 07:00-19:00"]
rules:
  - name: branches
    select: { configIds: [2198] }
    schedule: office
    offHours: stop
rates: { 2198: 6.5, 2199: 3.25, 2200: 13 }
`;

/** The branch policy plus the default seed's scale-set pool, its bounds on the office schedule. */
export const POOL_STATUS_POLICY = `${BRANCH_POLICY}
pools:
  - name: vmss-fgt
    configId: 2200
    capacity: [{ schedule: office, min: 2, max: 6 }, { min: 0, max: 8 }]
`;

/** Friday 2026-10-23 20:00 Berlin (CEST): the weekend window (saves PT Saturday) has begun. */
export const FRIDAY_EVENING = '2026-10-23T18:00:00Z';
/** Monday 2026-10-26 07:30 Berlin (CET, the day after the clocks went back). */
export const MONDAY_MORNING = '2026-10-26T06:30:00Z';

/** The running world. */
export interface Harness {
  sim: SimulatorHandle;
  store: StateStore;
  client: FortiFlexClient;
  deps: AppDependencies;
  prefix: string;
  /** Builds another dependency set over the same simulator and store (e.g. a second worker). */
  moreDeps(overrides?: Partial<Parameters<typeof createAppDependencies>[0]>): Promise<AppDependencies>;
  /** Entitlements whose description starts with `prefix`, by status. */
  /** Status by serial of the entitlements currently on `configId`, or that started on it. */
  statuses(configId: number): Record<string, string>;
  stop(): Promise<void>;
}

/** A unique store prefix (lowercase letter + letters/digits). */
export function uniquePrefix(tag = 't'): string {
  return `${tag}${randomBytes(5).toString('hex')}`;
}

/** A client for the simulator without the production rate limit and with instant retry waits. */
export function simulatorClient(
  sim: SimulatorHandle,
  extra: Partial<ConstructorParameters<typeof FortiFlexClient>[0]> = {},
) {
  return new FortiFlexClient({
    apiUrl: sim.apiUrl,
    authUrl: sim.authUrl,
    credentials: { get: async () => sim.credentials },
    rateLimit: { perMinute: Infinity, perHour: Infinity },
    maxRetries: 2,
    attemptTimeoutMs: 5_000,
    totalTimeoutMs: 15_000,
    sleep: () => Promise.resolve(),
    now: () => sim.clock.now().getTime(),
    ...extra,
  });
}

/** Starts a harness; the simulator clock is set to `at` (default {@link FRIDAY_EVENING}). */
export async function startHarness(
  options: {
    seed?: SimulatorSeed;
    policy?: string;
    at?: string;
    simulator?: SimulatorOptions;
    settings?: Partial<Settings>;
  } = {},
): Promise<Harness> {
  const at = options.at ?? FRIDAY_EVENING;
  // The ledger starts at the seed's `now`, so start the world at `at` rather than moving the clock there.
  const seed = { ...(options.seed ?? { ...defaultSeed(), rates: RATES }), now: at };
  const sim = await startSimulator({ ...options.simulator, seed });
  const prefix = uniquePrefix();
  const store = await createStateStore(
    { kind: 'connectionString', connectionString: inject('azuriteConnectionString') },
    { prefix, now: () => sim.clock.now() },
  );
  const client = simulatorClient(sim);
  const base = {
    settings: options.settings ?? {},
    client,
    store,
    policy: options.policy ?? BRANCH_POLICY,
    now: () => sim.clock.now(),
  };
  const deps = await createAppDependencies(base);
  const originalConfigs = new Map(seed.entitlements.map((e) => [e.serialNumber, e.configId]));
  return {
    sim,
    store,
    client,
    deps,
    prefix,
    moreDeps: (overrides = {}) => createAppDependencies({ ...base, ...overrides }),
    statuses: (configId) =>
      Object.fromEntries(
        sim
          .entitlements()
          .filter((e) => e.configId === configId || originalConfigs.get(e.serialNumber) === configId)
          .map((e) => [e.serialNumber, e.status]),
      ),
    stop: () => sim.stop(),
  };
}
