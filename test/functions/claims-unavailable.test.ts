/**
 * Claims and releases while FortiFlex or storage fail: the retryable answer (503 + Retry-After) that a
 * booting FortiGate's bootstrap follows, and releases that change nothing they should not.
 */
import { TableClient } from '@azure/data-tables';
import { inject, afterEach, describe, expect, it } from 'vitest';
import { createClaimHandler, createReleaseHandler } from '../../src/functions/claims';
import { createStateStore } from '../../src/lib/state';
import { POOL, startPoolWorld, workerState, type PoolWorld } from '../app/pools/support';
import { createContext, createHttpRequest } from '../support/functions';

let world: PoolWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

const claim = (instanceId: string) =>
  createHttpRequest({
    method: 'POST',
    path: `/api/pools/${POOL}/claims`,
    params: { pool: POOL },
    body: { instanceId },
  });
const release = (instanceId: string) =>
  createHttpRequest({
    method: 'DELETE',
    path: `/api/pools/${POOL}/claims/${instanceId}`,
    params: { pool: POOL, instanceId },
  });

/** Every row of one of the world's tables (none when the table was never created). */
async function rows(w: PoolWorld, table: string): Promise<unknown[]> {
  const client = TableClient.fromConnectionString(w.connectionString, `${w.prefix}${table}`, {
    allowInsecureConnection: true,
  });
  const out: unknown[] = [];
  try {
    for await (const row of client.listEntities()) out.push(row);
  } catch {
    return [];
  }
  return out;
}

describe('claimLicense when a dependency fails', () => {
  it('answers 503 with Retry-After when FortiFlex refuses the security token', async () => {
    world = await startPoolWorld({ seed: { active: 1 } });
    world.sim.faults.add({ endpoint: '*', times: Infinity, fault: { kind: 'invalidToken' } });
    const { context } = createContext('claimLicense');
    const answer = await createClaimHandler(async () => world!.deps)(claim('fgt-a'), context);
    expect(answer.status).toBe(503);
    expect(answer.headers).toMatchObject({ 'Retry-After': expect.stringMatching(/^\d+$/) });
    expect(answer.jsonBody).toMatchObject({ invocationId: context.invocationId });
  });

  it('answers 503 with Retry-After when FortiFlex keeps failing a change, and the retry gets the license', async () => {
    world = await startPoolWorld({ seed: { stopped: 1 } });
    world.sim.faults.add({
      endpoint: 'entitlements/vm/token',
      times: 3,
      fault: { kind: 'http', status: 500 },
    });
    const handler = createClaimHandler(async () => world!.deps);
    const failed = await handler(claim('fgt-a'), createContext('claimLicense').context);
    expect(failed).toMatchObject({ status: 503, headers: { 'Retry-After': expect.any(String) } });
    const retried = await handler(claim('fgt-a'), createContext('claimLicense').context);
    expect(retried.status).toBe(200);
    const body = retried.jsonBody as { serialNumber: string; token: string };
    expect(world.sim.activateToken(body.token)).toMatchObject({ ok: true, serialNumber: body.serialNumber });
  });

  it('answers 503 with Retry-After when state storage is unreachable', async () => {
    world = await startPoolWorld({ seed: { active: 1 } });
    // The same account on a port nobody listens on.
    const unreachable = inject('azuriteConnectionString').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:9');
    const store = await createStateStore(
      { kind: 'connectionString', connectionString: unreachable },
      { prefix: world.prefix },
    );
    const deps = { ...world.deps, store, ...workerState(store) };
    const { context } = createContext('claimLicense');
    const answer = await createClaimHandler(async () => deps)(claim('fgt-a'), context);
    expect(answer.status).toBe(503);
    expect(answer.headers).toMatchObject({ 'Retry-After': expect.any(String) });
  }, 60_000);
});

describe('releaseLicense', () => {
  it('answers 404 for an instance that never held a claim and writes nothing', async () => {
    world = await startPoolWorld({ seed: { active: 1 } });
    const handler = createReleaseHandler(async () => world!.deps);
    for (let i = 0; i < 2; i += 1) {
      const answer = await handler(release('fgt-never'), createContext('releaseLicense').context);
      expect(answer.status).toBe(404);
    }
    for (const table of ['events', 'records', 'audit', 'claims']) {
      expect(await rows(world, table), table).toEqual([]);
    }
  });

  it('keeps the claim and answers 503 when the token it must kill cannot be regenerated yet', async () => {
    world = await startPoolWorld({ seed: { active: 1 } });
    const claimed = await createClaimHandler(async () => world!.deps)(
      claim('fgt-a'),
      createContext('claimLicense').context,
    );
    const { token } = claimed.jsonBody as { token: string };
    // The instance leaves without using its token: the release must kill it.
    world.sim.faults.add({
      endpoint: 'entitlements/vm/token',
      times: 3,
      fault: { kind: 'http', status: 503 },
    });
    const handler = createReleaseHandler(async () => world!.deps);
    const failed = await handler(release('fgt-a'), createContext('releaseLicense').context);
    expect(failed).toMatchObject({ status: 503, headers: { 'Retry-After': expect.any(String) } });
    expect(await world.store.claims.get(POOL, 'fgt-a')).toBeDefined();
    expect((await handler(release('fgt-a'), createContext('releaseLicense').context)).status).toBe(204);
    expect(world.sim.activateToken(token)).toMatchObject({ ok: false });
  });
});
