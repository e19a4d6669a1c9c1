/**
 * Keys and names for Azure Tables and Blobs: reversible escaping of the characters table keys forbid,
 * the inverted-time row keys that make audit queries come back newest first, and storage errors.
 */
import { randomBytes } from 'node:crypto';
import { ConcurrencyError } from './types';

/**
 * Escapes what PartitionKey/RowKey forbid (`/ \ # ?`, control characters) plus `%` and `|` (our separator), as
 * `%XX`, so any string maps to a valid key and back.
 */
export function encodeKey(value: string): string {
  // eslint-disable-next-line no-control-regex -- table keys forbid control characters, so they must be escaped
  return value.replace(/[%/\\#?|\u0000-\u001f\u007f-\u009f]/g, (ch) => {
    const code = ch.charCodeAt(0);
    return `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
  });
}

/** Latest representable ECMAScript time, in ms; the inverted key counts down from here. */
const MAX_TIME_MS = 8_640_000_000_000_000;

/** 16-digit key that sorts descending in time (smaller key = later instant). */
export function invertedTime(ms: number): string {
  return String(MAX_TIME_MS - ms).padStart(16, '0');
}

/** Inverted-time row key with a random suffix so rows written in the same millisecond never collide. */
export function invertedTimeKey(ms: number): string {
  return `${invertedTime(ms)}-${randomBytes(4).toString('hex')}`;
}

/** 'YYYY-MM-DD' of an instant, in UTC. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** HTTP status of an Azure SDK error, if any. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Storage error code (`x-ms-error-code`, or the OData code for tables). */
export function codeOf(error: unknown): string | undefined {
  const e = error as {
    code?: unknown;
    details?: { errorCode?: unknown; odataError?: { code?: unknown } };
  } | null;
  const code = e?.code ?? e?.details?.errorCode ?? e?.details?.odataError?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for the statuses a lost conditional write produces. */
export function isConflict(error: unknown): boolean {
  const status = statusOf(error);
  return status === 409 || status === 412;
}

/** Rethrows 409/412 as {@link ConcurrencyError}; anything else unchanged. */
export function concurrency(error: unknown, message: string): never {
  if (isConflict(error)) throw new ConcurrencyError(message, statusOf(error), { cause: error });
  throw error;
}

/** Caches an async initialisation; a failure is not cached, so the next call tries again. */
export function once(init: () => Promise<unknown>): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => {
    pending ??= init().then(
      () => undefined,
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };
}

/** Shortens text for storage, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Drops undefined properties (table entities cannot hold them). */
export function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
