/**
 * Errors of the use cases, grouped by what the caller should do about them. Each use-case error extends one
 * of these bases, so an adapter (the HTTP map in `src/functions/http.ts`, the CLI's exit codes) decides by
 * the base class and never needs to know the individual errors. See docs/architecture.md §"Errors".
 *
 * Messages are one line, name what was wrong and never carry secrets; they are safe to show to the caller.
 * Anything that is not an {@link AppError} is an internal failure whose detail belongs in the log only.
 */

/** What the caller should do about an error. */
export type AppErrorKind = 'invalid' | 'notFound' | 'conflict' | 'busy';

/** Base of every use-case error whose message may be shown to the caller. */
export abstract class AppError extends Error {
  /** What the caller should do: fix the request, look elsewhere, accept the state, or retry later. */
  abstract readonly kind: AppErrorKind;
  /** Extra fields for a machine-readable answer (never secrets). */
  readonly details?: Readonly<Record<string, unknown>>;

  constructor(message: string, details?: Record<string, unknown>) {
    super(message);
    if (details !== undefined) this.details = Object.freeze({ ...details });
  }
}

/** The request itself is wrong (a field, a value); `path` names the field when there is one. */
export class InvalidRequestError extends AppError {
  override readonly name: string = 'InvalidRequestError';
  readonly kind = 'invalid' as const;

  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

/** What the request names does not exist (a pool, a claim, a rule). */
export class NotFoundError extends AppError {
  override readonly name: string = 'NotFoundError';
  readonly kind = 'notFound' as const;
}

/** The request conflicts with the current state (a pool at its maximum); retrying now changes nothing. */
export class ConflictError extends AppError {
  override readonly name: string = 'ConflictError';
  readonly kind = 'conflict' as const;
}

/** Something is busy or briefly unavailable; the same request may succeed after `retryAfterSeconds`. */
export class BusyError extends AppError {
  override readonly name: string = 'BusyError';
  readonly kind = 'busy' as const;

  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
  }
}

/** System error codes of a connection that failed or dropped: the service may be back in a moment. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

type Described = {
  name?: unknown;
  retryable?: unknown;
  statusCode?: unknown;
  code?: unknown;
  cause?: unknown;
};

/**
 * True when `error` is worth retrying later:
 * - a {@link BusyError};
 * - a lower-layer error that says so itself (`retryable`: the FortiFlex client marks timeouts, network
 *   failures, 5xx and rate limits);
 * - FortiFlex refusing the app's credentials or token (`FortiFlexAuthError`): nothing the caller sent is
 *   wrong, and the same request succeeds once the token or the credentials are good again;
 * - an Azure Storage failure that is not an answer about the request (`RestError` without a status, 5xx,
 *   408, 429) or a dropped connection (`ECONNREFUSED`, `ECONNRESET`, …), on the error or its cause.
 * Anything else (a bug, a 4xx about the request) is not.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof BusyError) return true;
  const top = error as Described | null;
  if (typeof top !== 'object' || top === null) return false;
  if (top.retryable === true || top.name === 'FortiFlexAuthError') return true;
  // Storage and socket failures, also when a use case wrapped them (as `cause`).
  for (let e: Described | undefined = top, depth = 0; e && depth < 4; depth += 1) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
    if (e.name === 'RestError') {
      const status = e.statusCode;
      return typeof status !== 'number' || status >= 500 || status === 408 || status === 429;
    }
    e = typeof e.cause === 'object' && e.cause !== null ? (e.cause as Described) : undefined;
  }
  return false;
}
