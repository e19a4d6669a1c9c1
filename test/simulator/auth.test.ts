import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { call, login, requestToken } from './helpers';

let sim: SimulatorHandle | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const password = (s: SimulatorHandle) => ({ ...s.credentials, client_id: 'flexvm', grant_type: 'password' });

describe('simulator token endpoint', () => {
  it('issues 30-character alphanumeric tokens for JSON and form bodies', async () => {
    sim = await startSimulator();
    for (const form of [false, true]) {
      const reply = await requestToken(sim, password(sim), form);
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ expires_in: 3660, token_type: 'Bearer', status: 'success' });
      expect(reply.body.access_token).toMatch(/^[A-Za-z0-9]{30}$/);
      expect(reply.body.refresh_token).toMatch(/^[A-Za-z0-9]{30}$/);
    }
    expect(sim.stats().logins).toBe(2);
    expect(sim.stats().requests['oauth/token']).toBe(2);
  });

  it('rejects bad credentials, a wrong client_id and unknown grants with HTTP 400', async () => {
    sim = await startSimulator();
    const bad = await requestToken(sim, { ...password(sim), password: 'wrong' });
    expect(bad).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid credentials given.' },
    });
    const client = await requestToken(sim, { ...password(sim), client_id: 'iam' });
    expect(client).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    const grant = await requestToken(sim, { ...password(sim), grant_type: 'client_credentials' });
    expect(grant).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    expect(sim.stats().logins).toBe(0);
  });

  it('answers a missing or unknown bearer with HTTP 401 and "Invalid security token."', async () => {
    sim = await startSimulator();
    const reply = await call(sim, 'not-a-token', 'programs/list');
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({
      status: -1,
      message: 'Invalid security token.',
      error: { errorCode: -1, message: 'Invalid security token.' },
    });
  });

  it('invalidates older tokens of the same user when a new one is issued', async () => {
    sim = await startSimulator();
    const first = await login(sim);
    expect((await call(sim, first, 'programs/list')).status).toBe(200);
    const second = await login(sim);
    expect((await call(sim, first, 'programs/list')).body.message).toBe('Invalid security token.');
    expect((await call(sim, second, 'programs/list')).status).toBe(200);
  });

  it('keeps older tokens valid when invalidatePreviousTokens is false', async () => {
    sim = await startSimulator({ invalidatePreviousTokens: false });
    const first = await login(sim);
    await login(sim);
    expect((await call(sim, first, 'programs/list')).status).toBe(200);
  });

  it('expires tokens on the simulated clock and refreshes them with the refresh_token grant', async () => {
    sim = await startSimulator({ tokenTtlSeconds: 60 });
    const issued = await requestToken(sim, password(sim));
    const token = issued.body.access_token as string;
    sim.clock.advance(59_000);
    expect((await call(sim, token, 'programs/list')).status).toBe(200);
    sim.clock.advance(1_000);
    expect((await call(sim, token, 'programs/list')).status).toBe(401);

    const refreshed = await requestToken(
      sim,
      { client_id: 'flexvm', grant_type: 'refresh_token', refresh_token: issued.body.refresh_token },
      true,
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.expires_in).toBe(60);
    expect((await call(sim, refreshed.body.access_token, 'programs/list')).status).toBe(200);
    // A refresh token is single use.
    const again = await requestToken(sim, {
      client_id: 'flexvm',
      grant_type: 'refresh_token',
      refresh_token: issued.body.refresh_token,
    });
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses a freshly issued token once when refuseFreshTokensOnce is on, then accepts it', async () => {
    sim = await startSimulator({ refuseFreshTokensOnce: true });
    const token = await login(sim);
    expect((await call(sim, token, 'programs/list')).body.message).toBe('Invalid security token.');
    expect((await call(sim, token, 'programs/list')).status).toBe(200);
    expect((await call(sim, token, 'programs/list')).status).toBe(200);
  });

  it('rotates refresh tokens: each refresh returns a new one and retires the old', async () => {
    sim = await startSimulator();
    const issued = await requestToken(sim, password(sim));
    const refresh = (token: unknown) =>
      requestToken(sim!, { client_id: 'flexvm', grant_type: 'refresh_token', refresh_token: String(token) });
    const second = await refresh(issued.body.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(issued.body.refresh_token);
    expect((await refresh(issued.body.refresh_token)).status).toBe(400);
    // One token per user: the refresh replaced the first access token too.
    expect((await call(sim, issued.body.access_token, 'programs/list')).status).toBe(401);
    expect((await refresh(second.body.refresh_token)).status).toBe(200);
  });

  it('invalidateTokens forgets every access and refresh token', async () => {
    sim = await startSimulator();
    const issued = await requestToken(sim, password(sim));
    sim.invalidateTokens();
    expect((await call(sim, issued.body.access_token, 'programs/list')).status).toBe(401);
    const again = await requestToken(sim, {
      client_id: 'flexvm',
      grant_type: 'refresh_token',
      refresh_token: issued.body.refresh_token,
    });
    expect(again.status).toBe(400);
  });
});
