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

/**
 * True when `error` is worth retrying later: a {@link BusyError}, or a lower-layer error that says so itself
 * (the FortiFlex client and the storage layer mark transient failures `retryable`).
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof BusyError) return true;
  return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true;
}
