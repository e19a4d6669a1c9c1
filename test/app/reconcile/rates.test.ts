import { afterEach, describe, expect, it } from 'vitest';
import { runReconcile } from '../../../src/app/reconcile/reconcile';
import { createRateSource, RATE_TTL_MS } from '../../../src/app/reconcile/rates';
import { BRANCH_POLICY, FRIDAY_EVENING, startHarness, type Harness } from '../../e2e/harness';

/** The branch policy without its `rates`: every rate must come from tools/calc. */
const NO_RATES = BRANCH_POLICY.replace(/^rates:.*$/m, '');

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const calls = (harness: Harness) => {
  const requests = harness.sim.stats().requests;
  return { list: requests['configs/list'] ?? 0, calc: requests['tools/calc'] ?? 0 };
};

describe('rates from tools/calc', () => {
  it('prices configs the policy leaves out, once per TTL, and uses them for the savings', async () => {
    h = await startHarness({ policy: NO_RATES });
    expect(NO_RATES).not.toMatch(/rates:/);
    const first = await runReconcile(h.deps, h.deps.now(), { dryRun: true });
    // The simulator prices config 2198 at 6.5 points a day; Friday night saves Pacific Saturday for 12.
    expect(first).toMatchObject({ planned: 12, ptDaysSaved: 12, pointsSaved: 78 });
    expect(first.notes ?? []).toEqual([]);
    expect(calls(h)).toEqual({ list: 1, calc: 1 });

    h.sim.clock.advance(3_600_000);
    expect((await runReconcile(h.deps, h.deps.now(), { dryRun: true })).pointsSaved).toBe(78);
    expect(calls(h)).toEqual({ list: 1, calc: 1 }); // cached

    // A week later (more than RATE_TTL_MS), again on a Friday evening that saves Pacific Saturday.
    h.sim.clock.set('2026-10-30T19:00:00Z');
    expect(h.sim.clock.now().getTime() - Date.parse(FRIDAY_EVENING)).toBeGreaterThan(RATE_TTL_MS);
    const later = await runReconcile(h.deps, h.deps.now());
    expect(later).toMatchObject({ applied: 12, pointsSaved: 78 });
    expect(calls(h)).toEqual({ list: 2, calc: 2 }); // expired, priced again
  });

  it('makes no extra calls when the policy has every rate', async () => {
    h = await startHarness();
    const summary = await runReconcile(h.deps, h.deps.now());
    expect(summary).toMatchObject({ applied: 12, pointsSaved: 78 });
    expect(calls(h)).toEqual({ list: 0, calc: 0 });
  });

  it('never blocks a run when tools/calc fails: the rate stays unknown, a note says why, retried later', async () => {
    h = await startHarness({ policy: NO_RATES });
    h.sim.faults.add({
      endpoint: 'tools/calc',
      times: Infinity,
      fault: { kind: 'envelope', errorCode: 'E-CALC', message: 'Calculation service unavailable.' },
    });
    const failing = await runReconcile(h.deps, h.deps.now(), { dryRun: true });
    expect(failing).toMatchObject({ planned: 12, ptDaysSaved: 12, pointsSaved: 0, errors: [] });
    expect(failing.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /points rate for config 2198 unavailable \(tools\/calc: .*Calculation service unavailable/,
        ),
        expect.stringMatching(/no points rate for config 2198/),
      ]),
    );

    // Within the failure TTL the failure is remembered (no new calls); after it, calc is asked again.
    const before = calls(h).calc;
    await runReconcile(h.deps, h.deps.now(), { dryRun: true });
    expect(calls(h).calc).toBe(before);
    h.sim.faults.clear();
    h.sim.clock.advance(16 * 60_000);
    const healed = await runReconcile(h.deps, h.deps.now());
    expect(healed).toMatchObject({ applied: 12, failed: 0, pointsSaved: 78 });
    expect(healed.notes ?? []).toEqual([]);
  });

  it('notes a config missing from its program and caches concurrent lookups once', async () => {
    h = await startHarness({ policy: NO_RATES });
    const source = createRateSource(h.client);
    const at = new Date(FRIDAY_EVENING);
    const need = { configId: 2198, accountId: 12345, programSerialNumber: 'ELAVMR0000000519' };
    const [a, b] = await Promise.all([source.lookup([need], at), source.lookup([need], at)]);
    expect(a).toEqual({ rates: { 2198: 6.5 }, notes: [] });
    expect(b).toEqual(a);
    expect(calls(h)).toEqual({ list: 1, calc: 1 });
    const missing = await source.lookup([{ ...need, configId: 999_999 }], at);
    expect(missing).toEqual({
      rates: {},
      notes: ['points rate for config 999999 unavailable (not found in program ELAVMR0000000519)'],
    });
    expect(calls(h)).toEqual({ list: 1, calc: 1 }); // the program's config list is cached too
  });
});
