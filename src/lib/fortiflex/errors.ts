/**
 * The FortiFlex client's error hierarchy, organized by what the caller should do about a failure:
 * fix credentials ({@link FortiFlexAuthError}), slow down ({@link FortiFlexRateLimitError}), change the request
 * ({@link FortiFlexApiError}), or try again later ({@link FortiFlexTimeoutError}, {@link FortiFlexNetworkError}).
 *
 * Every message starts with the operation (endpoint path plus the subject, e.g. a serial number) and never
 * contains credentials, tokens or Authorization headers: messages are built from API messages and error codes
 * only, and the client passes them through {@link redactSecrets} with every secret it has seen.
 */

/** Facts shared by every FortiFlex error. */
export interface FortiFlexErrorOptions {
  /** Whether repeating the same request later may succeed. */
  retryable?: boolean;
  /** True when the request may have been processed by the server although no success reply arrived. */
  ambiguous?: boolean;
  /** The underlying error, already free of secrets. */
  cause?: unknown;
}

/** Base class: a failed FortiFlex operation. */
export class FortiFlexError extends Error {
  override readonly name: string = 'FortiFlexError';
  /** Operation that failed, e.g. `entitlements/stop FGVMMLTM26000001`. */
  readonly operation: string;
  /** Whether repeating the same request later may succeed. */
  readonly retryable: boolean;
  /** True when the server may have applied the request although the reply was lost or broken. */
  readonly ambiguous: boolean;
  /** The message without the operation prefix. */
  readonly detail: string;

  constructor(operation: string, detail: string, options: FortiFlexErrorOptions = {}) {
    super(`${operation}: ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.operation = operation;
    this.detail = detail;
    this.retryable = options.retryable ?? false;
    this.ambiguous = options.ambiguous ?? false;
  }
}

/** Credentials or token rejected by the auth server or the API. Fix the credentials; retrying will not help. */
export class FortiFlexAuthError extends FortiFlexError {
  override readonly name = 'FortiFlexAuthError';
  /** HTTP status of the rejecting response, when there was one. */
  readonly httpStatus: number | undefined;
  constructor(
    operation: string,
    detail: string,
    options: FortiFlexErrorOptions & { httpStatus?: number } = {},
  ) {
    super(operation, detail, { ...options, retryable: false });
    this.httpStatus = options.httpStatus;
  }
}

/** The API (HTTP 429 or envelope codes -10/-11) or the client's own budget refused the request: wait and retry. */
export class FortiFlexRateLimitError extends FortiFlexError {
  override readonly name = 'FortiFlexRateLimitError';
  /** How long the server asked us to wait (Retry-After), in milliseconds; undefined when it did not say. */
  readonly retryAfterMs: number | undefined;
  /** HTTP status of the response. */
  readonly httpStatus: number;
  constructor(operation: string, detail: string, options: { retryAfterMs?: number; httpStatus: number }) {
    // A rate-limited request was refused before processing, so it is never ambiguous.
    super(operation, detail, { retryable: true, ambiguous: false });
    this.retryAfterMs = options.retryAfterMs;
    this.httpStatus = options.httpStatus;
  }
}

/**
 * The API answered with an error: HTTP not 2xx and/or an envelope `status` other than 0. Client errors (4xx,
 * business rejections such as "Unable to update VM from current status.") are final; server errors (5xx) are
 * retryable and ambiguous, because the server may have applied the change before failing.
 */
export class FortiFlexApiError extends FortiFlexError {
  override readonly name = 'FortiFlexApiError';
  /** `error.errorCode` (or the envelope status) from the reply; undefined when the reply had none. */
  readonly errorCode: number | string | undefined;
  /** The API's own message, e.g. "Unable to update VM from current status.". */
  readonly apiMessage: string;
  /** HTTP status of the reply. */
  readonly httpStatus: number;
  constructor(
    operation: string,
    options: FortiFlexErrorOptions & { errorCode?: number | string; apiMessage: string; httpStatus: number },
  ) {
    const code =
      options.errorCode === undefined ? `HTTP ${options.httpStatus}` : `errorCode ${options.errorCode}`;
    super(operation, `${options.apiMessage} (${code})`, options);
    this.errorCode = options.errorCode;
    this.apiMessage = options.apiMessage;
    this.httpStatus = options.httpStatus;
  }
}

/** The server replied with something that is not a FortiFlex envelope (malformed JSON, unexpected shape). */
export class FortiFlexResponseError extends FortiFlexError {
  override readonly name = 'FortiFlexResponseError';
  /** HTTP status of the reply. */
  readonly httpStatus: number;
  constructor(operation: string, detail: string, options: FortiFlexErrorOptions & { httpStatus: number }) {
    super(operation, detail, options);
    this.httpStatus = options.httpStatus;
  }
}

/** An attempt or the whole operation ran out of time. Retryable; ambiguous once the request was sent. */
export class FortiFlexTimeoutError extends FortiFlexError {
  override readonly name = 'FortiFlexTimeoutError';
  /** The budget that ran out, in milliseconds. */
  readonly timeoutMs: number;
  constructor(operation: string, detail: string, options: FortiFlexErrorOptions & { timeoutMs: number }) {
    super(operation, detail, { retryable: true, ...options });
    this.timeoutMs = options.timeoutMs;
  }
}

/** The connection failed (refused, reset, DNS). Retryable; ambiguous unless the connection was never made. */
export class FortiFlexNetworkError extends FortiFlexError {
  override readonly name = 'FortiFlexNetworkError';
  /** System error code such as `ECONNRESET`, when known. */
  readonly code: string | undefined;
  constructor(operation: string, detail: string, options: FortiFlexErrorOptions & { code?: string }) {
    super(operation, detail, { retryable: true, ...options });
    this.code = options.code;
  }
}

/** The caller's AbortSignal fired. Not retried. */
export class FortiFlexAbortError extends FortiFlexError {
  override readonly name = 'FortiFlexAbortError';
  constructor(operation: string) {
    super(operation, 'aborted by the caller', { retryable: false });
  }
}

/** True for any error thrown by the FortiFlex client (checks `name` too, so it survives duplicate module copies). */
export function isFortiFlexError(value: unknown): value is FortiFlexError {
  return (
    value instanceof FortiFlexError ||
    (value instanceof Error && value.name.startsWith('FortiFlex') && 'operation' in value)
  );
}

/**
 * Replaces every occurrence of the given secrets (and any `Bearer …` value) in `text` with `[redacted]`.
 * Secrets shorter than 4 characters are ignored so that trivial strings cannot blank out a message.
 */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  let result = text.replace(/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]');
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join('[redacted]');
  }
  return result;
}
