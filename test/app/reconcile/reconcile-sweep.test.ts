/**
 * The pool sweep at the end of a reconcile run reuses the run's listing of the pool's account+program, so a
 * run lists each scope once; it lists on its own only where that listing does not describe the pool.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { claimLicense } from '../../../src/app/pools/claims';
import { poolMarker, POOL_ACTIONS } from '../../../src/app/pools/membership';
import { runReconcile } from '../../../src/app/reconcile/reconcile';
import { listedPoolEntitlements, sweepPools } from '../../../src/app/pools/sweep';
import { scopeKey, type RunListing } from '../../../src/app/reconcile/listing';
import type { Entitlement } from '../../../src/lib/fortiflex/types';
import { validatePolicy } from '../../../src/lib/rules';
import { defaultSeed, type SimulatorSeed } from '../../../src/simulator';
import { BRANCH_POLICY, RATES, startHarness, type Harness } from '../../e2e/harness';

const POOL = 'vmss-fgt';
const POOL_CONFIG = 2200;
const OTHER_PROGRAM = 'ELAVMR0000000777';
const OTHER_CONFIG = 2300;
/** Thursday 2026-10-22 11:00 PDT: a release marked then is due just before that PT day ends. */
const THURSDAY = '2026-10-22T18:00:00Z';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** BRANCH_POLICY (a rule on config 2198) plus one pool; `scope` gives the pool its own account+program. */
function policyWithPool(options: { configId?: number; scope?: string; extra?: string } = {}): string {
  return `${BRANCH_POLICY}
pools:
  - name: ${POOL}
    configId: ${options.configId ?? POOL_CONFIG}
    capacity: [{ min: 0, max: 20 }]
${options.scope ? `    fortiflex: ${options.scope}\n` : ''}${options.extra ?? ''}`;
}

/** The default seed with the pool config's members replaced by `members` (status, token status). */
function seedWith(
  members: Array<[Entitlement['status'], Entitlement['tokenStatus']]>,
  configId = POOL_CONFIG,
): SimulatorSeed {
  const seed = { ...defaultSeed(), rates: { ...RATES, [OTHER_CONFIG]: 13 } };
  seed.entitlements = seed.entitlements.filter((e) => e.configId !== POOL_CONFIG);
  if (configId === OTHER_CONFIG) {
    seed.programs = [...seed.programs, { ...seed.programs[0]!, serialNumber: OTHER_PROGRAM }];
    const poolConfig = seed.configs.find((c) => c.id === POOL_CONFIG)!;
    seed.configs = [...seed.configs, { ...poolConfig, id: OTHER_CONFIG, programSerialNumber: OTHER_PROGRAM }];
  }
  members.forEach(([status, tokenStatus], i) => {
    seed.entitlements.push({
      serialNumber: `FGVMPOOL${String(i + 1).padStart(8, '0')}`,
      description: poolMarker(POOL),
      configId,
      accountId: 12345,
      startDate: '2026-01-05T09:00:00.000',
      endDate: '2027-05-31T00:00:00',
      status,
      token: `TOKEN${i + 1}`,
      tokenStatus,
      folderPath: 'My Assets/pools/vmss-fgt',
    });
  });
  return seed;
}

describe('reconcile run with a pool in a listed scope', () => {
  it('lists the scope once when the sweep has nothing to do', async () => {
    h = await startHarness({
      policy: policyWithPool(),
      seed: seedWith([
        ['PENDING', 'NOTUSED'],
        ['PENDING', 'NOTUSED'],
        ['STOPPED', 'USED'],
      ]),
    });
    const summary = await runReconcile(h.deps, h.deps.now());
    expect(summary).toMatchObject({ applied: 12, failed: 0, errors: [] });
    expect(summary.pools?.pools).toEqual([
      {
        pool: POOL,
        before: 2,
        target: 2,
        after: 2,
        bounds: { min: 0, max: 20 },
        applied: [],
        failed: [],
        created: [],
      },
    ]);
    // Before the sweep reused the run's listing this was 3 (the run's list, then two pool lists).
    expect(h.sim.stats().requests).toEqual({
      'oauth/token': 1,
      'entitlements/list': 1,
      'entitlements/stop': 12,
    });
  });

  it('reads the pool again under its lease before a due stop, re-checks the member, and reads after', async () => {
    h = await startHarness({
      policy: policyWithPool(),
      seed: seedWith([
        ['ACTIVE', 'NOTUSED'],
        ['PENDING', 'NOTUSED'],
      ]),
    });
    const marked = 'FGVMPOOL00000001';
    await h.store.records.upsert({
      serialNumber: marked,
      stoppedByScaler: false,
      pool: POOL,
      lastAction: POOL_ACTIONS.poolRelease,
      lastActionAt: THURSDAY,
    });
    const summary = await runReconcile(h.deps, h.deps.now());
    expect(summary).toMatchObject({ applied: 12, failed: 0, errors: [] });
    expect(summary.pools?.pools).toEqual([
      {
        pool: POOL,
        before: 1,
        target: 1,
        after: 1,
        bounds: { min: 0, max: 20 },
        applied: [{ kind: 'stop', serialNumber: marked }],
        failed: [],
        created: [],
      },
    ]);
    expect(h.sim.entitlements().find((e) => e.serialNumber === marked)?.status).toBe('STOPPED');
    expect(await h.store.records.get(marked)).toMatchObject({
      stoppedByScaler: true,
      lastAction: POOL_ACTIONS.poolStop,
    });
    // The run's list; the pool under its lease (the run's listing only ever decides "nothing to do"); the
    // re-check of the member right before its stop; the pool after the stop. Before: 5.
    expect(h.sim.stats().requests).toEqual({
      'oauth/token': 1,
      'entitlements/list': 4,
      'entitlements/stop': 13,
    });

    // The next run finds the pool settled and lists once again.
    h.sim.resetStats();
    const again = await runReconcile(h.deps, h.deps.now());
    expect(again.pools?.pools[0]).toMatchObject({ before: 1, after: 1, applied: [], failed: [] });
    expect(h.sim.stats().requests['entitlements/list']).toBe(1);
  });

  it('lists the pool on its own when no rule uses its account+program', async () => {
    h = await startHarness({
      policy: policyWithPool({
        configId: OTHER_CONFIG,
        scope: `{ accountId: 12345, programSerialNumber: ${OTHER_PROGRAM} }`,
      }),
      seed: seedWith(
        [
          ['PENDING', 'NOTUSED'],
          ['STOPPED', 'USED'],
        ],
        OTHER_CONFIG,
      ),
    });
    const summary = await runReconcile(h.deps, h.deps.now());
    expect(summary.pools?.pools[0]).toMatchObject({ before: 1, after: 1, applied: [], failed: [] });
    expect(h.sim.stats().requests['entitlements/list']).toBe(2);
  });

  it('lists the pool on its own after the sweep released one of its claims', async () => {
    h = await startHarness({
      policy: policyWithPool({ extra: '    claimTtlMinutes: 30\n' }),
      seed: seedWith([['PENDING', 'NOTUSED']]),
    });
    const claim = await claimLicense(h.deps, POOL, 'vm-gone', { runId: 'test' });
    h.sim.useToken(claim.serialNumber);
    h.sim.clock.advance(31 * 60_000);
    h.sim.resetStats();
    const summary = await runReconcile(h.deps, h.deps.now());
    expect(summary.pools?.claims[0]?.released.map((r) => r.instanceId)).toEqual(['vm-gone']);
    // The freed member (ACTIVE, its departed instance's token used) is a spare the pool still counts.
    expect(summary.pools?.pools[0]).toMatchObject({ before: 1, after: 1, applied: [], failed: [] });
    // The run's list, the release's read of the member, the pool's own list.
    expect(h.sim.stats().requests['entitlements/list']).toBe(3);
  });

  it('never changes a pool on the run listing alone: work it shows is planned on a read under the lease', async () => {
    h = await startHarness({ policy: policyWithPool(), seed: seedWith([['STOPPED', 'USED']]) });
    const policy = await h.deps.loadPolicy();
    const raised = { ...policy, pools: [{ ...policy.pools[0]!, capacity: [{ min: 1, max: 4 }] }] };
    // What a run listed before the member below was reactivated: it shows the pool under its floor.
    const listing: RunListing = {
      runId: 'r1',
      scopes: new Map([[scopeKey(raised.pools[0]!.fortiflex), h.sim.entitlements()]]),
      changedConfigs: new Set(),
    };
    const first = await sweepPools(h.deps, h.deps.now(), { policy: raised, runId: 'r1', listing });
    expect(first.pools[0]).toMatchObject({
      before: 0,
      after: 1,
      applied: [{ kind: 'reactivate', serialNumber: 'FGVMPOOL00000001' }],
    });
    // The pool under its lease, then after the change.
    expect(h.sim.stats().requests['entitlements/list']).toBe(2);

    h.sim.resetStats();
    // The same, now stale, listing still shows the floor unmet; the read under the lease shows it met, so the
    // member is neither given a new token nor reactivated again.
    const again = await sweepPools(h.deps, h.deps.now(), { policy: raised, runId: 'r1', listing });
    expect(again.pools[0]).toMatchObject({ before: 1, target: 1, after: 1, applied: [], failed: [] });
    expect(h.sim.stats().requests).toEqual({ 'entitlements/list': 1 });
  });
});

describe('listedPoolEntitlements', () => {
  const policy = validatePolicy({
    fortiflex: { accountId: 1, programSerialNumber: 'ELAVMR0000000001' },
    pools: [{ name: POOL, configId: POOL_CONFIG, capacity: [{ min: 0, max: 2 }] }],
  });
  const pool = policy.pools[0]!;
  const entitlement = (serialNumber: string, configId: number) => ({ serialNumber, configId }) as Entitlement;
  const listing = (changed: number[] = []): RunListing => ({
    runId: 'r1',
    scopes: new Map([
      [
        scopeKey({ accountId: 1, programSerialNumber: 'ELAVMR0000000001' }),
        [entitlement('A', POOL_CONFIG), entitlement('B', 2198), entitlement('C', POOL_CONFIG)],
      ],
    ]),
    changedConfigs: new Set(changed),
  });

  it("keeps the pool config's entitlements of the same run's listing", () => {
    expect(listedPoolEntitlements(listing(), 'r1', pool)?.map((e) => e.serialNumber)).toEqual(['A', 'C']);
    expect(listedPoolEntitlements(listing([2198]), 'r1', pool)).toHaveLength(2);
  });

  it('gives nothing for another run, a changed pool config, an unlisted scope or no listing', () => {
    expect(listedPoolEntitlements(listing(), 'r2', pool)).toBeUndefined();
    expect(listedPoolEntitlements(listing([POOL_CONFIG]), 'r1', pool)).toBeUndefined();
    const elsewhere = { ...pool, fortiflex: { accountId: 2, programSerialNumber: 'ELAVMR0000000001' } };
    expect(listedPoolEntitlements(listing(), 'r1', elsewhere)).toBeUndefined();
    expect(listedPoolEntitlements(undefined, 'r1', pool)).toBeUndefined();
  });
});
