import { afterEach, describe, expect, it } from 'vitest';
import { runReconcile } from '../../src/app/reconcile/reconcile';
import type { StatusReport } from '../../src/app/reconcile/status';
import { createStatusHandler } from '../../src/functions/status';
import { createContext, createHttpRequest } from '../support/functions';
import { BRANCH_POLICY, POOL_STATUS_POLICY, RATES, startHarness, type Harness } from '../e2e/harness';
import { claimLicense } from '../../src/app/pools/claims';
import { defaultSeed } from '../../src/simulator';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('status function', () => {
  it('reports desired vs actual, transitions, last actions, savings this month and the forecast', async () => {
    h = await startHarness();
    h.sim.faults.add({
      endpoint: 'entitlements/stop',
      times: 1,
      fault: { kind: 'envelope', message: 'Unable to stop.' },
    });
    await runReconcile(h.deps, h.deps.now());
    const handler = createStatusHandler(async () => h!.deps);
    const response = await handler(
      createHttpRequest({ path: '/api/status' }),
      createContext('status').context,
    );
    expect(response.status).toBe(200);
    const report = response.jsonBody as StatusReport;
    expect(report.at).toBe('2026-10-23T18:00:00.000Z');
    expect(report.rules).toHaveLength(1);
    const rule = report.rules[0]!;
    expect(rule).toMatchObject({
      name: 'branches',
      schedule: 'office',
      timezone: 'Europe/Berlin',
      activeNow: false,
    });
    // Next: Monday 07:00 CET (the clocks went back on Sunday) = 06:00 UTC.
    expect(rule.nextTransitions[0]).toEqual({ at: '2026-10-26T06:00:00.000Z', active: true });
    expect(rule.counts).toMatchObject({ selected: 16, pending: 1 });
    const failed = rule.entitlements.find((e) => e.lastError !== undefined)!;
    expect(failed).toMatchObject({ actual: 'ACTIVE', desired: 'STOPPED', pendingAction: 'stop' });
    expect(failed.lastError).toMatch(/Unable to stop/);
    const done = rule.entitlements.filter((e) => e.lastAction === 'stop');
    expect(done).toHaveLength(11);
    expect(done.every((e) => e.actual === 'STOPPED' && e.desired === 'STOPPED' && e.stoppedByScaler)).toBe(
      true,
    );
    expect(report.thisMonth).toMatchObject({ actions: 11, ptDaysSaved: 11, pointsSaved: 71.5 });
    expect(report.forecast.pointsSaved).toBeGreaterThan(0);
    expect(report.forecast.rules[0]).toMatchObject({ rule: 'branches' });
  });

  it('shows a lastSafeMoment stop deferred to the timer run that will make it (SCALER_SCHEDULE)', async () => {
    const policy = BRANCH_POLICY.replace(
      '    offHours: stop',
      '    offHours: stop\n    billing: { stopTiming: lastSafeMoment, marginMinutes: 60 }',
    );
    h = await startHarness({ policy });
    const response = await createStatusHandler(async () => h!.deps)(
      createHttpRequest({ path: '/api/status' }),
      createContext('status').context,
    );
    const active = (response.jsonBody as StatusReport).rules[0]!.entitlements.filter(
      (e) => e.actual === 'ACTIVE',
    );
    expect(active.length).toBeGreaterThan(0);
    for (const row of active) {
      expect(row.pendingAction).toBeUndefined();
      // Saturday starts 07:00Z; the default schedule runs every 5 minutes: 06:00Z is the last run 60 min before.
      expect(row.reason).toMatch(/deferred to the reconcile run at Sat 2026-10-24 08:00 Europe\/Berlin/);
    }
  });

  it('forecasts with tools/calc rates for configs the policy leaves out, asking only when one is missing', async () => {
    h = await startHarness();
    const status = async (deps: Harness['deps']) =>
      (
        await createStatusHandler(async () => deps)(
          createHttpRequest({ path: '/api/status' }),
          createContext('status').context,
        )
      ).jsonBody as StatusReport;
    const withPolicyRates = await status(h.deps);
    expect(h.sim.stats().requests['tools/calc']).toBeUndefined();
    expect(h.sim.stats().requests['configs/list']).toBeUndefined();

    const withoutRates = await status(await h.moreDeps({ policy: BRANCH_POLICY.replace(/^rates:.*$/m, '') }));
    expect(h.sim.stats().requests['tools/calc']).toBe(1);
    // The simulator prices config 2198 as the policy does, so the forecasts agree.
    expect(withoutRates.forecast.pointsSaved).toBe(withPolicyRates.forecast.pointsSaved);
    expect(withoutRates.forecast.pointsSaved).toBeGreaterThan(0);
    expect(withoutRates.notes.some((n) => /no points rate/.test(n))).toBe(false);
  });

  it('?format=svg answers the week timeline as image/svg+xml', async () => {
    h = await startHarness();
    const handler = createStatusHandler(async () => h!.deps);
    const response = await handler(
      createHttpRequest({ path: '/api/status', query: { format: 'svg' } }),
      createContext('status').context,
    );
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({ 'content-type': 'image/svg+xml; charset=utf-8' });
    expect(String(response.body)).toMatch(/<svg[\s\S]*<\/svg>\s*$/);
    // The Pacific week containing Fri 2026-10-23: Monday 10-19 00:00 PT onwards.
    expect(String(response.body)).toContain('2026-10-19 00:00');
  });

  it('answers 400 for an unknown format or rule', async () => {
    h = await startHarness();
    const handler = createStatusHandler(async () => h!.deps);
    const badFormat = await handler(
      createHttpRequest({ path: '/api/status', query: { format: 'png' } }),
      createContext('status').context,
    );
    expect(badFormat).toMatchObject({
      status: 400,
      jsonBody: { error: 'format: expected json, html or svg' },
    });
    const badRule = await handler(
      createHttpRequest({ path: '/api/status', query: { format: 'svg', rule: 'nope' } }),
      createContext('status').context,
    );
    expect(badRule).toMatchObject({ status: 400 });
    expect((badRule.jsonBody as { error: string }).error).toMatch(
      /^rule: no rule named "nope"; expected one of branches$/,
    );
  });
});

describe('status function: pools and the dashboard', () => {
  it('reports each pool: size, bounds in force, claims, in use, members and roles, pending deliveries', async () => {
    h = await startHarness({ policy: POOL_STATUS_POLICY });
    await claimLicense(h.deps, 'vmss-fgt', 'vmss-fgt_7', { runId: 'test', actor: 'test' });
    const response = await createStatusHandler(async () => h!.deps)(
      createHttpRequest({ path: '/api/status' }),
      createContext('status').context,
    );
    const report = response.jsonBody as StatusReport;
    expect(report.pools).toHaveLength(1);
    const pool = report.pools[0]!;
    const members = h.sim.entitlements().filter((e) => e.configId === 2200);
    expect(pool.members.map((m) => m.serialNumber).sort()).toEqual(members.map((e) => e.serialNumber).sort());
    // Friday 20:00 Berlin: the office schedule is off, so the unconditional entry is in force.
    expect(pool.bounds).toEqual({ min: 0, max: 8 });
    expect(pool.claimed).toBe(1);
    expect(pool.members.find((m) => m.instanceId === 'vmss-fgt_7')).toMatchObject({ role: 'held' });
    expect(pool.size).toBe(
      pool.members.filter((m) => m.role === 'held' || m.role === 'inUseOutsideClaims').length,
    );
    expect(pool.inUseOutsideClaims).toBe(pool.members.filter((m) => m.role === 'inUseOutsideClaims').length);
    expect(pool.pendingDeliveries).toEqual([]);
    // Over the timeline the bounds follow the office schedule: 2..6 on Monday 07:00-19:00 Berlin.
    const monday = report.timeline.pools[0]!.bounds.find((b) => b.start === '2026-10-26T06:00:00.000Z');
    expect(monday).toEqual({
      start: '2026-10-26T06:00:00.000Z',
      end: '2026-10-26T18:00:00.000Z',
      min: 2,
      max: 6,
      schedule: 'office',
    });
    const text = JSON.stringify(report);
    for (const e of members) expect(text).not.toContain(e.token);
  });

  it('narrows to a rule or a pool and answers 400 naming an unknown one', async () => {
    h = await startHarness({ policy: POOL_STATUS_POLICY });
    const handler = createStatusHandler(async () => h!.deps);
    const ask = (query: Record<string, string>) =>
      handler(createHttpRequest({ path: '/api/status', query }), createContext('status').context);
    const onlyPool = (await ask({ pool: 'vmss-fgt' })).jsonBody as StatusReport;
    expect(onlyPool.rules).toEqual([]);
    expect(onlyPool.pools.map((p) => p.name)).toEqual(['vmss-fgt']);
    expect(onlyPool.filter).toEqual({ pool: 'vmss-fgt' });
    const onlyRule = (await ask({ rule: 'branches' })).jsonBody as StatusReport;
    expect(onlyRule.rules.map((r) => r.name)).toEqual(['branches']);
    expect(onlyRule.pools).toEqual([]);
    const bad = await ask({ format: 'html', pool: 'nope' });
    expect(bad).toMatchObject({
      status: 400,
      jsonBody: { error: 'pool: no pool named "nope"; expected one of vmss-fgt' },
    });
  });

  it('?format=html answers the self-contained dashboard with pools, errors and no tokens', async () => {
    const seed = { ...defaultSeed(), rates: RATES };
    seed.entitlements[0]!.description = `branch <script>alert("x")</script> & <img src=x onerror=alert(1)>`;
    h = await startHarness({ policy: POOL_STATUS_POLICY, seed });
    h.sim.faults.add({
      endpoint: 'entitlements/stop',
      times: 1,
      fault: { kind: 'envelope', message: 'Unable to stop.' },
    });
    await runReconcile(h.deps, h.deps.now());
    const response = await createStatusHandler(async () => h!.deps)(
      createHttpRequest({ path: '/api/status', query: { format: 'html' } }),
      createContext('status').context,
    );
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': expect.stringContaining("default-src 'none'") as unknown,
    });
    const page = String(response.body);
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain('data-pool="vmss-fgt"');
    expect(page).toContain('Unable to stop.');
    expect(page).toContain('Pending deliveries');
    expect(page).not.toMatch(/<script|<img|<link|<iframe|\ssrc="|\shref="/i);
    expect(page).toContain(
      'branch &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;',
    );
    for (const e of h.sim.entitlements()) expect(page).not.toContain(e.token);
  });
});
