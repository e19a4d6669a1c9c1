/**
 * The simulator's HTTP layer: routes the token endpoint and the FortiFlex v2 endpoints, wraps results in the
 * API envelope, checks bearer tokens, counts requests, and injects latency and faults.
 *
 * HTTP statuses: success 200; API errors 400 (404 for unknown endpoints) with the error envelope; a missing,
 * expired or replaced token 401 with `{status: -1, message: "Invalid security token."}`; a method other
 * than POST 405 with `Allow: POST`; rate limits 429 with Retry-After and `status` -10 (per minute), -11 (per
 * hour) or -30 (errors per hour).
 */
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AuthReply, AuthService } from './auth';
import { ErrorCode, INVALID_TOKEN_MESSAGE, SimApiError } from './errors';
import type { FaultInjector } from './faults';
import type { RateLimiter, RateLimitRefusal } from './rate-limit';
import { HANDLERS, unknownEndpoint, type HandlerResult } from './handlers';
import type { SimState } from './state';
import type { Fault, FaultRule } from './types';

/** URL prefix of the FortiFlex v2 API. */
export const API_PREFIX = '/ES/api/fortiflex/v2/';
/** URL prefix of the legacy FlexVM v1 API, of which only `groups/list` is still called. */
export const LEGACY_PREFIX = '/ES/api/flexvm/v1/';
/** v1 endpoints the simulator serves, with the v2 handler that answers them (same reply shape). */
const LEGACY_HANDLERS: Readonly<Record<string, string>> = { 'groups/list': 'groups/list' };
/** URL of the OAuth token endpoint (trailing slash as in production). */
export const AUTH_PATH = '/api/v1/oauth/token/';
const REVOKE_PATH = '/api/v1/oauth/revoke_token/';
const MAX_BODY_BYTES = 1024 * 1024;
const SUCCESS_MESSAGE = 'Request processed successfully.';

/** Request counters. */
export class Stats {
  requests: Record<string, number> = {};
  logins = 0;
  total = 0;

  count(endpoint: string): void {
    this.requests[endpoint] = (this.requests[endpoint] ?? 0) + 1;
    this.total += 1;
  }

  reset(): void {
    this.requests = {};
    this.logins = 0;
    this.total = 0;
  }
}

/** What the server needs from the rest of the simulator. */
export interface ServerDeps {
  state: SimState;
  auth: AuthService;
  faults: FaultInjector;
  stats: Stats;
  latencyMs(): number;
  /** Server-side rate limits of the v2 API, when configured. */
  rateLimiter?: RateLimiter;
}

/** `endpoint` names the request in stats and fault rules (`flexvm/v1/groups/list` for v1); `handler` answers it. */
type Route = { kind: 'auth' | 'revoke' | 'api' | 'unknown'; endpoint: string; handler?: string };

function route(pathname: string): Route {
  const withSlash = pathname.endsWith('/') ? pathname : `${pathname}/`;
  if (withSlash === AUTH_PATH) return { kind: 'auth', endpoint: 'oauth/token' };
  if (withSlash === REVOKE_PATH) return { kind: 'revoke', endpoint: 'oauth/revoke_token' };
  if (pathname.startsWith(API_PREFIX)) {
    const endpoint = pathname.slice(API_PREFIX.length).replace(/\/+$/, '');
    return HANDLERS[endpoint] ? { kind: 'api', endpoint, handler: endpoint } : { kind: 'unknown', endpoint };
  }
  if (pathname.startsWith(LEGACY_PREFIX)) {
    const path = pathname.slice(LEGACY_PREFIX.length).replace(/\/+$/, '');
    const handler = LEGACY_HANDLERS[path];
    return { kind: handler ? 'api' : 'unknown', endpoint: `flexvm/v1/${path}`, ...(handler && { handler }) };
  }
  return { kind: 'unknown', endpoint: pathname.replace(/^\/+|\/+$/g, '') };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES)
        reject(new SimApiError('Request body too large.', ErrorCode.invalidRequest, 413));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SimApiError('Invalid JSON in request body.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SimApiError('Request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** Token requests come as JSON (every sample) or form-urlencoded (one Postman collection). */
function parseAuthBody(req: IncomingMessage, text: string): Record<string, unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.includes('application/x-www-form-urlencoded')) {
    try {
      return parseJsonObject(text);
    } catch {
      // Fall through: clients that omit the content type may still send a form body.
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Sends 429 with Retry-After and the rate-limit envelope. */
function sendRateLimited(res: ServerResponse, refusal: RateLimitRefusal): void {
  send(
    res,
    429,
    {
      status: refusal.status,
      message: refusal.message,
      error: { errorCode: refusal.status, message: refusal.message },
    },
    { 'retry-after': String(refusal.retryAfterSeconds) },
  );
}

function errorEnvelope(
  message: string,
  errorCode: number | string,
  detail = message,
): Record<string, unknown> {
  return { status: -1, message, error: { errorCode, message: detail } };
}

function successEnvelope(result: HandlerResult, legacy: boolean): Record<string, unknown> {
  let key: string = result.key;
  let value = result.value;
  if (legacy && key === 'entitlements') key = 'vms';
  if (legacy && result.single && Array.isArray(value)) value = value[0] ?? [];
  return { status: 0, message: SUCCESS_MESSAGE, error: null, [key]: value };
}

/** Creates the HTTP server; `hanging` collects responses a `hang` fault holds open, so stop can end them. */
export function createSimServer(deps: ServerDeps, hanging: Set<ServerResponse>): Server {
  /** Sends the fault's response; returns false for faults that only shape a normal answer. */
  const fail = async (
    fault: Fault,
    req: IncomingMessage,
    res: ServerResponse,
    kind: Route['kind'],
  ): Promise<boolean> => {
    switch (fault.kind) {
      case 'http':
        if (fault.body === undefined) {
          const text = `<html><body><h1>${fault.status} ${STATUS_CODES[fault.status] ?? ''}</h1></body></html>`;
          res.writeHead(fault.status, {
            'content-type': 'text/html',
            'content-length': Buffer.byteLength(text),
          });
          res.end(text);
        } else {
          send(res, fault.status, fault.body);
        }
        return true;
      case 'envelope':
        send(
          res,
          fault.httpStatus ?? 400,
          errorEnvelope(fault.message, fault.errorCode ?? ErrorCode.invalidRequest),
        );
        return true;
      case 'rateLimit':
        sendRateLimited(res, {
          status: ErrorCode.rateLimitMinute,
          message: 'Exceed max requests in minute',
          retryAfterSeconds: fault.retryAfterSeconds,
        });
        return true;
      case 'invalidToken':
        send(res, 401, errorEnvelope(INVALID_TOKEN_MESSAGE, ErrorCode.invalidToken));
        return true;
      case 'malformed': {
        const text =
          kind === 'auth'
            ? '{"access_token": "'
            : `{"status":0,"message":"${SUCCESS_MESSAGE}","error":null,"entitlements":[{"serialNumber":`;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return true;
      }
      case 'reset':
        req.socket.destroy();
        return true;
      case 'hang':
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return true;
      case 'delay':
        await sleep(fault.ms);
        return false;
      case 'legacyKeys':
        return false;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const { kind, endpoint, handler } = route(pathname);
    deps.stats.count(endpoint);
    const text = await readBody(req);
    const latency = deps.latencyMs();
    if (latency > 0) await sleep(latency);
    const isApi = kind === 'api' || pathname.startsWith(API_PREFIX) || pathname.startsWith(LEGACY_PREFIX);
    if (isApi && deps.rateLimiter) {
      const refusal = deps.rateLimiter.admit();
      if (refusal) {
        sendRateLimited(res, refusal);
        return;
      }
    }

    const rule: FaultRule | undefined =
      kind === 'unknown' ? undefined : deps.faults.take(endpoint, kind === 'api');
    const after = rule?.when === 'after';
    if (rule && !after && (await fail(rule.fault, req, res, kind))) return;

    let status: number;
    let body: unknown;
    let headers: Record<string, string> = {};
    if (kind === 'unknown') {
      const error = unknownEndpoint(endpoint);
      status = error.httpStatus;
      body = errorEnvelope(error.message, error.errorCode);
    } else if (req.method !== 'POST') {
      status = 405;
      headers = { allow: 'POST' };
      body = errorEnvelope(
        `Method ${req.method} not allowed; FortiFlex endpoints take POST.`,
        ErrorCode.invalidRequest,
      );
    } else if (kind === 'auth' || kind === 'revoke') {
      const fields = parseAuthBody(req, text);
      const reply: AuthReply = kind === 'auth' ? deps.auth.token(fields) : deps.auth.revoke(fields);
      if (kind === 'auth' && reply.status === 200) deps.stats.logins += 1;
      ({ status, body } = reply);
    } else {
      ({ status, body } = runApi(handler!, req, text, rule?.fault.kind === 'legacyKeys'));
    }
    if (isApi && status !== 200) deps.rateLimiter?.recordError();

    if (rule && after && (await fail(rule.fault, req, res, kind))) return;
    send(res, status, body, headers);
  };

  const runApi = (
    endpoint: string,
    req: IncomingMessage,
    text: string,
    legacy: boolean,
  ): { status: number; body: unknown } => {
    try {
      const header = req.headers.authorization ?? '';
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      if (!deps.auth.verify(token)) {
        return { status: 401, body: errorEnvelope(INVALID_TOKEN_MESSAGE, ErrorCode.invalidToken) };
      }
      const result = HANDLERS[endpoint]!(parseJsonObject(text), deps.state);
      return { status: 200, body: successEnvelope(result, legacy) };
    } catch (error) {
      if (error instanceof SimApiError) {
        return {
          status: error.httpStatus,
          body: errorEnvelope(error.message, error.errorCode, error.detail),
        };
      }
      throw error;
    }
  };

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof SimApiError) {
        send(res, error.httpStatus, errorEnvelope(error.message, error.errorCode, error.detail));
      } else {
        send(res, 500, errorEnvelope('Internal server error.', 500));
      }
    });
  });
}
