import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClaimHandler, createReleaseHandler } from '../../src/functions/claims';
import { POOL, startPoolWorld, type PoolWorld } from '../app/pool-support';
import { createContext, createHttpRequest } from '../support/functions';

let world: PoolWorld;
beforeAll(async () => {
  world = await startPoolWorld({ seed: { stopped: 1 }, pool: { capacity: [{ min: 0, max: 2 }] } });
});
afterAll(async () => world.stop());

const claim = (body: unknown, pool = POOL) =>
  createHttpRequest({ method: 'POST', path: `/api/pools/${pool}/claims`, params: { pool }, body });
const release = (instanceId: string, query?: Record<string, string>) =>
  createHttpRequest({
    method: 'DELETE',
    path: `/api/pools/${POOL}/claims/${instanceId}`,
    params: { pool: POOL, instanceId },
    query,
  });

describe('claims functions', () => {
  const claimHandler = createClaimHandler(async () => world.deps);
  const releaseHandler = createReleaseHandler(async () => world.deps);

  it('claims, repeats, refuses at max, and never logs the token', async () => {
    const capture = createContext('claimLicense');
    const first = await claimHandler(claim({ instanceId: 'FGT_0' }), capture.context);
    expect(first.status).toBe(200);
    const body = first.jsonBody as { serialNumber: string; token: string; status: string };
    expect(Object.keys(body).sort()).toEqual(['serialNumber', 'status', 'token']);
    expect(body.status).toBe('ACTIVE');
    expect(first.headers).toMatchObject({ 'Cache-Control': 'no-store' });
    expect((await claimHandler(claim({ instanceId: 'fgt_0' }), capture.context)).jsonBody).toEqual(body);
    expect((await claimHandler(claim({ instanceId: 'fgt_1' }), capture.context)).status).toBe(200);
    const full = await claimHandler(claim({ instanceId: 'fgt_2' }), capture.context);
    expect(full).toMatchObject({
      status: 409,
      jsonBody: { pool: POOL, min: 0, max: 2, claimed: 2, inUse: 0, active: 1 },
    });
    expect(capture.text()).not.toContain(body.token);
  });

  it('answers 400 with the field for bad bodies and 404 for unknown pools', async () => {
    const { context } = createContext('claimLicense');
    expect(await claimHandler(claim({ instanceId: 'a/b' }), context)).toMatchObject({
      status: 400,
      jsonBody: { path: 'instanceId' },
    });
    expect(await claimHandler(claim('not json'), context)).toMatchObject({ status: 400 });
    expect(await claimHandler(claim({ instanceId: 'x' }, 'nope'), context)).toMatchObject({ status: 404 });
  });

  it('releases with 204, again with 204, unknown with 404, and validates regenerateToken', async () => {
    const { context } = createContext('releaseLicense');
    expect(await releaseHandler(release('fgt_1', { regenerateToken: 'maybe' }), context)).toMatchObject({
      status: 400,
    });
    expect((await releaseHandler(release('fgt_1', { regenerateToken: 'true' }), context)).status).toBe(204);
    expect((await releaseHandler(release('fgt_1'), context)).status).toBe(204);
    expect((await releaseHandler(release('never-claimed'), context)).status).toBe(404);
    expect(await world.store.claims.list(POOL)).toHaveLength(1);
  });
});
