/**
 * Reconcile at scale: 1,000 entitlements of which 300 must change state, against the simulator with 50 ms
 * latency per request, state in Azurite. Reports wall time and API calls, and their ratios to
 * (a) the minimum number of calls: one `entitlements/list` per scope + one call per change + one login, and
 * (b) the latency lower bound ceil(changes / concurrency) × latency.
 * Targets: calls ratio 1.00, time ratio ≤ 1.3.
 */
import { randomBytes } from 'node:crypto';
import { createAppDependencies } from '../src/app/dependencies';
import { DEFAULT_CONCURRENCY, runReconcile } from '../src/app/reconcile/reconcile';
import { startAzurite } from '../src/dev/azurite';
import { FortiFlexClient } from '../src/lib/fortiflex';
import { createStateStore, type EntitlementRecord, type StateStore } from '../src/lib/state';
import { type RunSummary } from '../src/app/reconcile/run-summary';
import { defaultSeed, startSimulator, type SimulatorSeed } from '../src/simulator';

const ENTITLEMENTS = 1_000;
const CHANGES = 300;
const LATENCY_MS = 50;
/** Friday 2026-10-23 20:00 Berlin: the weekend window saves Pacific Saturday, so every stop is worth it. */
const AT = '2026-10-23T18:00:00Z';

function seed(): SimulatorSeed {
  const base = defaultSeed();
  const template = base.entitlements[0]!;
  const entitlements = Array.from({ length: ENTITLEMENTS }, (_, i) => ({
    ...template,
    serialNumber: `FGVMBENCH${String(i).padStart(7, '0')}`,
    description: i < CHANGES ? `night-${i}` : `always-${i}`,
    configId: 2198,
    status: 'ACTIVE' as const,
  }));
  return { ...base, now: AT, entitlements, rates: { 2198: 6.5 } };
}

const POLICY = `
fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }
safety: { maxActionsPerRun: 1000 }
schedules:
  office: { timezone: Europe/Berlin, active: ["Mon-Fri 07:00-19:00"] }
  always: { timezone: UTC, active: ["daily 00:00-24:00"] }
rules:
  - name: night
    select: { descriptionPrefix: night- }
    schedule: office
    offHours: stop
  - name: always
    select: { descriptionPrefix: always- }
    schedule: always
    offHours: stop
rates: { 2198: 6.5 }
`;

/**
 * A store that keeps nothing, for the breakdown line only: it shows how much of the wall time is the
 * FortiFlex side (list, plan, changes) and how much is state writes to Azurite.
 */
function nullStore(): StateStore {
  return {
    records: {
      list: async () => [],
      put: async (r: EntitlementRecord) => r,
      putMany: async (rs: EntitlementRecord[]) => rs.map((value) => ({ status: 'fulfilled', value })),
    },
    audit: { append: async () => undefined, appendMany: async () => undefined },
    leases: {
      acquire: async (name: string) => ({
        name,
        id: 'none',
        renew: async () => undefined,
        release: async () => undefined,
      }),
    },
  } as unknown as StateStore;
}

interface Measurement {
  wallMs: number;
  summary: RunSummary;
  requests: { total: number; requests: Record<string, number> };
}

async function measure(store: StateStore | 'azurite', connectionString: string): Promise<Measurement> {
  const sim = await startSimulator({ seed: seed(), latencyMs: LATENCY_MS });
  try {
    const state =
      store === 'azurite'
        ? await createStateStore(
            { kind: 'connectionString', connectionString },
            { prefix: `bench${randomBytes(4).toString('hex')}`, now: () => sim.clock.now() },
          )
        : store;
    const client = new FortiFlexClient({
      apiUrl: sim.apiUrl,
      authUrl: sim.authUrl,
      credentials: { get: () => Promise.resolve(sim.credentials) },
      rateLimit: { perMinute: Infinity, perHour: Infinity },
      now: () => sim.clock.now().getTime(),
    });
    const deps = await createAppDependencies({
      settings: {},
      client,
      store: state,
      policy: POLICY,
      now: () => sim.clock.now(),
    });
    // Warm-up outside the measurement: policy parsing (loads the rule engine), table/container creation.
    await deps.loadPolicy();
    if (store === 'azurite') {
      await Promise.all([state.records.list(), state.audit.query({ limit: 1 })]);
      await (await state.leases.acquire('warm-up', 15))?.release();
    }
    sim.resetStats();
    const started = performance.now();
    const summary = await runReconcile(deps, sim.clock.now());
    const wallMs = performance.now() - started;
    return { wallMs, summary, requests: sim.stats() };
  } finally {
    await sim.stop();
  }
}

/** Runs the benchmark. */
export async function run(log: (line: string) => void): Promise<void> {
  const azurite = await startAzurite();
  try {
    // One unmeasured run first: whichever measurement came first would otherwise also pay for warming up
    // the client, the planner and the HTTP agents (about 60 ms here), skewing the comparison.
    await measure(nullStore(), azurite.connectionString);
    const real = await measure('azurite', azurite.connectionString);
    const apiOnly = await measure(nullStore(), azurite.connectionString);
    const minimumCalls = 1 + CHANGES + 1;
    const lowerBoundMs = Math.ceil(CHANGES / DEFAULT_CONCURRENCY) * LATENCY_MS;
    const { summary, requests } = real;
    log(
      `entitlements ${ENTITLEMENTS}, changes planned ${summary.planned}, applied ${summary.applied}, failed ${summary.failed}, concurrency ${DEFAULT_CONCURRENCY}, latency ${LATENCY_MS} ms`,
    );
    log(`API requests ${requests.total} ${JSON.stringify(requests.requests)}`);
    log(
      `calls ratio: ${requests.total} / minimum ${minimumCalls} (1 list + ${CHANGES} changes + 1 login) = ${(requests.total / minimumCalls).toFixed(2)} (target 1.00)`,
    );
    log(`lower bound ceil(${CHANGES}/${DEFAULT_CONCURRENCY}) × ${LATENCY_MS} ms = ${lowerBoundMs} ms`);
    log(
      `wall time with state in Azurite: ${real.wallMs.toFixed(0)} ms, time ratio ${(real.wallMs / lowerBoundMs).toFixed(2)} (target ≤ 1.3); ` +
        `state: intent records and 'started' rows written ahead in transactions of ≤100, outcomes in batches behind the changes`,
    );
    log(
      `wall time without state writes (breakdown only): ${apiOnly.wallMs.toFixed(0)} ms, ratio ${(apiOnly.wallMs / lowerBoundMs).toFixed(2)}; ` +
        `state writes add ${(real.wallMs - apiOnly.wallMs).toFixed(0)} ms on this machine`,
    );
  } finally {
    await azurite.stop();
  }
}
