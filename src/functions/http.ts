/**
 * What every trigger shares: the one dependency resolver (the worker's `AppDependencies`, built on first
 * use), size-capped JSON body reading, and the one map from errors to HTTP answers.
 *
 * Error answers (docs/architecture.md §"Errors"): use-case errors answer by what the caller should do
 * (`invalid` 400, `notFound` 404, `conflict` 409, `busy` 503 with `Retry-After`); a transient failure below
 * them (FortiFlex or storage unavailable) answers 503 with `Retry-After`; anything else 500. A 5xx body
 * carries a short reason and the invocation id, never internals: the detail goes to the log under that id.
 *
 * Only `@azure/functions` types and the small error module are loaded when the host indexes the app; the use
 * cases and their SDKs load on the first invocation (`import()` names the emitted `.js` file because Node does
 * not add extensions; TypeScript, vitest and tsx map it back to the source).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { AppDependencies } from '../app/dependencies';
import { AppError, BusyError, InvalidRequestError, isTransient } from '../app/errors';
import { errorMessage } from '../lib/error-message';
import { declaresMoreThan, readAtMost } from '../lib/http-body';

/** Resolves the dependencies for one invocation. */
export type DependencyResolver<T = AppDependencies> = () => Promise<T>;

/** The worker's dependencies from the environment, built once and shared by every invocation. */
export const fromEnvironment: DependencyResolver = async () =>
  (await import('../app/dependencies.js')).getAppDependencies();

/** Seconds a caller is asked to wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5;

/** The request body is over `maxBytes`. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`body larger than ${maxBytes} bytes`);
  }
}

/**
 * Reads the raw body, refusing one over `maxBytes` before it is read (declared length) or while it is read
 * (chunked bodies declare none). Throws {@link BodyTooLargeError}.
 */
export async function readBody(request: HttpRequest, maxBytes: number): Promise<Uint8Array> {
  if (declaresMoreThan(request.headers.get('content-length'), maxBytes))
    throw new BodyTooLargeError(maxBytes);
  const bytes = await readAtMost(request.body, maxBytes);
  if (!bytes) throw new BodyTooLargeError(maxBytes);
  return bytes;
}

/** Decodes UTF-8 JSON (invalid UTF-8 is refused, not repaired); throws a 400 naming `expected`. */
export function parseJson(bytes: Uint8Array, expected: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch {
    throw new InvalidRequestError(`body: expected ${expected}`, '');
  }
}

/** Log-safe form of caller-supplied text: one line, bounded (a pool name may hold anything). */
export function loggable(value: unknown): string {
  return JSON.stringify(String(value)).slice(0, 300);
}

/** Options of {@link errorResponse}. */
export interface ErrorResponseOptions {
  /**
   * Status for failures that are not use-case errors. Default 500; the scale webhook answers 503 because
   * Azure Monitor retries that.
   */
  unexpectedStatus?: 500 | 503;
  /** The short reason a 503 gives. Default "temporarily unable to serve the request; retry". */
  retryReason?: string;
}

/**
 * The HTTP answer for `error`; internal failures are logged as `<what>: <message>` under the invocation id.
 */
export function errorResponse(
  error: unknown,
  context: InvocationContext,
  what: string,
  options: ErrorResponseOptions = {},
): HttpResponseInit {
  if (error instanceof BodyTooLargeError) return { status: 413, jsonBody: { error: error.message } };
  if (error instanceof AppError) {
    const body = { error: error.message };
    switch (error.kind) {
      case 'invalid': {
        const path = error instanceof InvalidRequestError ? error.path : undefined;
        return { status: 400, jsonBody: { ...body, ...(path !== undefined && { path }) } };
      }
      case 'notFound':
        return { status: 404, jsonBody: body };
      case 'conflict':
        return { status: 409, jsonBody: { ...body, ...error.details } };
      case 'busy':
        return retryLater(body, context, error instanceof BusyError ? error.retryAfterSeconds : undefined);
    }
  }
  context.error(`${what}: ${errorMessage(error, 1000)}`);
  if (isTransient(error) || options.unexpectedStatus === 503) {
    return retryLater(
      { error: options.retryReason ?? 'temporarily unable to serve the request; retry' },
      context,
    );
  }
  return { status: 500, jsonBody: { error: 'internal error', invocationId: context.invocationId } };
}

function retryLater(
  body: { error: string },
  context: InvocationContext,
  seconds = RETRY_AFTER_SECONDS,
): HttpResponseInit {
  const retryAfter = seconds > 0 ? Math.ceil(seconds) : RETRY_AFTER_SECONDS;
  return {
    status: 503,
    headers: { 'Retry-After': String(retryAfter) },
    jsonBody: { ...body, invocationId: context.invocationId },
  };
}
