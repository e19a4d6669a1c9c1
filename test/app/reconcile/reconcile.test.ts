import { afterEach, describe, expect, it } from 'vitest';
import type { AppDependencies } from '../../../src/app/dependencies';
import { runReconcile } from '../../../src/app/reconcile/reconcile';
import type { FortiFlexClient } from '../../../src/lib/fortiflex';
import type { Lease, StateStore } from '../../../src/lib/state';
import { BRANCH_POLICY, FRIDAY_EVENING, MONDAY_MORNING, startHarness, type Harness } from '../../e2e/harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Branch entitlements of the default seed: 12 ACTIVE, 3 STOPPED by hand, 1 EXPIRED. */
function branchCounts(harness: Harness): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const status of Object.values(harness.statuses(2198))) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** A promise with its resolver, to make one step of a run wait for another deterministically. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** `store` whose reconcile lease renews (or fails to) through `renew`, counting releases. */
function withLease(
  store: StateStore,
  renew: (real: Lease) => Promise<void>,
): { store: StateStore; released: () => number } {
  let released = 0;
  const leases: StateStore['leases'] = {
    acquire: async (name, ttl) => {
      const real = await store.leases.acquire(name, ttl);
      if (real === null) return null;
      return {
        ...real,
        renew: () => renew(real),
        release: async () => {
          released += 1;
          await real.release();
        },
      };
    },
  };
  return { store: { ...store, leases }, released: () => released };
}

/** `client` whose `stopEntitlement` runs `around` around each real call (`n` counts from 1). */
function aroundStops(
  client: FortiFlexClient,
  around: (n: number, call: () => Promise<unknown>) => Promise<unknown>,
): FortiFlexClient {
  let n = 0;
  return new Proxy(client, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key === 'stopEntitlement') {
        return (...args: Parameters<FortiFlexClient['stopEntitlement']>) =>
          around(++n, () => target.stopEntitlement(...args));
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function stoppedSerials(harness: Harness): string[] {
  return Object.entries(harness.statuses(2198))
    .filter(([, status]) => status === 'STOPPED')
    .map(([serial]) => serial)
    .sort();
}

describe('runReconcile against the simulator and Azurite', () => {
  it('stops off-hours, records ownership and audits, then reactivates only its own stops', async () => {
    h = await startHarness();
    const handStopped = stoppedSerials(h);
    expect(handStopped).toHaveLength(3);

    const friday = await runReconcile(h.deps, h.deps.now());
    expect(friday).toMatchObject({ dryRun: false, planned: 12, applied: 12, failed: 0, errors: [] });
    // Fri 19:00 Berlin → Mon 07:00 Berlin covers exactly one whole Pacific day (Saturday).
    expect(friday.ptDaysSaved).toBe(12);
    expect(friday.pointsSaved).toBe(78);
    expect(branchCounts(h)).toEqual({ STOPPED: 15, EXPIRED: 1 });
    // One list call for the single account+program scope, one stop per entitlement, one login.
    expect(h.sim.stats().requests).toEqual({
      'oauth/token': 1,
      'entitlements/list': 1,
      'entitlements/stop': 12,
    });

    const records = await h.store.records.list();
    const owned = records.filter((r) => r.stoppedByScaler);
    expect(owned).toHaveLength(12);
    expect(
      owned.every((r) => r.lastAction === 'stop' && r.rule === 'branches' && r.previousStatus === 'ACTIVE'),
    ).toBe(true);
    const audit = await h.store.audit.query({
      since: new Date(FRIDAY_EVENING),
      until: new Date(Date.parse(FRIDAY_EVENING) + 1),
    });
    expect(audit.filter((a) => a.outcome === 'started')).toHaveLength(12);
    expect(audit.filter((a) => a.outcome === 'succeeded')).toHaveLength(12);
    expect(new Set(audit.map((a) => a.runId))).toEqual(new Set([friday.runId]));

    // A second run in the same window has nothing to do.
    const again = await runReconcile(h.deps, h.deps.now());
    expect(again).toMatchObject({ planned: 0, applied: 0 });

    h.sim.clock.set(MONDAY_MORNING);
    const monday = await runReconcile(h.deps, h.deps.now());
    expect(monday).toMatchObject({ applied: 12, failed: 0 });
    expect(monday.actions.every((a) => a.action === 'reactivate')).toBe(true);
    // The three stopped by hand stay stopped ("only undo what we did").
    expect(stoppedSerials(h)).toEqual(handStopped);
    expect((await h.store.records.list()).filter((r) => r.stoppedByScaler)).toHaveLength(0);
  });

  it('skips and applies nothing while another run holds the lease', async () => {
    h = await startHarness();
    const lease = await h.store.leases.acquire('reconcile', 60);
    expect(lease).not.toBeNull();
    const summary = await runReconcile(h.deps, h.deps.now());
    expect(summary).toMatchObject({ skippedReason: 'another run holds the lease', applied: 0, planned: 0 });
    expect(h.sim.stats().requests['entitlements/stop']).toBeUndefined();
    await lease!.release();
    expect((await runReconcile(h.deps, h.deps.now())).applied).toBe(12);
  });

  it('lets exactly one of two concurrent runs apply', async () => {
    h = await startHarness({ simulator: { latencyMs: 20 } });
    const other = await h.moreDeps();
    const [a, b] = await Promise.all([runReconcile(h.deps, h.deps.now()), runReconcile(other, other.now())]);
    const skipped = [a, b].filter((s) => s.skippedReason !== undefined);
    const ran = [a, b].filter((s) => s.skippedReason === undefined);
    expect(skipped).toHaveLength(1);
    expect(ran[0]!.applied).toBe(12);
    expect(h.sim.stats().requests['entitlements/stop']).toBe(12);
  });

  it('dry runs change nothing and write the plan to the audit (option, SCALER_DRY_RUN, policy mode)', async () => {
    h = await startHarness();
    const byOption = await runReconcile(h.deps, h.deps.now(), { dryRun: true });
    const forced = await runReconcile(await h.moreDeps({ settings: { forceDryRun: true } }), h.deps.now());
    const byPolicy = await runReconcile(
      await h.moreDeps({
        policy: BRANCH_POLICY.replace('mode: enforce', 'mode: dryRun'),
      }),
      h.deps.now(),
    );
    for (const summary of [byOption, forced, byPolicy]) {
      expect(summary).toMatchObject({ dryRun: true, planned: 12, applied: 0, ptDaysSaved: 12 });
      expect(summary.actions.every((a) => a.outcome === 'dryRun')).toBe(true);
    }
    expect(h.sim.stats().requests['entitlements/stop']).toBeUndefined();
    expect(branchCounts(h)).toEqual({ ACTIVE: 12, STOPPED: 3, EXPIRED: 1 });
    expect(await h.store.records.list()).toEqual([]);
    const audit = await h.store.audit.query({ since: new Date(FRIDAY_EVENING) });
    expect(audit).toHaveLength(36);
    expect(audit.every((a) => a.outcome === 'dryRun')).toBe(true);
  });

  it('isolates API failures per entitlement, records them, and converges on the next run', async () => {
    h = await startHarness();
    h.sim.faults.add({
      endpoint: 'entitlements/stop',
      times: 3,
      fault: { kind: 'envelope', errorCode: 'E-STOP', message: 'Unable to stop this entitlement right now.' },
    });
    const first = await runReconcile(h.deps, h.deps.now(), { concurrency: 4 });
    expect(first).toMatchObject({ planned: 12, applied: 9, failed: 3 });
    const failed = first.actions.filter((a) => a.outcome === 'failed').map((a) => a.serialNumber);
    expect(
      first.errors
        .filter((e) => e.stage === 'apply')
        .map((e) => e.serialNumber)
        .sort(),
    ).toEqual([...failed].sort());
    for (const serial of failed) {
      const record = await h.store.records.get(serial);
      expect(record?.lastError).toMatch(/Unable to stop/);
      const rows = await h.store.audit.query({ serialNumber: serial });
      expect(rows.map((r) => r.outcome).sort()).toEqual(['failed', 'started']);
    }

    const second = await runReconcile(h.deps, h.deps.now());
    expect(second).toMatchObject({ planned: 3, applied: 3, failed: 0 });
    expect(second.actions.map((a) => a.serialNumber).sort()).toEqual([...failed].sort());
    expect(branchCounts(h)).toEqual({ STOPPED: 15, EXPIRED: 1 });
    for (const serial of failed) expect((await h.store.records.get(serial))?.lastError).toBeUndefined();
  });

  it('rides out a transient "Invalid security token." mid-run with the same token and applies everything', async () => {
    h = await startHarness();
    h.sim.faults.add({ endpoint: 'entitlements/stop', times: 1, fault: { kind: 'invalidToken' } });
    const summary = await runReconcile(h.deps, h.deps.now(), { concurrency: 1 });
    expect(summary).toMatchObject({ applied: 12, failed: 0 });
    expect(h.sim.stats().logins).toBe(1);
    expect(branchCounts(h)).toEqual({ STOPPED: 15, EXPIRED: 1 });
  });

  it('a run killed mid-apply loses nothing: the next run converges and the audit is complete', async () => {
    h = await startHarness();
    // "Kill" the process right after the 5th stop reached FortiFlex: from then on nothing is written and no
    // new action starts, exactly as if the worker died before recording the outcome.
    const controller = new AbortController();
    let stops = 0;
    let dead = false;
    const die = (): never => {
      dead = true;
      controller.abort();
      throw new Error('worker killed');
    };
    const client = new Proxy(h.client, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (key === 'stopEntitlement') {
          return async (...args: Parameters<FortiFlexClient['stopEntitlement']>) => {
            if (dead) die();
            const result = await target.stopEntitlement(...args);
            if (++stops === 5) die();
            return result;
          };
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const guard = <T extends object>(part: T): T =>
      new Proxy(part, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) =>
            dead ? Promise.reject(new Error('worker killed')) : value.apply(target, args);
        },
      });
    const store: StateStore = { ...h.store, records: guard(h.store.records), audit: guard(h.store.audit) };
    const crashing: AppDependencies = await h.moreDeps({ client, store });
    const killed = await runReconcile(crashing, crashing.now(), {
      concurrency: 1,
      signal: controller.signal,
    });
    expect(killed.applied).toBeLessThan(12);
    const stoppedByKilledRun = stoppedSerials(h).length - 3;
    expect(stoppedByKilledRun).toBe(5);

    // The lease of the killed run was released in `finally`; a real crash would let it expire instead.
    const next = await runReconcile(h.deps, h.deps.now());
    expect(next.failed).toBe(0);
    expect(next.applied).toBe(7);
    expect(branchCounts(h)).toEqual({ STOPPED: 15, EXPIRED: 1 });

    // Every stop the scaler made is owned, including the one whose success was never written...
    const records = await h.store.records.list();
    expect(records.filter((r) => r.stoppedByScaler)).toHaveLength(12);
    // ...and every one has a `started` audit row written before its API call.
    for (const record of records) {
      const rows = await h.store.audit.query({ serialNumber: record.serialNumber });
      expect(rows.some((r) => r.outcome === 'started' && r.action === 'stop')).toBe(true);
    }
    // The five stops the killed run made were written ahead by that run, before the crash.
    const killedStops = killed.actions.filter((a) => a.outcome === 'succeeded').map((a) => a.serialNumber);
    const firstRun = await h.store.audit.query({ since: new Date(FRIDAY_EVENING), limit: 500 });
    const writtenAhead = new Set(
      firstRun.filter((r) => r.runId === killed.runId && r.outcome === 'started').map((r) => r.serialNumber),
    );
    const madeByKilledRun = records
      .map((r) => r.serialNumber)
      .filter((serial) => !next.actions.some((a) => a.serialNumber === serial));
    expect(madeByKilledRun).toHaveLength(5);
    for (const serial of [...killedStops, ...madeByKilledRun]) expect(writtenAhead.has(serial)).toBe(true);
    // The next run closed every intent the killed run left open: an outcome for each change, read from
    // FortiFlex, and no record still saying `started: …`.
    for (const serial of [...killedStops, ...madeByKilledRun]) {
      const rows = await h.store.audit.query({ serialNumber: serial });
      expect(
        rows.some((r) => r.action === 'stop' && r.outcome === 'succeeded'),
        serial,
      ).toBe(true);
    }
    expect(records.filter((r) => r.lastReason?.startsWith('started: ')).map((r) => r.serialNumber)).toEqual(
      [],
    );
    expect(records.filter((r) => r.lastAction === 'stop')).toHaveLength(12);

    // Monday: all twelve come back, the unconfirmed one too.
    h.sim.clock.set(MONDAY_MORNING);
    const monday = await runReconcile(h.deps, h.deps.now());
    expect(monday.applied).toBe(12);
    expect(branchCounts(h)).toEqual({ ACTIVE: 12, STOPPED: 3, EXPIRED: 1 });
  });

  it('closes an intent a killed run left open from the state it finds: not done, with the state found', async () => {
    h = await startHarness();
    // One of the branches someone stopped by hand, with the intent of a reactivation that never reached
    // FortiFlex (as a run killed right after writing ahead leaves it; the form of older records).
    const stopped = Object.entries(h.statuses(2198)).find(([, status]) => status === 'STOPPED')![0];
    await h.store.records.put({
      serialNumber: stopped,
      stoppedByScaler: true,
      rule: 'branches',
      lastReason: 'started: reactivate: office hours',
    });
    const summary = await runReconcile(h.deps, h.deps.now());
    expect(summary.failed).toBe(0);
    const record = await h.store.records.get(stopped);
    expect(record?.lastReason).not.toMatch(/^started: /);
    expect(record).toMatchObject({
      stoppedByScaler: true,
      lastError: expect.stringMatching(/found status STOPPED/),
    });
    const rows = await h.store.audit.query({ serialNumber: stopped });
    expect(rows).toEqual([
      expect.objectContaining({
        action: 'reactivate',
        outcome: 'failed',
        runId: summary.runId,
        details: expect.objectContaining({ found: { status: 'STOPPED', configId: 2198 } }),
      }),
    ]);
  });

  it('an aborted run skips what it has not started, puts written-ahead records back, and audits the skips', async () => {
    h = await startHarness({ simulator: { latencyMs: 40 } });
    const controller = new AbortController();
    let stops = 0;
    const client = new Proxy(h.client, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (key === 'stopEntitlement') {
          return async (...args: Parameters<FortiFlexClient['stopEntitlement']>) => {
            const result = await target.stopEntitlement(...args);
            if (++stops === 3) controller.abort();
            return result;
          };
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const aborted = await runReconcile(await h.moreDeps({ client }), h.deps.now(), {
      concurrency: 1,
      signal: controller.signal,
    });
    expect(aborted).toMatchObject({ applied: 3, failed: 0 });
    const skipped = aborted.actions.filter((a) => a.outcome === 'skipped');
    expect(skipped).toHaveLength(9);
    let restored = 0;
    for (const action of skipped) {
      const record = await h.store.records.get(action.serialNumber);
      // Never claims a stop that was not made: either never written ahead, or put back.
      if (record !== undefined) {
        expect(record).toMatchObject({ stoppedByScaler: false, lastReason: 'skipped: run aborted' });
        restored += 1;
      }
      const rows = await h.store.audit.query({ serialNumber: action.serialNumber });
      expect(rows.some((r) => r.outcome === 'skipped' && r.reason.startsWith('run aborted'))).toBe(true);
    }
    // The second write-ahead batch (the 2nd to 5th actions) is always written before the 2nd is applied.
    expect(restored).toBeGreaterThanOrEqual(2);

    const next = await runReconcile(h.deps, h.deps.now());
    expect(next).toMatchObject({ applied: 9, failed: 0 });
    expect((await h.store.records.list()).filter((r) => r.stoppedByScaler)).toHaveLength(12);
  });

  it('renews the lease while a long run works and releases it at the end', async () => {
    h = await startHarness();
    const renewed = signal();
    let renewals = 0;
    const { store, released } = withLease(h.store, async (real) => {
      await real.renew();
      renewals += 1;
      renewed.resolve();
    });
    // The first stop waits for a renewal, so the run is "long" however fast or slow the machine is.
    const client = aroundStops(h.client, async (n, call) => {
      if (n === 1) await renewed.promise;
      return call();
    });
    const summary = await runReconcile(await h.moreDeps({ client, store }), h.deps.now(), {
      renewEveryMs: 10,
    });
    expect(summary).toMatchObject({ applied: 12, failed: 0, errors: [] });
    expect(renewals).toBeGreaterThanOrEqual(1);
    expect(released()).toBe(1);
    // Released for real: the next run takes the lease at once.
    expect((await runReconcile(h.deps, h.deps.now())).skippedReason).toBeUndefined();
  });

  it('stops applying, clearing ownership and sweeping once the lease is lost, and puts intents back', async () => {
    h = await startHarness();
    // A stale ownership claim on an ACTIVE entitlement outside the plan: a run holding the lease clears it.
    const stale = 'FGVMMLTM25000117';
    expect(h.sim.entitlements().find((e) => e.serialNumber === stale)?.status).toBe('ACTIVE');
    await h.store.records.put({ serialNumber: stale, stoppedByScaler: true });
    // The lease is lost right after the first stop: renewals before it succeed, the first one after it fails.
    const attempted = signal();
    let firstStopMade = false;
    const { store, released } = withLease(h.store, async (real) => {
      if (!firstStopMade) return real.renew();
      attempted.resolve();
      throw new Error('LeaseIdMismatchWithLeaseOperation');
    });
    const client = aroundStops(h.client, async (n, call) => {
      const result = await call();
      if (n === 1) {
        firstStopMade = true;
        await attempted.promise;
        // Let the failed renewal's handler run before the next action asks whether the run may go on.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return result;
    });
    const summary = await runReconcile(await h.moreDeps({ client, store }), h.deps.now(), {
      concurrency: 1,
      renewEveryMs: 10,
    });
    expect(summary).toMatchObject({ planned: 12, applied: 1, failed: 0 });
    const skipped = summary.actions.filter((a) => a.outcome === 'skipped');
    expect(skipped).toHaveLength(11);
    expect(skipped.every((a) => a.error === 'run lease lost')).toBe(true);
    expect(summary.errors).toContainEqual({
      stage: 'lease',
      message: 'lease renewal failed: LeaseIdMismatchWithLeaseOperation',
    });
    expect(h.sim.stats().requests['entitlements/stop']).toBe(1);
    expect(released()).toBe(1);
    // Nothing claims a stop that was not made, and the post-apply writes did not run without the lease.
    const owned = (await h.store.records.list()).filter((r) => r.stoppedByScaler).map((r) => r.serialNumber);
    expect(owned.sort()).toEqual(
      [stale, summary.actions.find((a) => a.outcome === 'succeeded')!.serialNumber].sort(),
    );

    // The next run, holding its lease, converges and clears the stale claim.
    const next = await runReconcile(h.deps, h.deps.now());
    expect(next).toMatchObject({ applied: 11, failed: 0 });
    expect((await h.store.records.get(stale))?.stoppedByScaler).toBe(false);
  });

  it('fails with one line naming AzureWebJobsStorage when state storage is down, and changes nothing', async () => {
    h = await startHarness();
    const down = (): Promise<never> => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:10000'));
    const noLease: StateStore = { ...h.store, leases: { acquire: down } };
    await expect(runReconcile(await h.moreDeps({ store: noLease }), h.deps.now())).rejects.toThrow(
      /^state storage unavailable while taking the run lease: connect ECONNREFUSED 127\.0\.0\.1:10000; check AzureWebJobsStorage/,
    );
    // Records unreadable (a dry run takes no lease): nothing may be planned from a partial picture.
    const noRecords: StateStore = { ...h.store, records: { ...h.store.records, list: down } };
    await expect(
      runReconcile(await h.moreDeps({ store: noRecords }), h.deps.now(), { dryRun: true }),
    ).rejects.toThrow(
      /^state storage unavailable while reading the entitlement records: .*AzureWebJobsStorage/,
    );
    expect(h.sim.stats().requests['entitlements/stop']).toBeUndefined();
    expect(await h.store.audit.query({ since: new Date(FRIDAY_EVENING) })).toEqual([]);
  });

  it('reports FortiFlex being down as a list error, changes nothing and frees the lease', async () => {
    h = await startHarness();
    h.sim.faults.add({
      endpoint: 'entitlements/list',
      times: Infinity,
      fault: { kind: 'http', status: 503 },
    });
    const summary = await runReconcile(h.deps, h.deps.now());
    expect(summary).toMatchObject({ planned: 0, applied: 0, failed: 0, actions: [] });
    expect(summary.errors).toEqual([
      { stage: 'list', message: expect.stringMatching(/^account 12345 program ELAVMR0000000519: /) },
    ]);
    expect(summary.errors[0]!.message).not.toMatch(/\n/);
    expect(await h.store.records.list()).toEqual([]);
    h.sim.faults.clear();
    expect((await runReconcile(h.deps, h.deps.now())).applied).toBe(12);
  });

  it('fails before taking the lease or calling FortiFlex when the policy cannot be loaded', async () => {
    h = await startHarness({ policy: 'rules: [ { name: x } ]' });
    await expect(runReconcile(h.deps, h.deps.now())).rejects.toThrow(/rules/);
    expect(h.sim.stats().total).toBe(0);
    const lease = await h.store.leases.acquire('reconcile', 15);
    expect(lease).not.toBeNull();
    await lease!.release();
  });

  it('honours the action cap and picks up the rest on the next run', async () => {
    h = await startHarness({
      policy: BRANCH_POLICY.replace('maxActionsPerRun: 50', 'maxActionsPerRun: 5'),
    });
    const first = await runReconcile(h.deps, h.deps.now());
    expect(first).toMatchObject({ applied: 5 });
    expect(first.skipped).toBeGreaterThanOrEqual(7);
    await runReconcile(h.deps, h.deps.now());
    const third = await runReconcile(h.deps, h.deps.now());
    expect(third.applied).toBe(2);
    expect(branchCounts(h)).toEqual({ STOPPED: 15, EXPIRED: 1 });
  });

  it('switches to the off-hours config with the original remembered, and switches back', async () => {
    const policy = `
fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }
schedules:
  us-store: { timezone: America/New_York, active: ["Mon-Fri 06:00-22:00"] }
rules:
  - name: us-stores
    select: { configIds: [2198], descriptionPrefix: branch-newyork }
    schedule: us-store
    offHours: { switchConfig: 2199 }
rates: { 2198: 6.5, 2199: 3.25 }
`;
    // Friday 23:00 New York: the window to Monday 06:00 covers Pacific Saturday and Sunday.
    h = await startHarness({ policy, at: '2026-10-24T03:00:00Z' });
    const configs = () =>
      Object.fromEntries(
        h!.sim
          .entitlements()
          .filter((e) => e.status === 'ACTIVE')
          .map((e) => [e.serialNumber, e.configId]),
      );
    const before = configs();
    const night = await runReconcile(h.deps, h.deps.now());
    expect(night.applied).toBeGreaterThan(0);
    expect(night.actions.every((a) => a.action === 'switchConfig' && a.targetConfigId === 2199)).toBe(true);
    expect(night.actions[0]).toMatchObject({ ptDaysSaved: 2, pointsSaved: 6.5 });
    const switched = night.actions.map((a) => a.serialNumber);
    for (const serial of switched) expect(configs()[serial]).toBe(2199);

    h.sim.clock.set('2026-10-26T11:00:00Z'); // Monday 07:00 New York
    const morning = await runReconcile(h.deps, h.deps.now());
    expect(morning.actions.map((a) => [a.action, a.targetConfigId])).toEqual(
      switched.map(() => ['switchConfig', 2198]),
    );
    expect(configs()).toEqual(before);
  });
});
