import fc from 'fast-check';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PoolDeps } from '../../../src/app/pools/deps';
import { classifyPayload, signBody, verifySignature } from '../../../src/app/pools/webhook-payloads';
import {
  handleScaleWebhook,
  MAX_WEBHOOK_BYTES,
  resolveHmacKey,
  type WebhookDelivery,
} from '../../../src/app/pools/webhook';
import { SecretValue } from '../../../src/lib/secrets';
import { alert, autoscale, POOL, SCALE_SET, startPoolWorld, type PoolWorld } from './support';

const KEY = 'test-hmac-key-not-a-real-secret';
const withKey = (key: string | undefined) => ({ webhookHmacKey: async () => key });
const encoder = new TextEncoder();
const bytes = (value: unknown): Uint8Array =>
  encoder.encode(typeof value === 'string' ? value : JSON.stringify(value));

let world: PoolWorld;
beforeAll(async () => {
  world = await startPoolWorld({ seed: { active: 2 } });
});
afterAll(async () => world.stop());

const deliver = (delivery: Partial<WebhookDelivery> & { body: Uint8Array }) =>
  handleScaleWebhook({ ...world.deps, ...withKey(KEY) }, { pool: POOL, ...delivery });

async function drain(): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (let i = 0; i < 10; i += 1) {
    const batch = await world.store.queue.receive(32);
    if (batch.length === 0) break;
    for (const m of batch) {
      bodies.push(m.body);
      await world.store.queue.delete(m);
    }
  }
  return bodies;
}

/** Everything the webhook could change: tables, queues, simulator requests and entitlements. */
async function snapshot() {
  const cs = world.connectionString;
  const rows: Record<string, number> = {};
  for (const table of ['events', 'records', 'claims', 'audit']) {
    const client = TableClient.fromConnectionString(cs, `${world.prefix}${table}`, {
      allowInsecureConnection: true,
    });
    let n = 0;
    try {
      for await (const _ of client.listEntities()) n += 1;
    } catch {
      n = -1; // table not created yet
    }
    rows[table] = n;
  }
  const queue = new QueueClient(cs, world.store.queue.name);
  const peeked = (await queue.exists())
    ? (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length
    : -1;
  return {
    rows,
    peeked,
    sim: world.sim.stats().total,
    entitlements: JSON.stringify(world.sim.entitlements()),
  };
}

describe('signatures', () => {
  it('verifies sha256=<hex> over the raw bytes only', () => {
    const body = bytes({ delta: 1 });
    expect(verifySignature(body, signBody(body, KEY), KEY)).toBe(true);
    expect(verifySignature(body, signBody(body, KEY).toUpperCase().replace('SHA256', 'sha256'), KEY)).toBe(
      true,
    );
    expect(verifySignature(bytes('{"delta": 1}'), signBody(body, KEY), KEY)).toBe(false);
    expect(verifySignature(body, signBody(body, 'other'), KEY)).toBe(false);
    expect(verifySignature(body, undefined, KEY)).toBe(false);
    expect(verifySignature(body, 'sha256=abc', KEY)).toBe(false);
  });

  it('accepts only sha256= plus exactly 64 hex digits, and nothing under an empty key', () => {
    const body = bytes({ delta: 1 });
    const good = signBody(body, KEY);
    const hex = good.slice('sha256='.length);
    const variants = [
      `SHA256=${hex}`,
      `Sha256=${hex}`,
      `sha1=${hex}`,
      `sha256:${hex}`,
      `sha256 = ${hex}`,
      `sha256=${hex.slice(0, 63)}`,
      `sha256=${hex}0`,
      `sha256=${hex.slice(0, 62)}zz`,
      `sha256=${hex.slice(0, 32)} ${hex.slice(32)}`,
      `${good}, ${good}`, // two headers joined by the runtime
      hex,
      '',
    ];
    for (const header of variants) expect(verifySignature(body, header, KEY), header).toBe(false);
    expect(verifySignature(body, good, KEY)).toBe(true);
    expect(verifySignature(body, signBody(body, ''), '')).toBe(false);
  });

  it('rejects every other well-formed signature and every changed body (fuzz)', () => {
    const body = bytes({ desired: 4, id: 'fuzz' });
    const good = signBody(body, KEY).slice('sha256='.length);
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), (hex) => {
        expect(verifySignature(body, `sha256=${hex}`, KEY)).toBe(hex === good);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.nat({ max: body.length * 8 - 1 }), (bit) => {
        const flipped = Uint8Array.from(body);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        expect(verifySignature(flipped, `sha256=${good}`, KEY)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('reads the key from Key Vault when configured and treats an empty secret as no key', async () => {
    const secrets = (value: string) => ({ get: async () => value, invalidate: () => undefined });
    const settings = {
      keyVaultUrl: 'https://kv.example',
      webhookHmacSecret: 'webhook-hmac',
      webhookHmacKey: new SecretValue('x'),
    };
    expect(await resolveHmacKey({ settings, secrets: secrets('kv-key') })).toBe('kv-key');
    expect(await resolveHmacKey({ settings, secrets: secrets('') })).toBe(undefined);
    expect(await resolveHmacKey({ settings: { webhookHmacKey: new SecretValue('') } })).toBe(undefined);
    expect(await resolveHmacKey({ settings: { webhookHmacKey: new SecretValue('local') } })).toBe('local');
  });

  it('classifies the three payload families', () => {
    expect(classifyPayload(alert('Fired'))).toBe('alert');
    expect(classifyPayload(autoscale('Scale Out', 3))).toBe('autoscale');
    expect(classifyPayload({ desired: 3 })).toBe('generic');
    expect(classifyPayload([1])).toBeUndefined();
    expect(classifyPayload({ hello: 1 })).toBeUndefined();
  });
});

describe('handleScaleWebhook', () => {
  it('queues a Fired alert as +1 and a Resolved one as -1, once each', async () => {
    await drain();
    expect(await deliver({ body: bytes(alert('Fired')) })).toMatchObject({
      status: 202,
      body: { change: { delta: 1 } },
    });
    expect(await deliver({ body: bytes(alert('Fired')) })).toEqual({
      status: 200,
      body: { status: 'duplicate' },
    });
    expect(await deliver({ body: bytes(alert('Resolved')) })).toMatchObject({
      status: 202,
      body: { change: { delta: -1 } },
    });
    const queued = await drain();
    expect(queued).toMatchObject([
      { kind: 'scale', pool: POOL, source: 'alert', change: { delta: 1 } },
      { kind: 'scale', pool: POOL, source: 'alert', change: { delta: -1 } },
    ]);
  });

  it('takes newCapacity from autoscale notifications for listed resources, case-insensitively', async () => {
    await drain();
    const body = bytes(autoscale('Scale Out', '4', SCALE_SET.toUpperCase()));
    expect(await deliver({ body })).toMatchObject({ status: 202, body: { change: { desired: 4 } } });
    expect((await deliver({ body })).status).toBe(200);
    expect(await deliver({ body: bytes(autoscale('Scale In', 2, `${SCALE_SET}-other`)) })).toMatchObject({
      status: 403,
    });
    expect(await drain()).toHaveLength(1);
  });

  it('accepts signed generic bodies and acts once per replay', async () => {
    await drain();
    const body = bytes({ desired: 3, id: 'deploy-42' });
    const signature = signBody(body, KEY);
    expect((await deliver({ body, signature })).status).toBe(202);
    expect(await deliver({ body, signature })).toEqual({ status: 200, body: { status: 'duplicate' } });
    expect(await drain()).toMatchObject([{ source: 'generic', change: { desired: 3 } }]);
  });

  it('acts once for whitespace, key-order and escaping variants of one signed body without id', async () => {
    await drain();
    const variants = [
      '{"delta":2,"reason":"deploy"}',
      '{ "delta" : 2 , "reason" : "deploy" }\n',
      '{"reason":"deploy","delta":2}',
      '{"delta":2.0,"reason":"d\\u0065ploy"}',
    ];
    const answers = [];
    for (const text of variants) {
      const body = bytes(text);
      answers.push((await deliver({ body, signature: signBody(body, KEY) })).status);
    }
    expect(answers).toEqual([202, 200, 200, 200]);
    // Another id, or other content, is another event.
    const other = bytes({ delta: 2, reason: 'deploy', id: 'second-step' });
    expect((await deliver({ body: other, signature: signBody(other, KEY) })).status).toBe(202);
    expect(await drain()).toHaveLength(2);
  });

  it('queues the retry of a delivery that could not be queued, then answers duplicate', async () => {
    await drain();
    let failures = 1;
    const flaky: PoolDeps = {
      ...world.deps,
      store: {
        ...world.deps.store,
        queue: {
          ...world.deps.store.queue,
          send: (message: unknown) =>
            failures-- > 0
              ? Promise.reject(new Error('queue unavailable'))
              : world.deps.store.queue.send(message),
        },
      },
    };
    const body = bytes(alert('Fired', 'fgt-cpu-high', '2026-03-05T10:00:00Z'));
    const send = () => handleScaleWebhook({ ...flaky, ...withKey(KEY) }, { pool: POOL, body });
    await expect(send()).rejects.toThrow('queue unavailable');
    expect((await send()).status).toBe(202);
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    expect(await drain()).toMatchObject([{ source: 'alert', change: { delta: 1 } }]);
  });

  it('queues exactly one message for concurrent identical deliveries', async () => {
    await drain();
    const body = bytes(alert('Fired', 'fgt-cpu-high', '2026-03-06T09:30:00Z'));
    // Azure Monitor and its retries, or two action groups: the same alert at the same instant, at once.
    const answers = await Promise.all(Array.from({ length: 12 }, () => deliver({ body })));
    expect(answers.map((a) => a.status).sort()).toEqual([
      200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 202,
    ]);
    expect(await drain()).toHaveLength(1);
    // Later duplicates are still duplicates.
    expect((await deliver({ body })).status).toBe(200);
    expect(await drain()).toHaveLength(0);
  });

  it('matches alert rule names exactly and never lists the allowed rules in answers', async () => {
    for (const rule of ['FGT-CPU-HIGH', ' fgt-cpu-high', 'fgt-cpu-high ', 'fgt-cpu-hig']) {
      const answer = await deliver({ body: bytes(alert('Fired', rule)) });
      expect(answer.status, rule).toBe(403);
      expect(JSON.stringify(answer.body)).not.toContain('"fgt-cpu-high"');
    }
    const resource = await deliver({ body: bytes(autoscale('Scale Out', 3, `${SCALE_SET}x`)) });
    expect(resource.status).toBe(403);
    expect(JSON.stringify(resource.body).toLowerCase()).not.toContain(SCALE_SET.toLowerCase());
    const unknown = await deliver({ body: bytes(alert('Fired')), pool: 'nope' });
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(unknown.body)).not.toMatch(/vmss-fgt|fgt-cpu-high|2200/);
  });

  it('answers 400 for bodies that are not UTF-8 JSON, changing nothing', async () => {
    await drain();
    const before = await snapshot();
    // Signed, and valid JSON once the stray byte is repaired to U+FFFD: still not UTF-8, so still a 400.
    const invalidUtf8 = Uint8Array.from([...bytes('{"desired":1,"reason":"'), 0xff, ...bytes('"}')]);
    expect(await deliver({ body: invalidUtf8, signature: signBody(invalidUtf8, KEY) })).toMatchObject({
      status: 400,
      body: { path: '' },
    });
    expect(await deliver({ body: bytes('{"delta": 1') })).toMatchObject({ status: 400, body: { path: '' } });
    expect(await deliver({ body: bytes('') })).toMatchObject({ status: 400 });
    expect(await snapshot()).toEqual(before);
  });

  it('answers each bad delivery with the right 4xx', async () => {
    const body = bytes({ delta: 2 });
    expect(await deliver({ body })).toMatchObject({ status: 401 });
    expect(await deliver({ body, signature: signBody(body, 'wrong') })).toMatchObject({ status: 401 });
    const noKey = await handleScaleWebhook(
      { ...world.deps, ...withKey(undefined) },
      { pool: POOL, body, signature: signBody(body, KEY) },
    );
    expect(noKey.status).toBe(401);
    const invalid = bytes({ delta: 0 });
    expect(await deliver({ body: invalid, signature: signBody(invalid, KEY) })).toMatchObject({
      status: 400,
      body: { path: 'delta' },
    });
    const badCondition = alert('Fired') as { data: { essentials: Record<string, unknown> } };
    badCondition.data.essentials.monitorCondition = 'Maybe';
    expect(await deliver({ body: bytes(badCondition) })).toMatchObject({
      status: 400,
      body: { path: 'data.essentials.monitorCondition' },
    });
    expect(await deliver({ body: bytes(alert('Fired', 'some-other-rule')) })).toMatchObject({ status: 403 });
    expect(await deliver({ body: bytes(alert('Fired')), pool: 'nope' })).toMatchObject({ status: 404 });
    expect(await deliver({ body: new Uint8Array(MAX_WEBHOOK_BYTES + 1) })).toMatchObject({ status: 413 });
    expect(await deliver({ body: bytes({}), contentLength: String(MAX_WEBHOOK_BYTES + 1) })).toMatchObject({
      status: 413,
    });
    expect(await deliver({ body: bytes('not json') })).toMatchObject({ status: 400, body: { path: '' } });
  });

  it('never changes state or calls FortiFlex for malformed, oversized or wrongly signed bodies (fuzz)', async () => {
    await drain();
    const before = await snapshot();
    const json = fc.jsonValue({ maxDepth: 4 });
    const arbitraryDelivery = fc.oneof(
      // Anything at all, as bytes.
      fc.uint8Array({ maxLength: 512 }).map((body) => ({ body, pool: POOL })),
      // Random JSON, maybe with a random signature.
      fc
        .tuple(json, fc.option(fc.string()))
        .map(([value, sig]) => ({ body: bytes(value), signature: sig ?? undefined })),
      // Generic bodies that are signed with the wrong key or not at all, or tampered after signing.
      fc
        .tuple(fc.integer({ min: -5, max: 5 }), fc.constantFrom('wrong', 'none', 'tampered'))
        .map(([delta, how]) => {
          const body = bytes({ delta });
          const signature =
            how === 'wrong'
              ? signBody(body, 'not-the-key')
              : how === 'tampered'
                ? signBody(bytes({ delta: delta + 1 }), KEY)
                : undefined;
          return { body, signature };
        }),
      // Alerts with an unlisted rule or a field of the wrong type (never a valid delivery).
      fc
        .tuple(fc.constantFrom('alertRule', 'monitorCondition', 'firedDateTime', 'alertId'), json)
        .map(([field, value]) => {
          const body = alert('Fired') as { data: { essentials: Record<string, unknown> } };
          const invalid =
            typeof value === 'string'
              ? field === 'alertRule'
                ? `x-${value}`
                : field === 'monitorCondition'
                  ? `${value}?`
                  : ''
              : value;
          body.data.essentials[field] = invalid;
          return { body: bytes(body) };
        }),
      fc
        .tuple(
          fc.constantFrom('Scale Out', 'Scale In'),
          fc.oneof(fc.string(), fc.integer({ min: -5, max: 5000 })),
        )
        .map(([op, cap]) => ({
          body: bytes(
            autoscale(
              op as 'Scale Out',
              typeof cap === 'number' && cap >= 0 && cap <= 1000 ? cap : String(cap) + 'x',
              `${SCALE_SET}x`,
            ),
          ),
        })),
      // Oversized bodies, declared or actual, even when validly signed.
      fc.integer({ min: MAX_WEBHOOK_BYTES + 1, max: MAX_WEBHOOK_BYTES + 4096 }).map((size) => {
        const body = bytes({ desired: 1, reason: 'x'.repeat(size) });
        return { body, signature: signBody(body, KEY) };
      }),
      fc.constant({ body: bytes({ desired: 1 }), contentLength: String(MAX_WEBHOOK_BYTES * 2) }),
      // Unknown pools.
      fc
        .string({ minLength: 1, maxLength: 20 })
        .filter((p) => p !== POOL)
        .map((pool) => ({ body: bytes(alert('Fired')), pool })),
    );
    await fc.assert(
      fc.asyncProperty(arbitraryDelivery, async (delivery) => {
        const answer = await deliver(delivery);
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        // Answers carry one-line messages: never the key, never a stack.
        const text = JSON.stringify(answer.body);
        expect(text).not.toContain(KEY);
        expect(text).not.toMatch(/\bat .+:\d+:\d+/);
        expect(String(answer.body.error)).not.toContain('\n');
      }),
      { numRuns: 300 },
    );
    expect(await snapshot()).toEqual(before);
  });
});
