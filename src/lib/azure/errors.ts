/**
 * One error type for everything the compute adapter reports, with a small code vocabulary the use cases can
 * branch on. It is mapped from the SDK's `RestError` (HTTP status, ARM error code, Retry-After), from the
 * plain `Error` core-lro raises for a failed long-running operation ("The long-running operation has
 * failed. AllocationFailed. <message>"), and from aborts and transport failures. Messages are one line and
 * never carry request headers, so no bearer token can leak through them.
 */

/** What went wrong, coarse enough to decide what to do next. */
export type ComputeErrorCode =
  /** No capacity to start the VM (AllocationFailed, ZonalAllocationFailed, …): retry on a later run. */
  | 'allocationFailed'
  /** Another operation is in progress or the operation is not allowed now (409, preempted): re-read later. */
  | 'conflict'
  /** 429: back off for `retryAfterSeconds`. */
  | 'throttled'
  /** The VM, scale set or operation does not exist. */
  | 'notFound'
  /** 403: the identity lacks a role on the scope. */
  | 'forbidden'
  /** 401: the token was refused. */
  | 'unauthorized'
  /** 5xx, connection or TLS failures: transient or a setup problem named in the message. */
  | 'unavailable'
  /** No answer within the caller's budget, or the caller aborted. The request may still have been applied. */
  | 'timeout'
  /** Anything else; the message says what. */
  | 'unknown';

/** Fields of a {@link ComputeError} besides its message. */
export interface ComputeErrorDetails {
  /** HTTP status when the error came from a response. */
  statusCode?: number;
  /** ARM error code, e.g. `AllocationFailed`, `OperationNotAllowed`, `ResourceNotFound`. */
  azureCode?: string;
  /** Seconds the server asked to wait (429). */
  retryAfterSeconds?: number;
}

/** An error from the compute adapter. */
export class ComputeError extends Error {
  override readonly name = 'ComputeError';
  readonly statusCode?: number;
  readonly azureCode?: string;
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: ComputeErrorCode,
    message: string,
    details: ComputeErrorDetails = {},
  ) {
    super(oneLine(message));
    if (details.statusCode !== undefined) this.statusCode = details.statusCode;
    if (details.azureCode !== undefined) this.azureCode = details.azureCode;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

const ALLOCATION_CODES = new Set([
  'allocationfailed',
  'zonalallocationfailed',
  'overconstrainedallocationrequest',
  'overconstrainedzonalallocationrequest',
  'skunotavailable',
]);
const CONFLICT_CODES = new Set(['conflict', 'operationnotallowed', 'operationpreempted']);
const NOT_FOUND_CODES = new Set(['resourcenotfound', 'notfound', 'resourcegroupnotfound']);
const NETWORK_CODES = new Set([
  'REQUEST_SEND_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
]);
const LRO_FAILED = /^The long-running operation has failed\.?\s*(?:([A-Za-z][\w.]*)\.\s*)?(.*)$/s;

/** Collapses whitespace and removes anything shaped like a bearer token. */
function oneLine(text: string): string {
  return text
    .replace(/Bearer\s+[\w\-.~+/=]+/gi, 'Bearer [redacted]')
    .replace(/\s+/g, ' ')
    .trim();
}

interface RestErrorLike {
  name: string;
  message: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: unknown; bodyAsText?: string };
}

const isRestError = (error: unknown): error is RestErrorLike =>
  error instanceof Error && error.name === 'RestError';

/** Reads a header from a core-rest-pipeline `HttpHeaders` or a plain object. */
function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const getter = (headers as { get?: (n: string) => string | undefined }).get;
  if (typeof getter === 'function') return getter.call(headers, name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Seconds to wait from Retry-After style headers (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After` as
 * seconds or an HTTP date), or undefined.
 */
export function retryAfterMsFromHeaders(headers: unknown, nowMs = Date.now()): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = Number(header(headers, name));
    if (header(headers, name) !== undefined && Number.isFinite(value) && value >= 0) return value;
  }
  const text = header(headers, 'retry-after')?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function codeForStatus(status: number, azureCode: string | undefined): ComputeErrorCode {
  const lower = azureCode?.toLowerCase() ?? '';
  if (status === 429) return 'throttled';
  if (ALLOCATION_CODES.has(lower)) return 'allocationFailed';
  if (status === 409 || CONFLICT_CODES.has(lower)) return 'conflict';
  if (status === 404 || NOT_FOUND_CODES.has(lower)) return 'notFound';
  if (status === 403) return 'forbidden';
  if (status === 401) return 'unauthorized';
  if (status === 408 || status >= 500) return 'unavailable';
  return 'unknown';
}

/**
 * Maps anything the SDK or the transport threw into a {@link ComputeError}; `what` says what was being done
 * ("start of rg/vm-01"). A ComputeError passes through unchanged.
 */
export function toComputeError(error: unknown, what: string): ComputeError {
  if (error instanceof ComputeError) return error;
  if (isRestError(error)) {
    const status = error.statusCode;
    if (status === undefined) {
      const code = error.code ?? '';
      if (TLS_CODES.has(code)) {
        return new ComputeError(
          'unavailable',
          `${what}: TLS certificate not trusted (${code}); trust the endpoint's CA (NODE_EXTRA_CA_CERTS)`,
        );
      }
      const kind = NETWORK_CODES.has(code) ? 'unavailable' : 'unknown';
      return new ComputeError(kind, `${what}: ${error.message}${code ? ` (${code})` : ''}`);
    }
    const azureCode = error.code && error.code !== String(status) ? error.code : undefined;
    const kind = codeForStatus(status, azureCode);
    const retryMs = kind === 'throttled' ? retryAfterMsFromHeaders(error.response?.headers) : undefined;
    return new ComputeError(
      kind,
      `${what}: HTTP ${status}${azureCode ? ` ${azureCode}` : ''}: ${error.message}`,
      {
        statusCode: status,
        ...(azureCode !== undefined && { azureCode }),
        ...(retryMs !== undefined && { retryAfterSeconds: Math.ceil(retryMs / 1000) }),
      },
    );
  }
  if (error instanceof Error) {
    if (error.name === 'AbortError') {
      return new ComputeError('timeout', `${what}: aborted before Azure answered`);
    }
    const lro = LRO_FAILED.exec(error.message);
    if (lro) {
      const azureCode = lro[1];
      const lower = azureCode?.toLowerCase() ?? '';
      const kind: ComputeErrorCode = ALLOCATION_CODES.has(lower)
        ? 'allocationFailed'
        : CONFLICT_CODES.has(lower)
          ? 'conflict'
          : 'unknown';
      return new ComputeError(
        kind,
        `${what}: operation failed${azureCode ? ` (${azureCode})` : ''}: ${lro[2]}`,
        {
          ...(azureCode !== undefined && { azureCode }),
        },
      );
    }
    if (error.message === 'Operation was canceled') {
      return new ComputeError('conflict', `${what}: the operation was canceled (preempted by another)`);
    }
    return new ComputeError('unknown', `${what}: ${error.message}`);
  }
  return new ComputeError('unknown', `${what}: ${String(error)}`);
}
