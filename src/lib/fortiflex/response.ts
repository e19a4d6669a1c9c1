/**
 * Interprets one raw FortiFlex API reply: success envelope, rejected token, rate limit, or a typed error.
 * A request failed when HTTP is not 2xx OR the envelope `status` is not 0 / "success":
 * FortiFlex has been seen to report errors both ways.
 */
import {
  FortiFlexApiError,
  FortiFlexAuthError,
  FortiFlexRateLimitError,
  FortiFlexResponseError,
} from './errors';
import { parseEnvelope } from './parse';
import { parseRetryAfter } from './retry';
import type { RawResponse } from './transport';

/** The outcome of a reply that did not throw. */
export type Interpretation =
  | { kind: 'ok'; envelope: Record<string, unknown> }
  /** The bearer token was refused (HTTP 401 or "Invalid security token."): log in again and resend. */
  | { kind: 'invalidToken'; detail: string };

const RATE_LIMIT_CODES = new Set(['-10', '-11', '-30']);

/**
 * Classifies `raw` for `operation`. Throws {@link FortiFlexRateLimitError}, {@link FortiFlexApiError}
 * (retryable and ambiguous for 5xx), {@link FortiFlexAuthError} (403) or {@link FortiFlexResponseError}
 * (a 2xx reply that is not JSON: the server may have acted, so it is ambiguous).
 */
export function interpretResponse(operation: string, raw: RawResponse, nowMs: number): Interpretation {
  const httpOk = raw.status >= 200 && raw.status < 300;
  let envelope: Record<string, unknown> | undefined;
  try {
    envelope = parseEnvelope(raw.text);
  } catch {
    envelope = undefined;
  }
  const message = typeof envelope?.message === 'string' ? envelope.message : '';
  const errorObject =
    envelope?.error && typeof envelope.error === 'object'
      ? (envelope.error as Record<string, unknown>)
      : undefined;
  const status = envelope?.status;
  const envelopeOk =
    status === undefined || status === null || status === 0 || status === '0' || status === 'success';
  const rawCode = errorObject?.errorCode ?? (envelopeOk ? undefined : status);
  const errorCode =
    typeof rawCode === 'number' || (typeof rawCode === 'string' && rawCode !== '') ? rawCode : undefined;

  if (raw.status === 401 || /invalid security token/i.test(message)) {
    return { kind: 'invalidToken', detail: message || `HTTP ${raw.status}` };
  }
  const statusCode = status === undefined || status === null ? '' : String(status);
  if (
    raw.status === 429 ||
    RATE_LIMIT_CODES.has(statusCode) ||
    (errorCode !== undefined && RATE_LIMIT_CODES.has(String(errorCode))) ||
    /exceed max (requests|error)/i.test(message)
  ) {
    const header = parseRetryAfter(raw.headers.get('retry-after'), nowMs);
    const bodyHint = Number(errorObject?.retryAfter ?? envelope?.retryAfter);
    const retryAfterMs = header ?? (Number.isFinite(bodyHint) && bodyHint >= 0 ? bodyHint * 1000 : undefined);
    return throwing(
      new FortiFlexRateLimitError(
        operation,
        `rate limited${message ? ` (${message})` : ` (HTTP ${raw.status})`}`,
        {
          httpStatus: raw.status,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        },
      ),
    );
  }
  if (envelope === undefined) {
    if (httpOk) {
      throw new FortiFlexResponseError(operation, `malformed reply (HTTP ${raw.status}, not a JSON object)`, {
        httpStatus: raw.status,
        retryable: true,
        ambiguous: true,
      });
    }
    throw new FortiFlexApiError(operation, {
      apiMessage: `HTTP ${raw.status} with a non-JSON body`,
      httpStatus: raw.status,
      retryable: raw.status >= 500,
      ambiguous: raw.status >= 500,
    });
  }
  if (httpOk && envelopeOk) return { kind: 'ok', envelope };

  const apiMessage =
    message || (typeof errorObject?.message === 'string' && errorObject.message) || 'request failed';
  if (raw.status === 403) {
    throw new FortiFlexAuthError(operation, `permission denied: ${apiMessage}`, { httpStatus: raw.status });
  }
  const serverFault = raw.status >= 500;
  throw new FortiFlexApiError(operation, {
    apiMessage,
    httpStatus: raw.status,
    ...(errorCode === undefined ? {} : { errorCode }),
    retryable: serverFault,
    ambiguous: serverFault,
  });
}

function throwing(error: Error): never {
  throw error;
}
