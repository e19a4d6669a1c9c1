import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { ACCOUNT, call, login, requestToken } from './helpers';

let sim: SimulatorHandle;
let token: string;
beforeEach(async () => {
  sim = await startSimulator();
  token = await login(sim);
});
afterEach(async () => sim.stop());

const raw = (endpoint: string, body: unknown = {}, signal?: AbortSignal) =>
  fetch(`${sim.apiUrl}${endpoint}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: signal ?? AbortSignal.timeout(10_000),
  });
const berlin = () => sim.entitlements().find((e) => e.description === 'branch-berlin-01')!;

describe('fault injection', () => {
  it('http: answers the status with an HTML body, or the given JSON body, then recovers', async () => {
    sim.faults.add({ endpoint: 'programs/list', fault: { kind: 'http', status: 503 } });
    const html = await raw('programs/list');
    expect(html.status).toBe(503);
    expect(html.headers.get('content-type')).toBe('text/html');
    expect(await html.text()).toContain('503 Service Unavailable');
    sim.faults.add({ endpoint: 'programs/list', fault: { kind: 'http', status: 502, body: { oops: true } } });
    const json = await call(sim, token, 'programs/list');
    expect(json).toMatchObject({ status: 502, body: { oops: true } });
    expect((await call(sim, token, 'programs/list')).status).toBe(200);
  });

  it("envelope 'before' fails without applying the change", async () => {
    sim.faults.add({
      endpoint: 'entitlements/stop',
      fault: { kind: 'envelope', errorCode: 'E1', message: 'Backend busy.' },
    });
    const reply = await call(sim, token, 'entitlements/stop', { serialNumber: berlin().serialNumber });
    expect(reply).toMatchObject({
      status: 400,
      body: { status: -1, message: 'Backend busy.', error: { errorCode: 'E1', message: 'Backend busy.' } },
    });
    expect(berlin().status).toBe('ACTIVE');
  });

  it("'after' applies the change, then fails the response", async () => {
    sim.faults.add({
      endpoint: 'entitlements/stop',
      when: 'after',
      fault: { kind: 'envelope', httpStatus: 500, message: 'Internal error.' },
    });
    const reply = await call(sim, token, 'entitlements/stop', { serialNumber: berlin().serialNumber });
    expect(reply.status).toBe(500);
    expect(berlin().status).toBe('STOPPED');
  });

  it('probability: fires on about that share of requests, the same ones for the same seed', async () => {
    const pattern = async (seed: number) => {
      const seeded = await startSimulator({ faultSeed: seed });
      try {
        const bearer = await login(seeded);
        seeded.faults.add({
          endpoint: 'programs/list',
          times: Infinity,
          probability: 0.3,
          fault: { kind: 'http', status: 500, body: { failed: true } },
        });
        const statuses: number[] = [];
        for (let i = 0; i < 60; i += 1) statuses.push((await call(seeded, bearer, 'programs/list')).status);
        return statuses;
      } finally {
        await seeded.stop();
      }
    };
    const first = await pattern(7);
    const failed = first.filter((status) => status === 500).length;
    expect(failed).toBeGreaterThan(6);
    expect(failed).toBeLessThan(30);
    expect(first.filter((status) => status !== 500).every((status) => status === 200)).toBe(true);
    expect(await pattern(7)).toEqual(first);
    expect(() =>
      sim.faults.add({ endpoint: 'programs/list', probability: 0, fault: { kind: 'http', status: 500 } }),
    ).toThrow('fault.probability: expected a number in (0, 1]');
  });

  it('times counts consumed faults; Infinity lasts until clear(); "*" matches any endpoint', async () => {
    sim.faults.add({ endpoint: '*', times: 2, fault: { kind: 'http', status: 500 } });
    expect((await raw('programs/list')).status).toBe(500);
    expect((await raw('groups/list', { accountId: 12345 })).status).toBe(500);
    expect((await raw('programs/list')).status).toBe(200);
    sim.faults.add({ endpoint: '/programs/list/', times: Infinity, fault: { kind: 'http', status: 500 } });
    for (let i = 0; i < 3; i += 1) expect((await raw('programs/list')).status).toBe(500);
    sim.faults.clear();
    expect((await raw('programs/list')).status).toBe(200);
    expect(() => sim.faults.add({ endpoint: 'x', times: 0, fault: { kind: 'hang' } })).toThrow(
      /^fault.times/,
    );
  });

  it('delay holds the answer for the given time', async () => {
    sim.faults.add({ endpoint: 'programs/list', fault: { kind: 'delay', ms: 150 } });
    const started = performance.now();
    expect((await raw('programs/list')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('hang keeps the request open until the client gives up, and stop() ends hung requests', async () => {
    sim.faults.add({ endpoint: 'programs/list', times: 2, fault: { kind: 'hang' } });
    await expect(raw('programs/list', {}, AbortSignal.timeout(200))).rejects.toThrow(/abort|timeout/i);
    const pending = raw('programs/list');
    for (let i = 0; i < 100 && (sim.stats().requests['programs/list'] ?? 0) < 2; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await sim.stop();
    await expect(pending).rejects.toThrow();
  });

  it('reset destroys the connection', async () => {
    sim.faults.add({ endpoint: 'entitlements/list', fault: { kind: 'reset' } });
    await expect(raw('entitlements/list', { configId: 2198 })).rejects.toThrow(/fetch failed/);
    expect((await raw('entitlements/list', { configId: 2198 })).status).toBe(200);
  });

  it('malformed answers 200 with truncated JSON', async () => {
    sim.faults.add({ endpoint: 'entitlements/list', fault: { kind: 'malformed' } });
    const response = await raw('entitlements/list', { configId: 2198 });
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow(SyntaxError);
  });

  it('rateLimit answers 429 with Retry-After and the -10 envelope', async () => {
    sim.faults.add({ endpoint: 'entitlements/stop', fault: { kind: 'rateLimit', retryAfterSeconds: 7 } });
    const reply = await call(sim, token, 'entitlements/stop', { serialNumber: berlin().serialNumber });
    expect(reply.status).toBe(429);
    expect(reply.headers.get('retry-after')).toBe('7');
    expect(reply.body).toEqual({
      status: -10,
      message: 'Exceed max requests in minute',
      error: { errorCode: -10, message: 'Exceed max requests in minute' },
    });
    expect(berlin().status).toBe('ACTIVE');
  });

  it('invalidToken answers "Invalid security token." once while the token stays valid', async () => {
    sim.faults.add({ endpoint: 'programs/list', fault: { kind: 'invalidToken' } });
    const reply = await call(sim, token, 'programs/list');
    expect(reply).toMatchObject({ status: 401, body: { status: -1, message: 'Invalid security token.' } });
    expect((await call(sim, token, 'programs/list')).status).toBe(200);
  });

  it('legacyKeys returns "vms" instead of "entitlements" and nexttoken as a bare object', async () => {
    sim.faults.add({ endpoint: 'entitlements/list', fault: { kind: 'legacyKeys' } });
    const list = await call(sim, token, 'entitlements/list', ACCOUNT);
    expect(list.body.entitlements).toBeUndefined();
    expect(list.body.vms).toHaveLength(36);
    sim.faults.add({ endpoint: 'groups/nexttoken', fault: { kind: 'legacyKeys' } });
    const next = await call(sim, token, 'groups/nexttoken', { configId: 2200 });
    expect(next.body.vms).toMatchObject({ configId: 2200, tokenStatus: 'NOTUSED' });
    expect(Array.isArray(next.body.vms)).toBe(false);
    const normal = await call(sim, token, 'groups/nexttoken', { configId: 2200 });
    expect(Array.isArray(normal.body.entitlements)).toBe(true);
  });

  it('faults the token endpoint too, and API-only kinds skip it', async () => {
    sim.faults.add({ endpoint: '*', fault: { kind: 'legacyKeys' } });
    sim.faults.add({ endpoint: 'oauth/token', fault: { kind: 'http', status: 502 } });
    const fields = { ...sim.credentials, client_id: 'flexvm', grant_type: 'password' };
    const failed = await fetch(sim.authUrl, { method: 'POST', body: JSON.stringify(fields) });
    expect(failed.status).toBe(502);
    expect((await requestToken(sim, fields)).status).toBe(200);
  });
});

describe('latency and stats', () => {
  it('adds latency to every response', async () => {
    sim.setLatency(100);
    const started = performance.now();
    await raw('programs/list');
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    sim.setLatency(0);
    expect(() => sim.setLatency(-1)).toThrow(/latencyMs/);
  });

  it('counts requests per endpoint, logins and the total, and resets them', async () => {
    await raw('programs/list');
    await raw('programs/list');
    await raw('entitlements/list', { configId: 2198 });
    expect(sim.stats()).toEqual({
      requests: { 'oauth/token': 1, 'programs/list': 2, 'entitlements/list': 1 },
      logins: 1,
      total: 4,
    });
    sim.resetStats();
    expect(sim.stats()).toEqual({ requests: {}, logins: 0, total: 0 });
  });
});
