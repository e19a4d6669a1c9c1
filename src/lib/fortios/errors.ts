/**
 * The FortiOS client's one error class. Callers branch on {@link FortiOsError.code}, a small vocabulary
 * chosen by what the caller should do next:
 *
 * | code                   | meaning                                                              | what to do                        |
 * | ---------------------- | -------------------------------------------------------------------- | --------------------------------- |
 * | `unreachable`          | connection refused, reset, or no answer in time                      | retry later (booting, rebooting)  |
 * | `unauthorized`         | HTTP 401: the API key was refused                                    | fix the key; do not retry fast    |
 * | `blocked`              | HTTP 429: this source address is locked out after failed logins      | wait minutes, fix the key         |
 * | `forbidden`            | HTTP 403: the API user's profile lacks the permission                | fix the admin profile             |
 * | `tokenRejected`        | `vmlicense/download` refused the licence token (not "already used")  | check the entitlement, new token  |
 * | `certificateMismatch`  | TOFU: the certificate is not the pinned one                          | investigate; re-pin deliberately  |
 * | `certificateUntrusted` | CA mode: the certificate does not verify against the CA              | fix the CA or the device          |
 * | `badResponse`          | not a FortiOS answer: not JSON, missing fields, unknown API (404)    | report; retrying will not help    |
 * | `serverError`          | HTTP 5xx or 424 other than a refused token (e.g. FortiCare down)     | retry later                       |
 * | `aborted`              | the caller's AbortSignal fired                                       | nothing                           |
 *
 * A reused licence token ("License Token is already used") is not an error: `downloadVmLicense` returns it
 * as its own outcome, because after a lost reply it usually means the FortiGate already took the token.
 *
 * Messages are one line and are built from the operation, the address, HTTP statuses, system error codes
 * and FortiOS's own short error text passed through {@link redactSecrets} with the API key and the licence
 * token; the `cause`, when present, is a fresh error carrying only such a redacted message and a code. No
 * request header, body or option object is ever attached to an error.
 */
import { redactSecrets } from '../fortiflex';

/** What went wrong, by what the caller should do about it (see the table above). */
export type FortiOsErrorCode =
  | 'unreachable'
  | 'unauthorized'
  | 'blocked'
  | 'forbidden'
  | 'tokenRejected'
  | 'certificateMismatch'
  | 'certificateUntrusted'
  | 'badResponse'
  | 'serverError'
  | 'aborted';

/** Codes for which the same request may succeed later without anything being fixed. */
const RETRYABLE: ReadonlySet<FortiOsErrorCode> = new Set(['unreachable', 'serverError', 'blocked']);

/** Facts attached to a {@link FortiOsError}. */
export interface FortiOsErrorDetails {
  /** HTTP status of the answer (the body's `http_status` when it overrides a 200), when there was one. */
  httpStatus?: number;
  /**
   * True when the request may have reached the FortiGate (it was written on an open connection), so a
   * licence download may have been applied although no answer arrived. False when the connection or the
   * certificate check failed first: nothing, not even the API key, was sent.
   */
  requestSent?: boolean;
  /** System or TLS error code (`ECONNREFUSED`, `ETIMEDOUT`, `DEPTH_ZERO_SELF_SIGNED_CERT`), when known. */
  systemCode?: string;
  /** The certificate's SHA-256 fingerprint seen on this connection (TLS only). */
  observedFingerprint?: string;
  /** The pinned fingerprint the certificate failed to match (`certificateMismatch`). */
  expectedFingerprint?: string;
  /** A redacted underlying error. */
  cause?: Error;
}

/** A failed FortiOS REST call. */
export class FortiOsError extends Error {
  override readonly name = 'FortiOsError';
  /** What went wrong; see the class documentation. */
  readonly code: FortiOsErrorCode;
  /** The call, e.g. `system/status`, `vmlicense/download`. */
  readonly operation: string;
  /** `address:port` of the FortiGate. */
  readonly target: string;
  /** Whether repeating the request later may succeed (`unreachable`, `serverError`, `blocked`). */
  readonly retryable: boolean;
  /** The message without the `operation target:` prefix. */
  readonly detail: string;
  readonly httpStatus: number | undefined;
  readonly requestSent: boolean;
  readonly systemCode: string | undefined;
  readonly observedFingerprint: string | undefined;
  readonly expectedFingerprint: string | undefined;

  constructor(
    code: FortiOsErrorCode,
    operation: string,
    target: string,
    detail: string,
    details: FortiOsErrorDetails = {},
  ) {
    super(
      `${operation} ${target}: ${detail}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.code = code;
    this.operation = operation;
    this.target = target;
    this.detail = detail;
    this.retryable = RETRYABLE.has(code);
    this.httpStatus = details.httpStatus;
    this.requestSent = details.requestSent ?? false;
    this.systemCode = details.systemCode;
    this.observedFingerprint = details.observedFingerprint;
    this.expectedFingerprint = details.expectedFingerprint;
  }
}

/** True for an error thrown by the FortiOS client (checks `name` too, so it survives duplicate module copies). */
export function isFortiOsError(value: unknown): value is FortiOsError {
  return (
    value instanceof FortiOsError ||
    (value instanceof Error && value.name === 'FortiOsError' && 'code' in value && 'operation' in value)
  );
}

/** Longest piece of FortiOS's own error text kept in a message. */
const MAX_QUOTED = 160;

/** FortiOS error text made safe for a message: one line, bounded, with every given secret replaced. */
export function quoteRemote(text: string, secrets: readonly string[]): string {
  const line = redactSecrets(text, secrets).replace(/\s+/g, ' ').trim();
  return line.length > MAX_QUOTED ? `${line.slice(0, MAX_QUOTED)}…` : line;
}

/**
 * A cause that is safe to keep: the original's message redacted and cut to one line, its system code
 * copied, nothing else (Node's errors can carry raw packets, addresses and options).
 */
export function safeCause(error: unknown, secrets: readonly string[]): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const cause = new Error(quoteRemote(original.message, secrets));
  cause.name = original.name === 'Error' ? 'Error' : original.name.replace(/[^A-Za-z]/g, '') || 'Error';
  const code = (original as { code?: unknown }).code;
  if (typeof code === 'string') (cause as { code?: string }).code = code;
  return cause;
}
