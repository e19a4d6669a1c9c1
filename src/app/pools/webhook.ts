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
import { declaresMoreThan } from '../../lib/http-body';
import type { Pool } from '../../lib/rules';
import type { SecretReader } from '../../lib/secrets';
import type { Settings } from '../settings';
import type { PoolDeps } from './deps';
import type { ScaleMessage } from './message';
import { findPool, UnknownPoolError } from './records';
import {
  classifyPayload,
  parseAlert,
  parseAutoscale,
  parseGeneric,
  sha256,
  verifySignature,
  WebhookRejection,
  type ScaleRequest,
  type WebhookResponse,
} from './webhook-payloads';

export type { WebhookResponse } from './webhook-payloads';

/** Largest accepted body, in bytes. */
export const MAX_WEBHOOK_BYTES = 64 * 1024;

/** How long a delivery is remembered for deduplication. */
export const DEDUPE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Reads the HMAC key: the Key Vault secret named by `WEBHOOK_HMAC_SECRET` when Key Vault is configured, else
 * the `WEBHOOK_HMAC_KEY` setting. An empty key would let anyone sign: it counts as not configured.
 */
export async function resolveHmacKey(source: {
  settings: Pick<Settings, 'keyVaultUrl' | 'webhookHmacSecret' | 'webhookHmacKey'>;
  secrets?: SecretReader;
}): Promise<string | undefined> {
  const { keyVaultUrl, webhookHmacSecret, webhookHmacKey } = source.settings;
  if (keyVaultUrl && webhookHmacSecret && source.secrets) {
    const key = await source.secrets.get(webhookHmacSecret);
    return key ? key : undefined;
  }
  const local = webhookHmacKey?.reveal();
  return local ? local : undefined;
}

/** One webhook delivery as the HTTP adapter sees it. */
export interface WebhookDelivery {
  pool: string;
  body: Uint8Array;
  contentLength?: string | null;
  signature?: string | null;
}

/**
 * Validates, authenticates and deduplicates one delivery, then queues it. Every 4xx answer is decided
 * before anything is written.
 */
export async function handleScaleWebhook(
  deps: PoolDeps,
  delivery: WebhookDelivery,
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
    const request = await parseDelivery(deps, pool, body, delivery);
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
 * insert-if-absent on its dedupe key before it sends, so of any number of concurrent identical deliveries
 * exactly one sends; an attempt whose send fails marks its slot unsent, and the next delivery of the event
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
        await events.remember(`${key}:unsent`, DEDUPE_TTL_MS, now).catch(() => undefined);
        throw error;
      }
      return true;
    }
    // Seen before: a duplicate unless that attempt recorded that it could not queue. Only a read: a probe
    // that wrote would race with the probes of other duplicates.
    if (!(await events.has(`${key}:unsent`, now))) return false;
  }
  return false;
}

async function parseDelivery(
  deps: PoolDeps,
  pool: Pool,
  body: unknown,
  delivery: WebhookDelivery,
): Promise<ScaleRequest> {
  switch (classifyPayload(body)) {
    case 'alert':
      return parseAlert(body, pool);
    case 'autoscale':
      return parseAutoscale(body, pool);
    case 'generic': {
      if (!delivery.signature) throw new WebhookRejection(401, 'missing X-Signature header');
      const key = await deps.webhookHmacKey?.();
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
