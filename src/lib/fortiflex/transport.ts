/**
 * HTTP transport for the FortiFlex client: one JSON POST per attempt, with a per-attempt timeout, the caller's
 * AbortSignal, and keep-alive connections. The production fetch is node-fetch 3 (ESM-only, so it is loaded
 * once with a dynamic import from this CommonJS code); tests inject their own {@link FetchLike}.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { FortiFlexAbortError, FortiFlexNetworkError, FortiFlexTimeoutError } from './errors';

/** The slice of a fetch Response the client reads. node-fetch, undici and test fakes all satisfy it. */
export interface FetchResponseLike {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** The request options the client passes to fetch. `agent` is node-fetch's keep-alive agent selector. */
export interface FetchInitLike {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
  agent?: (url: URL) => http.Agent;
}

/** A fetch implementation (node-fetch, the global fetch, or a test fake). */
export type FetchLike = (url: string, init: FetchInitLike) => Promise<FetchResponseLike>;

/** What one attempt produced: the status, headers and raw body text. */
export interface RawResponse {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
}

// Keep-alive agents shared by every client in the process: FortiFlex calls come in bursts (one list, then
// many stops), and re-using TLS connections is most of the client's speed.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
const selectAgent = (url: URL): http.Agent => (url.protocol === 'http:' ? httpAgent : httpsAgent);

let nodeFetchPromise: Promise<FetchLike> | undefined;

/** Loads node-fetch once, lazily, so that processes that never call FortiFlex never load it. */
export function loadNodeFetch(): Promise<FetchLike> {
  nodeFetchPromise ??= import('node-fetch').then((module): FetchLike => module.default);
  return nodeFetchPromise;
}

/** Error codes that prove the request never reached the server, so even a create may be re-sent. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Options of one attempt. */
export interface AttemptOptions {
  operation: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** Per-attempt budget in milliseconds. */
  timeoutMs: number;
  /** The caller's signal (already combined with the total budget by the caller). */
  signal?: AbortSignal;
  /** Fired by the total budget; distinguishes "out of time" from "caller aborted". */
  totalSignal?: AbortSignal;
  totalTimeoutMs?: number;
}

/**
 * Sends one JSON POST and reads the whole body. Throws {@link FortiFlexTimeoutError} when the attempt or
 * total budget runs out, {@link FortiFlexAbortError} when the caller aborts, {@link FortiFlexNetworkError}
 * on connection failures. Error messages carry only the operation and the system error code.
 */
export async function postJson(fetchImpl: FetchLike, options: AttemptOptions): Promise<RawResponse> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) controller.abort();
  let sent = false;
  try {
    const response = await fetchImpl(options.url, {
      method: 'POST',
      headers: options.headers,
      body: JSON.stringify(options.body ?? {}),
      signal: controller.signal,
      agent: selectAgent,
    });
    sent = true;
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    if (options.totalSignal?.aborted) {
      throw new FortiFlexTimeoutError(
        options.operation,
        `no reply within the total budget of ${options.totalTimeoutMs ?? 0} ms`,
        { timeoutMs: options.totalTimeoutMs ?? 0, ambiguous: true },
      );
    }
    if (options.signal?.aborted) throw new FortiFlexAbortError(options.operation);
    if (timedOut) {
      throw new FortiFlexTimeoutError(options.operation, `no reply within ${options.timeoutMs} ms`, {
        timeoutMs: options.timeoutMs,
        ambiguous: true,
      });
    }
    const code = systemErrorCode(error);
    const notSent = !sent && code !== undefined && NOT_SENT_CODES.has(code);
    throw new FortiFlexNetworkError(options.operation, `network error${code ? ` (${code})` : ''}`, {
      code,
      ambiguous: !notSent,
    });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Digs the system error code (ECONNRESET, …) out of node-fetch's FetchError or undici's cause chain. */
function systemErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth += 1) {
    const record = current as { code?: unknown; errno?: unknown; cause?: unknown };
    if (typeof record.code === 'string' && /^E[A-Z_]+$/.test(record.code)) return record.code;
    if (typeof record.errno === 'string' && /^E[A-Z_]+$/.test(record.errno)) return record.errno;
    current = record.cause;
  }
  return undefined;
}
