/**
 * Small HTTP helpers for simulator tests: log in and call v2 endpoints with the global fetch.
 */
import type { SimulatorHandle } from '../../src/simulator';

/** A decoded response. */
export interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
}

/** Posts a token request as JSON (or form-urlencoded with `form`). */
export async function requestToken(
  sim: SimulatorHandle,
  fields: Record<string, string>,
  form = false,
): Promise<Reply> {
  const response = await fetch(sim.authUrl, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: form ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

/** Logs in with the simulator's default credentials and returns the access token. */
export async function login(sim: SimulatorHandle): Promise<string> {
  const reply = await requestToken(sim, { ...sim.credentials, client_id: 'flexvm', grant_type: 'password' });
  if (reply.status !== 200) throw new Error(`login failed with HTTP ${reply.status}`);
  return reply.body.access_token as string;
}

/** Calls a v2 endpoint with a bearer token and returns status, JSON body and headers. */
export async function call(
  sim: SimulatorHandle,
  token: string,
  endpoint: string,
  body: unknown = {},
  init: { signal?: AbortSignal } = {},
): Promise<Reply> {
  const response = await fetch(`${sim.apiUrl}${endpoint}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: init.signal ?? AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

/** A client bound to one simulator that logs in once. */
export async function connect(
  sim: SimulatorHandle,
): Promise<(endpoint: string, body?: unknown) => Promise<Reply>> {
  const token = await login(sim);
  return (endpoint, body = {}) => call(sim, token, endpoint, body);
}

/** Scope of the default seed's account. */
export const ACCOUNT = { accountId: 12345, programSerialNumber: 'ELAVMR0000000519' };
