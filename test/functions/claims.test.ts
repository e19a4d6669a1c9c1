import fc from 'fast-check';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeInstanceId } from '../../src/app/pools/claims';
import { createClaimHandler, createReleaseHandler } from '../../src/functions/claims';
import { POOL, startPoolWorld, type PoolWorld } from '../app/pools/support';
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
    // Nor anywhere the scaler stores things: audit, records, claims, dedupe keys.
    for (const table of ['audit', 'records', 'claims', 'events']) {
      const client = TableClient.fromConnectionString(world.connectionString, `${world.prefix}${table}`, {
        allowInsecureConnection: true,
      });
      const rows: unknown[] = [];
      try {
        for await (const row of client.listEntities()) rows.push(row);
      } catch {
        continue; // table never created
      }
      expect(JSON.stringify(rows), table).not.toContain(body.token);
    }
  });

  it('validates instance ids: 1-128 VM-name characters, one-line 400 without echoing the input', async () => {
    const { context } = createContext('claimLicense');
    const tooLong = await claimHandler(claim({ instanceId: `a${'b'.repeat(128)}` }), context);
    expect(tooLong).toMatchObject({ status: 400, jsonBody: { path: 'instanceId' } });
    for (const instanceId of ['', ' fgt', '-fgt', 'fgt\n1', 'fgt 1', '../x', 'a#b', 'a?b', 42, null]) {
      const answer = await claimHandler(claim({ instanceId }), context);
      expect(answer.status, String(instanceId)).toBe(400);
      if (typeof instanceId === 'string' && instanceId.length > 2) {
        expect(JSON.stringify(answer.jsonBody)).not.toContain(instanceId);
      }
      expect(String((answer.jsonBody as { error: string }).error)).not.toContain('\n');
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 140, unit: 'binary' }), (value) => {
        const valid = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(value);
        if (valid) expect(normalizeInstanceId(value)).toBe(value.toLowerCase());
        else expect(() => normalizeInstanceId(value)).toThrow(/^instanceId: [^\n]+$/);
      }),
      { numRuns: 300 },
    );
  });

  it('answers 413 on actual bytes and hides internal errors from the caller', async () => {
    const { context } = createContext('claimLicense');
    const big = createHttpRequest({
      method: 'POST',
      path: `/api/pools/${POOL}/claims`,
      params: { pool: POOL },
      body: JSON.stringify({ instanceId: 'fgt-big', pad: 'x'.repeat(5000) }),
    });
    expect(await claimHandler(big, context)).toMatchObject({ status: 413 });
    const broken = createClaimHandler(async () => ({
      ...world.deps,
      loadPolicy: () => {
        throw new Error('policy blob https://acct.blob.core.windows.net/x?sig=SECRETSIG unreadable');
      },
    }));
    const capture = createContext('claimLicense');
    const answer = await broken(claim({ instanceId: 'fgt-9' }), capture.context);
    expect(answer.status).toBe(500);
    expect(JSON.stringify(answer.jsonBody)).not.toMatch(/SECRETSIG|blob|\bat /);
    expect(answer.jsonBody).toMatchObject({ invocationId: capture.context.invocationId });
    expect(capture.text()).toContain('unreadable');
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
