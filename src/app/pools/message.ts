/**
 * The `scaler-work` queue message: what the webhook, a claim release and the CLI ask the pool worker to do,
 * its schema, and its validation. Messages are JSON; the worker rejects a malformed one by name of the first
 * bad field.
 */
import { z } from 'zod';
import { InvalidRequestError } from '../errors';

/** Queue the webhook, the claim release and the CLI write to; the pool worker reads it. */
export const SCALE_QUEUE = 'scaler-work';

/** Largest pool size a message may ask for. */
export const MAX_DESIRED = 1000;

/** Where a scale request came from. */
export type ScaleSource =
  | 'alert'
  | 'autoscale'
  | 'generic'
  | 'cli'
  | 'release'
  | 'sweep'
  /** A scale-set resource event (Event Grid). */
  | 'event'
  /** A delivery waiting for a FortiGate to boot (a delayed retry). */
  | 'delivery';

/** A requested capacity change: an absolute size or a relative step. */
export type CapacityChange = { desired: number } | { delta: number };

/**
 * A `scaler-work` message (JSON). `scale` changes the pool's size then settles it; `settle` only runs due
 * releases and enforces the bounds in force (sent after a claim is released); `sync` runs the pool's
 * licence delivery (`sync.ts`: discover, license, confirm, adopt, release), sent by Event Grid events and,
 * delayed by a visibility timeout, as the retry of deliveries whose FortiGate is not reachable yet.
 */
export type ScaleMessage =
  | {
      v: 1;
      kind: 'scale';
      pool: string;
      change: CapacityChange;
      source: ScaleSource;
      reason: string;
      eventKey?: string;
      receivedAt: string;
    }
  | { v: 1; kind: 'settle'; pool: string; source: ScaleSource; reason: string; receivedAt: string }
  | {
      v: 1;
      kind: 'sync';
      pool: string;
      source: ScaleSource;
      reason: string;
      receivedAt: string;
      /** Part of the delivery retry chain: the sync it runs may schedule the next retry. */
      retry?: boolean;
    };

const sourceSchema = z.enum([
  'alert',
  'autoscale',
  'generic',
  'cli',
  'release',
  'sweep',
  'event',
  'delivery',
]);
const messageSchema = z.discriminatedUnion('kind', [
  z.object({
    v: z.literal(1),
    kind: z.literal('scale'),
    pool: z.string().min(1).max(200),
    change: z.union([
      z.strictObject({ desired: z.number().int().min(0).max(MAX_DESIRED) }),
      z.strictObject({ delta: z.number().int().min(-MAX_DESIRED).max(MAX_DESIRED) }),
    ]),
    source: sourceSchema,
    reason: z.string().max(500),
    eventKey: z.string().min(1).max(500).optional(),
    receivedAt: z.string().max(100),
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal('settle'),
    pool: z.string().min(1).max(200),
    source: sourceSchema,
    reason: z.string().max(500),
    receivedAt: z.string().max(100),
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal('sync'),
    pool: z.string().min(1).max(200),
    source: sourceSchema,
    reason: z.string().max(500),
    receivedAt: z.string().max(100),
    retry: z.boolean().optional(),
  }),
]);

/** Thrown for a queue message that can never be processed. */
export class InvalidScaleMessageError extends InvalidRequestError {
  override readonly name = 'InvalidScaleMessageError';
}

/**
 * Validates a queue message. The Functions host hands over parsed JSON; a raw string is parsed here.
 * Throws {@link InvalidScaleMessageError} naming the first bad field.
 */
export function parseScaleMessage(value: unknown): ScaleMessage {
  let input = value;
  if (typeof input === 'string') {
    try {
      input = JSON.parse(input) as unknown;
    } catch {
      throw new InvalidScaleMessageError('message: not JSON; expected a scaler-work message object');
    }
  }
  const result = messageSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.length ? issue.path.join('.') : 'message';
    throw new InvalidScaleMessageError(`${path}: ${issue.message}`);
  }
  return result.data as ScaleMessage;
}

/** A `settle` message for `pool`: run due releases and enforce the bounds in force. */
export function settleMessage(pool: string, source: ScaleSource, reason: string, now: Date): ScaleMessage {
  return { v: 1, kind: 'settle', pool, source, reason, receivedAt: now.toISOString() };
}

/** A `sync` message for `pool`: run its licence delivery (`retry` for the delayed retry chain). */
export function syncMessage(
  pool: string,
  source: ScaleSource,
  reason: string,
  now: Date,
  retry = false,
): ScaleMessage {
  return {
    v: 1,
    kind: 'sync',
    pool,
    source,
    reason: reason.slice(0, 500),
    receivedAt: now.toISOString(),
    ...(retry && { retry }),
  };
}
