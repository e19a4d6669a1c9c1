/**
 * The scale webhook use case: turns an HTTP delivery into one `scaler-work` message, or a 4xx answer that
 * changes nothing. Three payloads are accepted:
 * - Azure Monitor common alert schema: `Fired` scales out by one, `Resolved` scales in by one; the alert
 *   rule name must be listed in the pool's `triggers.alertRules` exactly (or its `alertRuleID`, an ARM id,
 *   case-insensitively), else 403.
 * - Azure autoscale notifications: `operation` "Scale Out"/"Scale In", `context.newCapacity` becomes the
 *   desired size; `context.resourceId` must be listed in `triggers.autoscaleResourceIds` (case-insensitive).
 * - Generic JSON `{ "desired": N }` or `{ "delta": ±N }` (optional `id`, `reason`), which must carry
 *   `X-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body bytes keyed by the UTF-8 bytes of the HMAC key.
 *   The prefix is exactly `sha256=` (lower case) followed by exactly 64 hex digits (either case: they
 *   denote the same 32 bytes); anything else is a 401. An empty key counts as not configured.
 *
 * Duplicate deliveries (same alert id + condition + fired time; same autoscale resource + operation +
 * timestamp + new capacity; same generic `id`, or, without one, the same content) answer 200 `duplicate`.
 * A generic body without `id` is identified by what it says (change and reason), not by its bytes: a
 * whitespace, key-order or escaping variant of one signed body is the same event and acts once, and two
 * intended steps must carry different ids. Dedupe keys are remembered for {@link DEDUPE_TTL_MS}; a signed
 * body replayed after that acts again (the signature carries no time).
 *
 * A delivery whose message could not be queued answers 503 (Azure Monitor retries it) and is recorded as
 * unsent, so its retry is queued instead of being taken for a duplicate.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Pool } from '../lib/rules';
import { declaresMoreThan } from './http-body';
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

/** Reads the HMAC key: Key Vault secret `WEBHOOK_HMAC_SECRET` when configured, else `WEBHOOK_HMAC_KEY`. */
export async function resolveHmacKey(
  deps: Pick<PoolDeps, 'settings' | 'secrets'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const secretName = deps.settings?.webhookHmacSecret;
  // An empty key would let anyone sign: it counts as not configured.
  if (deps.settings?.keyVaultUrl && secretName && deps.secrets) {
    const key = await deps.secrets.get(secretName);
    return key ? key : undefined;
  }
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
    if (
      declaresMoreThan(delivery.contentLength, MAX_WEBHOOK_BYTES) ||
      delivery.body.byteLength > MAX_WEBHOOK_BYTES
    ) {
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
      // Fatal decoding: invalid UTF-8 is a bad body, not something to repair into U+FFFD.
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(delivery.body)) as unknown;
    } catch {
      throw new WebhookRejection(400, 'body: expected UTF-8 JSON', '');
    }
    const request = await parseDelivery(deps, pool, body, delivery, options);
    const now = deps.now();
    const message: ScaleMessage = {
      v: 1,
      kind: 'scale',
      pool: pool.name,
      change: request.change,
      source: request.source,
      reason: request.reason,
      // The worker dedupes on it too; a long key is hashed rather than cut (a cut key could collide).
      eventKey: request.eventKey.length <= 500 ? request.eventKey : `sha256|${sha256(request.eventKey)}`,
      receivedAt: now.toISOString(),
    };
    const queued = await queueOnce(deps, `scale:${pool.name}:${sha256(request.eventKey)}`, message, now);
    if (!queued) return { status: 200, body: { status: 'duplicate' } };
    return { status: 202, body: { status: 'queued', pool: pool.name, change: request.change } };
  } catch (error) {
    if (error instanceof WebhookRejection) return error.toResponse();
    throw error;
  }
}

/** Sends of one event after earlier ones failed to queue (Azure Monitor makes at most 6 attempts). */
const MAX_QUEUE_ATTEMPTS = 8;

/**
 * Queues `message` unless its event was queued before. Each attempt of an event takes a slot with
 * insert-if-absent; an attempt whose send fails marks its slot unsent, and the next delivery of the event
 * then takes the next slot. Returns false for a duplicate. A send failure is rethrown (answered 503).
 */
async function queueOnce(
  deps: Pick<PoolDeps, 'store' | 'now'>,
  baseKey: string,
  message: ScaleMessage,
  now: Date,
): Promise<boolean> {
  const { events, queue } = deps.store;
  for (let attempt = 0; attempt < MAX_QUEUE_ATTEMPTS; attempt += 1) {
    const key = attempt === 0 ? baseKey : `${baseKey}#${attempt}`;
    if (await events.remember(key, DEDUPE_TTL_MS, now)) {
      try {
        await queue.send(message);
      } catch (error) {
        // Best effort: when even this write fails, the retry is taken for a duplicate (storage is down).
        await events.remember(`${key}:unsent`, DEDUPE_TTL_MS, new Date()).catch(() => undefined);
        throw error;
      }
      return true;
    }
    // Seen before: a duplicate unless that attempt recorded that it could not queue. The probe leaves a
    // row that expires a millisecond later when there was none; unsent marks and probes use the wall clock
    // so that a later probe always finds an earlier probe expired. (Two probes within one millisecond may
    // queue the event twice; the worker applies one event once.)
    const unsent = !(await events.remember(`${key}:unsent`, 1, new Date()));
    if (!unsent) return false;
  }
  return false;
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
