/**
 * The scale webhook use case: turns an HTTP delivery into one `scaler-work` message, or a 4xx answer that
 * changes nothing. Three payloads are accepted:
 * - Azure Monitor common alert schema: `Fired` scales out by one, `Resolved` scales in by one; the alert
 *   rule must be listed in the pool's `triggers.alertRules` (else 403).
 * - Azure autoscale notifications: `operation` "Scale Out"/"Scale In", `context.newCapacity` becomes the
 *   desired size; `context.resourceId` must be listed in `triggers.autoscaleResourceIds` (case-insensitive).
 * - Generic JSON `{ "desired": N }` or `{ "delta": ±N }` (optional `id`, `reason`), which must carry
 *   `X-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body bytes keyed by the UTF-8 bytes of the HMAC key.
 *
 * Duplicate deliveries (same alert id + condition + fired time; same autoscale resource + operation +
 * timestamp + new capacity; same generic `id`, or same body when there is none) answer 200 `duplicate`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Pool } from '../lib/rules';
import { findPool, UnknownPoolError, type PoolDeps } from './pools';
import { MAX_DESIRED, type CapacityChange, type ScaleMessage, type ScaleSource } from './scale';

/** Largest accepted body, in bytes. */
export const MAX_WEBHOOK_BYTES = 64 * 1024;

/** How long a delivery is remembered for deduplication. */
export const DEDUPE_TTL_MS = 24 * 60 * 60 * 1000;

/** Environment variable holding the HMAC key when Key Vault is not configured (local use). */
export const LOCAL_HMAC_KEY_ENV = 'WEBHOOK_HMAC_KEY';

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

/** A rejected delivery: HTTP status plus a one-line message (and the field path for 400). */
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

const sha256 = (value: string | Uint8Array): string => createHash('sha256').update(value).digest('hex');

/** Computes the `X-Signature` header value for `body` (what a generic sender must send). */
export function signBody(body: Uint8Array | string, key: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/** Verifies `X-Signature: sha256=<hex>` over the raw body in constant time. */
export function verifySignature(body: Uint8Array, header: string | null | undefined, key: string): boolean {
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

const listed = (list: readonly string[], value: string | undefined): boolean =>
  value !== undefined && list.some((entry) => entry.toLowerCase() === value.toLowerCase());

/** Validates an alert for `pool`; throws 400/403 rejections. */
export function parseAlert(body: unknown, pool: Pool): ScaleRequest {
  const parsed = alertSchema.safeParse(body);
  if (!parsed.success) reject400(parsed.error);
  const e = parsed.data.data.essentials;
  if (!listed(pool.triggers.alertRules, e.alertRule) && !listed(pool.triggers.alertRules, e.alertRuleID)) {
    throw new WebhookRejection(
      403,
      `alert rule "${e.alertRule}" is not listed in pool "${pool.name}" triggers.alertRules`,
    );
  }
  const fired = e.monitorCondition === 'Fired';
  return {
    source: 'alert',
    change: { delta: fired ? 1 : -1 },
    eventKey: `alert|${e.alertId}|${e.monitorCondition}|${e.firedDateTime}`,
    reason: `alert ${e.alertRule} ${e.monitorCondition}`,
  };
}

/** Validates an autoscale notification for `pool`; throws 400/403 rejections. */
export function parseAutoscale(body: unknown, pool: Pool): ScaleRequest {
  const parsed = autoscaleSchema.safeParse(body);
  if (!parsed.success) reject400(parsed.error);
  const { operation, context } = parsed.data;
  if (!listed(pool.triggers.autoscaleResourceIds, context.resourceId)) {
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

/** Validates a generic body whose signature was already checked; throws 400 rejections. */
export function parseGeneric(body: unknown, raw: Uint8Array): ScaleRequest {
  const parsed = genericSchema.safeParse(body);
  if (!parsed.success) reject400(parsed.error);
  const { desired, delta, id, reason } = parsed.data;
  const change: CapacityChange = desired !== undefined ? { desired } : { delta: delta! };
  return {
    source: 'generic',
    change,
    // Without an id, identical bodies are one delivery: a replayed signed body acts once.
    eventKey: id !== undefined ? `generic|id|${id}` : `generic|body|${sha256(raw)}`,
    reason: reason
      ? `webhook: ${reason}`
      : `webhook ${'desired' in change ? `desired ${desired}` : `delta ${delta}`}`,
  };
}

/** Reads the HMAC key: Key Vault secret `WEBHOOK_HMAC_SECRET` when configured, else `WEBHOOK_HMAC_KEY`. */
export async function resolveHmacKey(
  deps: Pick<PoolDeps, 'settings' | 'secrets'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const secretName = deps.settings?.webhookHmacSecret;
  if (deps.settings?.keyVaultUrl && secretName && deps.secrets) return deps.secrets.get(secretName);
  const local = env[LOCAL_HMAC_KEY_ENV];
  return local ? local : undefined;
}

/** One webhook delivery as the HTTP adapter sees it. */
export interface WebhookDelivery {
  pool: string;
  body: Uint8Array;
  contentLength?: string | null;
  signature?: string | null;
}

/** Options of {@link handleScaleWebhook}. */
export interface WebhookOptions {
  env?: NodeJS.ProcessEnv;
}

/**
 * Validates, authenticates and deduplicates one delivery, then queues it. Every 4xx answer is decided
 * before anything is written.
 */
export async function handleScaleWebhook(
  deps: PoolDeps,
  delivery: WebhookDelivery,
  options: WebhookOptions = {},
): Promise<WebhookResponse> {
  try {
    const declared = Number(delivery.contentLength ?? '0');
    if (declared > MAX_WEBHOOK_BYTES || delivery.body.byteLength > MAX_WEBHOOK_BYTES) {
      throw new WebhookRejection(413, `body larger than ${MAX_WEBHOOK_BYTES} bytes`);
    }
    const policy = await deps.loadPolicy();
    let pool: Pool;
    try {
      pool = findPool(policy, delivery.pool);
    } catch (error) {
      if (error instanceof UnknownPoolError) throw new WebhookRejection(404, error.message);
      throw error;
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(delivery.body).toString('utf8')) as unknown;
    } catch {
      throw new WebhookRejection(400, 'body: not valid JSON', '');
    }
    const request = await parseDelivery(deps, pool, body, delivery, options);
    const now = deps.now();
    const first = await deps.store.events.remember(
      `scale:${pool.name}:${sha256(request.eventKey)}`,
      DEDUPE_TTL_MS,
      now,
    );
    if (!first) return { status: 200, body: { status: 'duplicate' } };
    const message: ScaleMessage = {
      v: 1,
      kind: 'scale',
      pool: pool.name,
      change: request.change,
      source: request.source,
      reason: request.reason,
      eventKey: request.eventKey.slice(0, 500),
      receivedAt: now.toISOString(),
    };
    await deps.store.queue.send(message);
    return { status: 202, body: { status: 'queued', pool: pool.name, change: request.change } };
  } catch (error) {
    if (error instanceof WebhookRejection) return error.toResponse();
    throw error;
  }
}

async function parseDelivery(
  deps: PoolDeps,
  pool: Pool,
  body: unknown,
  delivery: WebhookDelivery,
  options: WebhookOptions,
): Promise<ScaleRequest> {
  switch (classifyPayload(body)) {
    case 'alert':
      return parseAlert(body, pool);
    case 'autoscale':
      return parseAutoscale(body, pool);
    case 'generic': {
      if (!delivery.signature) throw new WebhookRejection(401, 'missing X-Signature header');
      const key = await resolveHmacKey(deps, options.env);
      if (!key) {
        throw new WebhookRejection(401, 'signed webhooks are not configured for this app');
      }
      if (!verifySignature(delivery.body, delivery.signature, key)) {
        throw new WebhookRejection(401, 'X-Signature does not match the body');
      }
      return parseGeneric(body, delivery.body);
    }
    default:
      throw new WebhookRejection(
        400,
        'body: expected an Azure Monitor common alert, an autoscale notification, or {"desired": N} / {"delta": ±N}',
        '',
      );
  }
}
