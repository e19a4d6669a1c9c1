/**
 * A fake fetch for client tests: routes requests by path (relative to the API base, or `oauth/token`) to
 * recorded fixture payloads or handler functions, and records every request it saw.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FetchInitLike, FetchLike, FetchResponseLike } from '../../../src/lib/fortiflex';

export const API_URL = 'https://flex.test/ES/api/fortiflex/v2/';
export const AUTH_URL = 'https://auth.test/api/v1/oauth/token/';

/** What a route answers: a JSON body (with status/headers), raw text, or a thrown network error. */
export interface Reply {
  status?: number;
  body?: unknown;
  text?: string;
  headers?: Record<string, string>;
  /** Throw this from fetch instead of answering (e.g. a reset connection). */
  error?: Error;
  /** Never answer; only the abort signal ends the request. */
  hang?: boolean;
}

export interface RecordedCall {
  path: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export type Route = Reply | ((body: Record<string, unknown>, call: RecordedCall) => Reply | Promise<Reply>);

/** Loads a fixture from test/fixtures/fortiflex. */
export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(join(__dirname, '../../fixtures/fortiflex', `${name}.json`), 'utf8'),
  ) as Record<string, unknown>;
}

/** A system error like the ones node-fetch wraps. */
export function systemError(code: string): Error {
  return Object.assign(new Error(`request failed, reason: ${code}`), { code, errno: code, type: 'system' });
}

/**
 * Builds a fake fetch. A route given as an array answers with its items in turn (the last one repeats).
 * `oauth/token` defaults to the recorded token fixture.
 */
export function createFakeFetch(routes: Record<string, Route | Route[]>): {
  fetch: FetchLike;
  calls: RecordedCall[];
  callsTo(path: string): RecordedCall[];
} {
  const calls: RecordedCall[] = [];
  const counters = new Map<string, number>();
  const table: Record<string, Route | Route[]> = {
    'oauth/token': { body: fixture('oauth-token') },
    ...routes,
  };
  const fetch: FetchLike = async (url: string, init: FetchInitLike): Promise<FetchResponseLike> => {
    const path = url === AUTH_URL ? 'oauth/token' : url.startsWith(API_URL) ? url.slice(API_URL.length) : url;
    const body = JSON.parse(init.body) as Record<string, unknown>;
    const call = { path, body, headers: init.headers };
    calls.push(call);
    const entry = table[path];
    if (entry === undefined)
      return response({ status: 404, body: { status: -1, message: `no route ${path}` } });
    let route: Route;
    if (Array.isArray(entry)) {
      const index = counters.get(path) ?? 0;
      counters.set(path, index + 1);
      route = entry[Math.min(index, entry.length - 1)]!;
    } else {
      route = entry;
    }
    const reply = typeof route === 'function' ? await route(body, call) : route;
    if (reply.error) throw reply.error;
    if (reply.hang) {
      return new Promise((_, reject) => {
        init.signal.addEventListener('abort', () =>
          reject(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' })),
        );
      });
    }
    return response(reply);
  };
  return { fetch, calls, callsTo: (path) => calls.filter((call) => call.path === path) };
}

function response(reply: Reply): FetchResponseLike {
  const headers = new Map(Object.entries(reply.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const text = reply.text ?? JSON.stringify(reply.body ?? {});
  return {
    status: reply.status ?? 200,
    headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null },
    text: () => Promise.resolve(text),
  };
}

/** Envelope of a successful reply with `key: value`. */
export function ok(key: string, value: unknown): Reply {
  return { body: { status: 0, message: 'Request processed successfully.', error: null, [key]: value } };
}

/** A typical FortiFlex error reply. */
export function apiError(message: string, errorCode: number | string = 400, status = 400): Reply {
  return { status, body: { status: -1, message, error: { errorCode, message } } };
}
