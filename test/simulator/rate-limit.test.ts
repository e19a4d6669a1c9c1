import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../src/simulator';
import { call, login, requestToken } from './helpers';

let sim: SimulatorHandle | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function limited(rateLimit: SimulatorOptions['rateLimit']) {
  sim = await startSimulator({ rateLimit, tokenTtlSeconds: 10 * 86_400, invalidatePreviousTokens: false });
  const s = sim;
  const token = await login(s);
  return { s, api: (endpoint = 'programs/list', body: unknown = {}) => call(s, token, endpoint, body) };
}

describe('server-side rate limits', () => {
  it('is off by default', async () => {
    sim = await startSimulator();
    const token = await login(sim);
    const statuses = [];
    for (let i = 0; i < 30; i += 1) statuses.push((await call(sim, token, 'programs/list')).status);
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it('answers 429, Retry-After and -10 past perMinute, and admits again when the minute slides on', async () => {
    const { s, api } = await limited({ perMinute: 3, clock: 'simulated' });
    for (let i = 0; i < 3; i += 1) {
      expect((await api()).status).toBe(200);
      s.clock.advance(10_000);
    }
    const refused = await api();
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      status: -10,
      message: 'Exceed max requests in minute',
      error: { errorCode: -10, message: 'Exceed max requests in minute' },
    });
    // The first request was 30 s ago: it leaves the window in 30 s.
    expect(refused.headers.get('retry-after')).toBe('30');
    // The token endpoint is another service and is not limited.
    expect(
      (await requestToken(s, { ...s.credentials, client_id: 'flexvm', grant_type: 'password' })).status,
    ).toBe(200);
    s.clock.advance(30_000);
    expect((await api()).status).toBe(200);
  });

  it('answers -11 past perHour with the wait until the oldest request leaves the hour', async () => {
    const { s, api } = await limited({ perMinute: 100, perHour: 4, clock: 'simulated' });
    for (let i = 0; i < 4; i += 1) {
      expect((await api()).status).toBe(200);
      s.clock.advance(5 * 60_000);
    }
    const refused = await api();
    expect(refused.status).toBe(429);
    expect(refused.body.status).toBe(-11);
    expect(refused.body.message).toBe('Exceed max requests in hour');
    expect(refused.headers.get('retry-after')).toBe(String(40 * 60));
    s.clock.advance(40 * 60_000);
    expect((await api()).status).toBe(200);
  });

  it('answers -30 "Exceed max error" once errorsPerHour API errors were answered', async () => {
    const { s, api } = await limited({ errorsPerHour: 2, clock: 'simulated' });
    expect((await api('entitlements/stop', { serialNumber: 'NOPE' })).status).toBe(400);
    expect((await api('entitlements/delete')).status).toBe(404);
    const refused = await api();
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ status: -30, message: 'Exceed max error' });
    s.clock.advance(3_600_000);
    expect((await api()).status).toBe(200);
  });

  it('counts on wall-clock time by default', async () => {
    const { s, api } = await limited({ perMinute: 2 });
    expect((await api()).status).toBe(200);
    expect((await api()).status).toBe(200);
    s.clock.advance(10 * 60_000); // the simulated clock does not open a wall-clock window
    const refused = await api();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(50);
  });

  it('rejects invalid limits with a one-line error naming the field', async () => {
    await expect(startSimulator({ rateLimit: { perMinute: 0 } })).rejects.toThrow(
      'rateLimit.perMinute: 0 is not valid; expected an integer >= 1',
    );
  });
});
