import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveHmacKey } from '../../src/app/pools/webhook';
import { signBody } from '../../src/app/pools/webhook-payloads';
import { loadSettings } from '../../src/app/settings';
import { createScaleHandler } from '../../src/functions/scale';
import { alert, POOL, startPoolWorld, type PoolWorld } from '../app/pools/support';
import { createContext, createHttpRequest } from '../support/functions';

let world: PoolWorld;
beforeAll(async () => {
  world = await startPoolWorld({ seed: { active: 1 } });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await world.stop();
});

const post = (body: unknown, headers: Record<string, string> = {}, pool = POOL) =>
  createHttpRequest({ method: 'POST', path: `/api/scale/${pool}`, params: { pool }, body, headers });

describe('scale function', () => {
  const handler = createScaleHandler(async () => world.deps);

  it('answers 202 and queues a Fired alert, then 200 duplicate for its replay', async () => {
    const { context } = createContext('scale');
    const first = await handler(post(alert('Fired', 'fgt-cpu-high', '2026-03-02T17:00:00Z')), context);
    expect(first).toMatchObject({ status: 202, jsonBody: { status: 'queued', change: { delta: 1 } } });
    const again = await handler(post(alert('Fired', 'fgt-cpu-high', '2026-03-02T17:00:00Z')), context);
    expect(again).toMatchObject({ status: 200, jsonBody: { status: 'duplicate' } });
    const messages = await world.store.queue.receive(32);
    expect(messages.map((m) => m.body)).toMatchObject([{ kind: 'scale', source: 'alert' }]);
  });

  it('checks the signature with the local key and never logs it', async () => {
    const key = 'local-hmac-key-for-tests';
    // The key as the app gets it: the WEBHOOK_HMAC_KEY setting, read by the settings loader.
    const settings = loadSettings({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      WEBHOOK_HMAC_KEY: key,
    });
    const handler = createScaleHandler(async () => ({
      ...world.deps,
      webhookHmacKey: () => resolveHmacKey({ settings }),
    }));
    const body = JSON.stringify({ delta: -1, id: 'one' });
    const capture = createContext('scale');
    expect(await handler(post(body, { 'x-signature': signBody(body, key) }), capture.context)).toMatchObject({
      status: 202,
    });
    expect(
      await handler(post(body, { 'x-signature': signBody(body, 'nope') }), capture.context),
    ).toMatchObject({
      status: 401,
    });
    expect(capture.text()).not.toContain(key);
  });

  it('rejects a declared oversized body without reading it, and unknown pools with 404', async () => {
    const { context } = createContext('scale');
    const big = post('{}', { 'content-length': String(1024 * 1024) });
    expect(await handler(big, context)).toMatchObject({ status: 413 });
    expect(await handler(post(alert('Fired'), {}, 'other'), context)).toMatchObject({ status: 404 });
  });

  it('stops reading a body without a declared length at the limit, before resolving anything', async () => {
    let resolved = 0;
    const counting = createScaleHandler(async () => {
      resolved += 1;
      return world.deps;
    });
    const { context } = createContext('scale');
    const huge = new Uint8Array(64 * 1024 + 1).fill(0x20);
    const request = post(huge);
    expect(request.headers.get('content-length')).toBeNull();
    expect(await counting(request, context)).toMatchObject({ status: 413 });
    // A malformed declared length declares nothing: the actual bytes decide.
    expect(await counting(post(huge, { 'content-length': 'lots' }), context)).toMatchObject({ status: 413 });
    expect(resolved).toBe(0);
    expect(
      await counting(
        post(alert('Fired', 'fgt-cpu-high', '2026-03-02T19:00:00Z'), { 'content-length': 'x' }),
        context,
      ),
    ).toMatchObject({ status: 202 });
  });

  it('keeps caller-supplied text on one log line', async () => {
    const capture = createContext('scale');
    const answer = await handler(post(alert('Fired'), {}, 'evil\n[error] forged line'), capture.context);
    expect(answer.status).toBe(404);
    expect(capture.logs).toHaveLength(1);
    expect(capture.logs[0]!.message).not.toContain('\n');
  });

  it('answers 503 when the request cannot be queued', async () => {
    const broken = createScaleHandler(async () => ({
      ...world.deps,
      store: {
        ...world.deps.store,
        queue: { ...world.deps.store.queue, send: () => Promise.reject(new Error('down')) },
      },
    }));
    const capture = createContext('scale');
    const answer = await broken(
      post(alert('Fired', 'fgt-cpu-high', '2026-03-02T18:00:00Z')),
      capture.context,
    );
    expect(answer.status).toBe(503);
    expect(answer.jsonBody).toEqual({
      error: 'temporarily unable to queue the request; retry',
      invocationId: capture.context.invocationId,
    });
    expect(answer.headers).toEqual({ 'Retry-After': '5' });
    expect(capture.text()).toContain('not queued: down');
    // Azure Monitor retries a 503: the retry is queued, not taken for a duplicate.
    const retry = await handler(
      post(alert('Fired', 'fgt-cpu-high', '2026-03-02T18:00:00Z')),
      capture.context,
    );
    expect(retry).toMatchObject({ status: 202 });
  });
});
