import { afterEach, describe, expect, it } from 'vitest';
import { poolLeaseName } from '../../src/app/pools/lease';
import { createPoolWorker } from '../../src/functions/pool-worker';
import { createScaleHandler } from '../../src/functions/scale';
import { alert, POOL, startPoolWorld, statusCounts, type PoolWorld } from '../app/pools/support';
import { createContext, createHttpRequest } from '../support/functions';

let world: PoolWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

/** Delivers every queued message (through Azurite) to the worker, as the host would. */
async function runQueue(w: PoolWorld): Promise<number> {
  const worker = createPoolWorker(async () => w.deps);
  let handled = 0;
  for (let round = 0; round < 10; round += 1) {
    const messages = await w.store.queue.receive(32);
    if (messages.length === 0) break;
    for (const message of messages) {
      const { context } = createContext('poolWorker', {
        triggerMetadata: { dequeueCount: message.dequeueCount },
      });
      await worker(message.body, context);
      await w.store.queue.delete(message);
      handled += 1;
    }
  }
  return handled;
}

const post = (body: unknown) =>
  createHttpRequest({ method: 'POST', path: `/api/scale/${POOL}`, params: { pool: POOL }, body });

describe('poolWorker function', () => {
  it('returns the pool to its size after Fired then Resolved, acting once per replayed delivery', async () => {
    world = await startPoolWorld({ seed: { active: 2 } });
    const w = world;
    const scale = createScaleHandler(async () => w.deps);
    const { context } = createContext('scale');
    for (let i = 0; i < 2; i += 1) await scale(post(alert('Fired')), context);
    expect(await runQueue(w)).toBe(1);
    expect(statusCounts(w.members())).toEqual({ ACTIVE: 2, PENDING: 1 });
    for (let i = 0; i < 3; i += 1) await scale(post(alert('Resolved')), context);
    expect(await runQueue(w)).toBe(1);
    const records = await w.store.records.list();
    // Back to two: the license added by Fired is parked (PENDING costs nothing); nothing was stopped.
    expect(records.filter((r) => r.lastAction === 'poolRelease')).toHaveLength(1);
    expect(w.sim.stats().requests['entitlements/stop'] ?? 0).toBe(0);
    const after = await w.store.audit.query({ limit: 50 });
    expect(after.some((e) => e.action === 'markRelease' && e.actor === 'scale')).toBe(true);
  });

  it('throws while the pool lease is busy and audits the reason on the final attempt', async () => {
    world = await startPoolWorld({ seed: { active: 1 } });
    const w = world;
    const lease = await w.store.leases.acquire(poolLeaseName(POOL), 15);
    const worker = createPoolWorker(async () => w.deps, { maxDequeueCount: 2, leaseWaitMs: 50 });
    const body = {
      v: 1,
      kind: 'scale',
      pool: POOL,
      change: { delta: 1 },
      source: 'cli',
      reason: 't',
      receivedAt: '',
    };
    const first = createContext('poolWorker', { triggerMetadata: { dequeueCount: 1 } });
    await expect(worker(body, first.context)).rejects.toThrow(/lease "pool-vmss-fgt" is held/);
    expect((await w.store.audit.query({ limit: 10 })).filter((e) => e.action === 'poisonMessage')).toEqual(
      [],
    );
    const last = createContext('poolWorker', { triggerMetadata: { dequeueCount: 2 } });
    await expect(worker(body, last.context)).rejects.toThrow();
    const poison = (await w.store.audit.query({ limit: 10 })).filter((e) => e.action === 'poisonMessage');
    expect(poison).toMatchObject([{ outcome: 'failed', pool: POOL, details: { dequeueCount: 2 } }]);
    expect(poison[0]!.error).toMatch(/lease/);
    await lease!.release();
  });

  it('resizes once for one event even when the host delivers its message again', async () => {
    world = await startPoolWorld({ seed: { active: 1 } });
    const w = world;
    const worker = createPoolWorker(async () => w.deps);
    const body = {
      v: 1,
      kind: 'scale',
      pool: POOL,
      change: { delta: 1 },
      source: 'alert',
      reason: 'alert fgt-cpu-high Fired',
      eventKey: 'alert|/subscriptions/s/alerts/once|Fired|2026-03-02T16:00:00Z',
      receivedAt: '2026-03-02T16:00:01Z',
    };
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const { context } = createContext('poolWorker', { triggerMetadata: { dequeueCount: attempt } });
      await worker(body, context);
    }
    expect(w.members()).toHaveLength(2);
    // Without an event key (the CLI) every message is its own request.
    const { eventKey: _eventKey, ...cli } = body;
    await worker({ ...cli, source: 'cli' }, createContext('poolWorker').context);
    expect(w.members()).toHaveLength(3);
  });

  it('sends a malformed message to the poison queue with the field in the audit', async () => {
    world = await startPoolWorld();
    const w = world;
    const worker = createPoolWorker(async () => w.deps);
    const { context } = createContext('poolWorker', { triggerMetadata: { dequeueCount: 5 } });
    await expect(worker({ v: 1, kind: 'scale', pool: POOL }, context)).rejects.toThrow(/change/);
    const [row] = (await w.store.audit.query({ limit: 5 })).filter((e) => e.action === 'poisonMessage');
    expect(row?.error).toMatch(/^change/);
    expect(row).toMatchObject({ outcome: 'failed', details: { malformed: true, dequeueCount: 5 } });
    expect(row?.reason).toMatch(/malformed message moved to the poison queue after 5 attempts/);
  });
});
