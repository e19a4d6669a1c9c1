import { afterEach, describe, expect, it } from 'vitest';
import { type RunSummary } from '../../src/app/reconcile/run-summary';
import { createRunNowHandler } from '../../src/functions/run-now';
import { createContext, createHttpRequest } from '../support/functions';
import { startHarness, type Harness } from '../e2e/harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('runNow function', () => {
  it('runs a reconcile and returns the summary', async () => {
    h = await startHarness();
    const handler = createRunNowHandler(async () => h!.deps);
    const response = await handler(
      createHttpRequest({ method: 'POST', path: '/api/run' }),
      createContext('runNow').context,
    );
    expect(response.status).toBe(200);
    const summary = response.jsonBody as RunSummary;
    expect(summary).toMatchObject({ dryRun: false, applied: 12, failed: 0 });
    const audit = await h.store.audit.query({ serialNumber: summary.actions[0]!.serialNumber });
    expect(audit.every((a) => a.actor === 'runNow')).toBe(true);
  });

  it('?dryRun=true plans without changing anything', async () => {
    h = await startHarness();
    const handler = createRunNowHandler(async () => h!.deps);
    const response = await handler(
      createHttpRequest({ method: 'POST', path: '/api/run', query: { dryRun: 'true' } }),
      createContext('runNow').context,
    );
    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({ dryRun: true, planned: 12, applied: 0 });
    expect(Object.values(h.statuses(2198)).filter((s) => s === 'ACTIVE')).toHaveLength(12);
  });

  it('answers 400 for a bad dryRun value', async () => {
    const handler = createRunNowHandler(() => Promise.reject(new Error('not reached')));
    const response = await handler(
      createHttpRequest({ method: 'POST', path: '/api/run', query: { dryRun: 'maybe' } }),
      createContext('runNow').context,
    );
    expect(response).toMatchObject({ status: 400, jsonBody: { error: 'dryRun: expected true or false' } });
  });

  it('answers 409 with the skipped summary while another run holds the lease', async () => {
    h = await startHarness();
    const lease = await h.store.leases.acquire('reconcile', 60);
    const handler = createRunNowHandler(async () => h!.deps);
    const response = await handler(
      createHttpRequest({ method: 'POST', path: '/api/run' }),
      createContext('runNow').context,
    );
    expect(response.status).toBe(409);
    expect(response.jsonBody).toMatchObject({ skippedReason: 'another run holds the lease', applied: 0 });
    await lease?.release();
  });

  it('answers 500 with a reason and the invocation id when dependencies cannot be built; the detail is logged', async () => {
    const handler = createRunNowHandler(() =>
      Promise.reject(new Error('AzureWebJobsStorage: not set\nSCALER_DRY_RUN: bad')),
    );
    const { context, logs } = createContext('runNow');
    const response = await handler(createHttpRequest({ method: 'POST', path: '/api/run' }), context);
    expect(response).toEqual({
      status: 500,
      jsonBody: { error: 'internal error', invocationId: context.invocationId },
    });
    expect(JSON.stringify(response)).not.toContain('AzureWebJobsStorage');
    expect(
      logs.some(
        (l) => l.level === 'error' && l.message.includes('AzureWebJobsStorage: not set SCALER_DRY_RUN: bad'),
      ),
    ).toBe(true);
  });
});
