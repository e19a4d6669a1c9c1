import { afterEach, describe, expect, it } from 'vitest';
import { createReconcileHandler } from '../../src/functions/reconcile';
import { createContext, createTimer } from '../support/functions';
import { simulatorClient, startHarness, type Harness } from '../e2e/harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('reconcile timer function', () => {
  it('runs one reconcile and logs a one-line summary with isPastDue', async () => {
    h = await startHarness();
    const handler = createReconcileHandler(async () => h!.deps);
    const { context, logs } = createContext('reconcile');
    await handler(createTimer({ isPastDue: true }), context);
    const summary = logs.find((l) => l.message.startsWith('reconcile ') && l.message.includes('applied'));
    expect(summary?.level).toBe('information');
    expect(summary?.message).toMatch(
      /planned 12, applied 12, failed 0, skipped \d+; saved 12 PT days, 78 points \(isPastDue=true\)$/,
    );
    expect(Object.values(h.statuses(2198)).filter((s) => s === 'STOPPED')).toHaveLength(15);
  });

  it('copes with the null scheduleStatus the runtime passes without the schedule monitor', async () => {
    h = await startHarness();
    const handler = createReconcileHandler(async () => h!.deps);
    const { context, logs } = createContext('reconcile');
    await handler(createTimer({ scheduleStatus: null }), context);
    expect(logs.some((l) => l.message.includes('(isPastDue=false)'))).toBe(true);
  });

  it('logs per-entitlement failures as warnings without failing the invocation', async () => {
    h = await startHarness();
    h.sim.faults.add({
      endpoint: 'entitlements/stop',
      times: 1,
      fault: { kind: 'envelope', message: 'Unable to stop.' },
    });
    const handler = createReconcileHandler(async () => h!.deps);
    const { context, logs } = createContext('reconcile');
    await handler(createTimer(), context);
    const warnings = logs.filter((l) => l.level === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/apply FGVM\w+: .*Unable to stop/);
  });

  it('fails the invocation when FortiFlex rejects the credentials and nothing could be listed', async () => {
    h = await startHarness();
    const refused = simulatorClient(h.sim, {
      credentials: {
        get: async () => ({ username: h!.sim.credentials.username, password: 'wrong-password' }),
      },
    });
    const deps = await h.moreDeps({ client: refused });
    const handler = createReconcileHandler(async () => deps);
    const { context, logs } = createContext('reconcile');
    await expect(handler(createTimer(), context)).rejects.toThrow(/nothing could be listed or changed/);
    expect(logs.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      expect.stringMatching(/^reconcile failed \(isPastDue=false\): reconcile \S+: nothing could be listed/),
    ]);
  });

  it('logs the problem and fails the invocation when the policy is invalid', async () => {
    h = await startHarness({ policy: 'rules: [ { name: x } ]' });
    const handler = createReconcileHandler(async () => h!.deps);
    const { context, logs } = createContext('reconcile');
    await expect(handler(createTimer(), context)).rejects.toThrow();
    expect(logs.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      expect.stringMatching(/^reconcile failed \(isPastDue=false\): /),
    ]);
  });

  it('logs bad settings as one error line with isPastDue and fails the invocation', async () => {
    const handler = createReconcileHandler(() =>
      Promise.reject(
        new Error('AzureWebJobsStorage: not set\nSCALER_DRY_RUN: "sometimes" — expected true or false'),
      ),
    );
    const { context, logs } = createContext('reconcile');
    await expect(handler(createTimer({ isPastDue: true }), context)).rejects.toThrow(/AzureWebJobsStorage/);
    expect(logs.filter((l) => !l.message.startsWith('{')).map((l) => [l.level, l.message])).toEqual([
      [
        'error',
        'reconcile failed (isPastDue=true): AzureWebJobsStorage: not set SCALER_DRY_RUN: "sometimes" — expected true or false',
      ],
    ]);
  });

  it('reports a skipped run when the lease is held', async () => {
    h = await startHarness();
    const lease = await h.store.leases.acquire('reconcile', 60);
    const handler = createReconcileHandler(async () => h!.deps);
    const { context, text } = createContext('reconcile');
    await handler(createTimer(), context);
    expect(text()).toMatch(/skipped: another run holds the lease/);
    await lease?.release();
  });
});
