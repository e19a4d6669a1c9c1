/**
 * The structured telemetry lines the timer and the queue worker write, through the real handlers against
 * the simulator and Azurite: what the alert rules and the workbook in infra/ read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPoolWorker } from '../../src/functions/pool-worker';
import { createReconcileHandler } from '../../src/functions/reconcile';
import { TELEMETRY_FIELDS } from '../../src/lib/telemetry';
import { POOL, startPoolWorld, type PoolWorld } from '../app/pools/support';
import { startHarness, type Harness } from '../e2e/harness';
import { createContext, createTimer, type CapturedLog } from '../support/functions';

let h: Harness | undefined;
let world: PoolWorld | undefined;
afterEach(async () => {
  await h?.stop();
  await world?.stop();
  h = undefined;
  world = undefined;
});

/** The telemetry lines among captured logs, parsed; every one must be an information line. */
function events(logs: CapturedLog[]): Record<string, unknown>[] {
  const lines = logs.filter((l) => l.message.startsWith('{"event":'));
  for (const line of lines) expect(line.level).toBe('information');
  return lines.map((l) => JSON.parse(l.message) as Record<string, unknown>);
}

function expectDeclared(event: Record<string, unknown>): void {
  const declared = TELEMETRY_FIELDS[event['event'] as keyof typeof TELEMETRY_FIELDS] as readonly string[];
  expect(declared, String(event['event'])).toBeDefined();
  for (const key of Object.keys(event)) if (key !== 'event' && key !== 'v') expect(declared).toContain(key);
}

describe('telemetry written by the functions', () => {
  it('reconcile: one run summary and one line per applied and per failed action, without secrets', async () => {
    h = await startHarness();
    h.sim.faults.add({
      endpoint: 'entitlements/stop',
      times: 1,
      fault: { kind: 'envelope', message: 'Unable to stop.' },
    });
    const handler = createReconcileHandler(async () => h!.deps);
    const { context, logs, text } = createContext('reconcile', { invocationId: 'inv-telemetry' });
    await handler(createTimer(), context);
    const all = events(logs);
    all.forEach(expectDeclared);
    const runs = all.filter((e) => e['event'] === 'ScalerRunSummary');
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run).toMatchObject({
      trigger: 'timer',
      outcome: 'completed',
      dryRun: false,
      failed: 1,
      errors: 0,
    });
    const applied = all.filter((e) => e['event'] === 'ScalerActionApplied');
    const failed = all.filter((e) => e['event'] === 'ScalerActionFailed');
    expect(applied).toHaveLength(run['applied'] as number);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ source: 'reconcile', action: 'stop', reactivation: false });
    expect(String(failed[0]!['error'])).toMatch(/Unable to stop/);
    // Friday evening on Berlin office hours: each stop saves the Pacific Saturday.
    for (const a of applied) {
      expect(a).toMatchObject({ action: 'stop', dryRun: false });
      expect(a['savedPtDays']).toEqual(['2026-10-24']);
    }
    const saved = applied.reduce((sum, a) => sum + (a['pointsSaved'] as number), 0);
    expect(saved).toBeCloseTo(run['pointsSaved'] as number, 5);
    expect(text()).not.toContain(h.sim.credentials.password);
  });

  it('reconcile: a run that cannot plan still writes a failed run summary', async () => {
    const handler = createReconcileHandler(() => Promise.reject(new Error('SCALER_POLICY_PATH: not found')));
    const { context, logs } = createContext('reconcile');
    await expect(handler(createTimer(), context)).rejects.toThrow();
    expect(events(logs)).toMatchObject([
      { event: 'ScalerRunSummary', outcome: 'failed', error: 'SCALER_POLICY_PATH: not found' },
    ]);
  });

  it('poolWorker: the pool state after a change, and a failed action for a poisoned message', async () => {
    world = await startPoolWorld({ seed: { active: 1 } });
    const w = world;
    const worker = createPoolWorker(async () => w.deps, { maxDequeueCount: 1 });
    const body = {
      v: 1,
      kind: 'scale',
      pool: POOL,
      change: { delta: 1 },
      source: 'cli',
      reason: 'test',
      receivedAt: '2026-03-02T16:00:01Z',
    };
    const ok = createContext('poolWorker', { triggerMetadata: { dequeueCount: 1 } });
    await worker(body, ok.context);
    const states = events(ok.logs);
    states.forEach(expectDeclared);
    expect(states).toMatchObject([{ event: 'ScalerPoolState', source: 'worker', pool: POOL, size: 2 }]);

    const bad = createContext('poolWorker', { triggerMetadata: { dequeueCount: 1 } });
    await expect(worker({ v: 1, kind: 'scale', pool: POOL }, bad.context)).rejects.toThrow();
    const poisoned = events(bad.logs);
    poisoned.forEach(expectDeclared);
    expect(poisoned).toMatchObject([{ event: 'ScalerActionFailed', source: 'pool', action: 'scaleMessage' }]);
  });
});
