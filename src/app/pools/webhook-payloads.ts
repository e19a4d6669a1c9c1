/**
 * The payloads the scale webhook accepts, validated into one {@link ScaleRequest} each (see `webhook.ts` for
 * the rules), and the HMAC signature of generic bodies. Pure: no storage, no policy loading.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Pool } from '../../lib/rules';
import { MAX_DESIRED, type CapacityChange, type ScaleSource } from './message';

/** An HTTP answer of the webhook. */
export interface WebhookResponse {
  status: number;
  body: Record<string, unknown>;
}

/** A validated scale request, before it is queued. */
export interface ScaleRequest {
  source: Exclude<ScaleSource, 'cli' | 'release' | 'sweep'>;
  change: CapacityChange;
  /** Deduplication identity of the delivery. */
  eventKey: string;
  reason: string;
}

/**
 * A rejected delivery: HTTP status plus a one-line message (and the field path for 400). It never leaves the
 * webhook use case, which answers it as is.
 */
export class WebhookRejection extends Error {
  override readonly name = 'WebhookRejection';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 413,
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }

  /** The JSON answer for this rejection. */
  toResponse(): WebhookResponse {
    return {
      status: this.status,
      body: { error: this.message, ...(this.path !== undefined ? { path: this.path } : {}) },
    };
  }
}

const text = (max: number) =>
  z.string({ error: 'expected a string' }).min(1, { error: 'expected a non-empty string' }).max(max);

const alertSchema = z.object({
  schemaId: z.literal('azureMonitorCommonAlertSchema', { error: 'expected "azureMonitorCommonAlertSchema"' }),
  data: z.object(
    {
      essentials: z.object(
        {
          alertId: text(1000),
          alertRule: text(1000),
          alertRuleID: text(2000).optional(),
          monitorCondition: z.enum(['Fired', 'Resolved'], { error: 'expected "Fired" or "Resolved"' }),
          firedDateTime: text(100),
        },
        { error: 'expected an object' },
      ),
    },
    { error: 'expected an object' },
  ),
});

const capacityValue = z.union(
  [
    z.number().int().min(0).max(MAX_DESIRED),
    z
      .string()
      .regex(/^\d{1,4}$/)
      .transform(Number)
      .pipe(z.number().max(MAX_DESIRED)),
  ],
  { error: `expected a whole number 0..${MAX_DESIRED} (number or numeric string)` },
);

const autoscaleSchema = z.object({
  operation: z.enum(['Scale Out', 'Scale In'], { error: 'expected "Scale Out" or "Scale In"' }),
  context: z.object(
    {
      resourceId: text(2000),
      timestamp: text(100),
      newCapacity: capacityValue,
      oldCapacity: capacityValue.optional(),
    },
    { error: 'expected an object' },
  ),
});

const genericSchema = z
  .strictObject(
    {
      desired: z.number({ error: 'expected a whole number' }).int().min(0).max(MAX_DESIRED).optional(),
      delta: z
        .number({ error: 'expected a whole number' })
        .int()
        .min(-MAX_DESIRED)
        .max(MAX_DESIRED)
        .refine((value) => value !== 0, { error: 'expected a non-zero whole number' })
        .optional(),
      id: text(200).optional(),
      reason: z.string().max(200).optional(),
    },
    { error: 'unknown field; expected desired or delta, with optional id and reason' },
  )
  .refine((value) => (value.desired === undefined) !== (value.delta === undefined), {
    error: 'expected exactly one of desired (N >= 0) or delta (±N)',
  });

function reject400(error: z.ZodError): never {
  const issue = error.issues[0]!;
  const path = issue.path.map(String).join('.');
  throw new WebhookRejection(400, `${path || 'body'}: ${issue.message}`, path);
}

/** Hex SHA-256 of `value`. */
export const sha256 = (value: string | Uint8Array): string =>
  createHash('sha256').update(value).digest('hex');

/** Computes the `X-Signature` header value for `body` (what a generic sender must send). */
export function signBody(body: Uint8Array | string, key: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/**
 * Verifies `X-Signature: sha256=<hex>` over the raw body. The header's form is checked first (it is public);
 * the 32 digest bytes are then compared in constant time, always at full length. An empty key verifies
 * nothing.
 */
export function verifySignature(body: Uint8Array, header: string | null | undefined, key: string): boolean {
  if (key.length === 0) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec((header ?? '').trim());
  if (!match) return false;
  const expected = createHmac('sha256', key).update(body).digest();
  return timingSafeEqual(Buffer.from(match[1]!, 'hex'), expected);
}

/** Which payload family a parsed body belongs to, or undefined when none fits. */
export function classifyPayload(body: unknown): 'alert' | 'autoscale' | 'generic' | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  if ('schemaId' in body) return 'alert';
  if ('operation' in body || 'context' in body) return 'autoscale';
  if ('desired' in body || 'delta' in body) return 'generic';
  return undefined;
}

/** ARM ids are case-insensitive (Azure sends them lower-cased in alerts, mixed case elsewhere). */
const listedId = (list: readonly string[], value: string | undefined): boolean =>
  value !== undefined && list.some((entry) => entry.toLowerCase() === value.toLowerCase());

/** Rule names are matched exactly: a look-alike name is another rule. */
const listedName = (list: readonly string[], value: string): boolean => list.includes(value);

/** Validates an alert for `pool`; throws 400/403 rejections. */
export function parseAlert(body: unknown, pool: Pool): ScaleRequest {
  const parsed = alertSchema.safeParse(body);
  if (!parsed.success) reject400(parsed.error);
  const e = parsed.data.data.essentials;
  if (
    !listedName(pool.triggers.alertRules, e.alertRule) &&
    !listedId(pool.triggers.alertRules, e.alertRuleID)
  ) {
    throw new WebhookRejection(
      403,
      `alert rule "${e.alertRule}" is not listed in pool "${pool.name}" triggers.alertRules`,
    );
  }
  const fired = e.monitorCondition === 'Fired';
  return {
    source: 'alert',
    change: { delta: fired ? 1 : -1 },
    eventKey: `alert|${e.alertId.toLowerCase()}|${e.monitorCondition}|${e.firedDateTime}`,
    reason: `alert ${e.alertRule} ${e.monitorCondition}`,
  };
}

/** Validates an autoscale notification for `pool`; throws 400/403 rejections. */
export function parseAutoscale(body: unknown, pool: Pool): ScaleRequest {
  const parsed = autoscaleSchema.safeParse(body);
  if (!parsed.success) reject400(parsed.error);
  const { operation, context } = parsed.data;
  if (!listedId(pool.triggers.autoscaleResourceIds, context.resourceId)) {
    throw new WebhookRejection(
      403,
      `resource is not listed in pool "${pool.name}" triggers.autoscaleResourceIds`,
    );
  }
  return {
    source: 'autoscale',
    change: { desired: context.newCapacity },
    eventKey: `autoscale|${context.resourceId.toLowerCase()}|${operation}|${context.timestamp}|${context.newCapacity}`,
    reason: `autoscale ${operation} to ${context.newCapacity}`,
  };
}

/**
 * Validates a generic body whose signature was already checked; throws 400 rejections. `raw` is kept for
 * compatibility: the dedupe identity without an `id` is the parsed content, so serialisation variants of
 * one event share it.
 */
export function parseGeneric(body: unknown, _raw?: Uint8Array): ScaleRequest {
  const parsed = genericSchema.safeParse(body);
  if (!parsed.success) reject400(parsed.error);
  const { desired, delta, id, reason } = parsed.data;
  const change: CapacityChange = desired !== undefined ? { desired } : { delta: delta! };
  // Fixed key order: the same content always gives the same key, however the sender serialised it.
  const content = JSON.stringify({ desired: desired ?? null, delta: delta ?? null, reason: reason ?? null });
  return {
    source: 'generic',
    change,
    eventKey: id !== undefined ? `generic|id|${id}` : `generic|content|${sha256(content)}`,
    reason: reason
      ? `webhook: ${reason}`
      : `webhook ${'desired' in change ? `desired ${desired}` : `delta ${delta}`}`,
  };
}
