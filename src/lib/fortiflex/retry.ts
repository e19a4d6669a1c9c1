/**
 * Retry decisions as pure functions, apart from the loops that use them. FortiFlex is all-POST, so what may
 * be retried depends on the operation, not the HTTP verb (see `client.ts` for the per-operation loops).
 */
import { FortiFlexError, FortiFlexRateLimitError } from './errors';

/** Backoff settings, in milliseconds. */
export interface BackoffOptions {
  /** First delay before jitter. */
  baseDelayMs: number;
  /** Upper bound of any computed delay (a server's Retry-After may exceed it, up to `maxRetryAfterMs`). */
  maxDelayMs: number;
  /** Longest Retry-After the client honours; longer requests fail instead of stalling a run. */
  maxRetryAfterMs: number;
}

/** Defaults: 250 ms doubling up to 8 s; Retry-After honoured up to 2 minutes. */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 120_000,
});

/**
 * Delay before retry number `retry` (0-based): exponential backoff with full jitter drawn from `random`, or
 * the server's Retry-After (not jittered: the server named the instant) when the error carries one.
 */
export function retryDelayMs(
  retry: number,
  error: unknown,
  random: () => number,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  if (error instanceof FortiFlexRateLimitError && error.retryAfterMs !== undefined) {
    return Math.min(error.retryAfterMs, options.maxRetryAfterMs);
  }
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/** A fault worth retrying for a read or an idempotent write: transient and reported by the client itself. */
export function isTransient(error: unknown): boolean {
  return error instanceof FortiFlexError && error.retryable;
}

/**
 * Parses a Retry-After header (delta seconds or an HTTP date) into milliseconds from `nowMs`; undefined when
 * absent or unparsable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
