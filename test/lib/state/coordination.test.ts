import { randomBytes } from 'node:crypto';
import { QueueClient } from '@azure/storage-queue';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ConcurrencyError,
  createStateStore,
  type ClaimRecord,
  type StateStore,
} from '../../../src/lib/state';

let store: StateStore;
let connectionString: string;
const prefix = `c${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  connectionString = inject('azuriteConnectionString');
  store = await createStateStore({ kind: 'connectionString', connectionString }, { prefix });
});

const claim = (pool: string, instanceId: string, serialNumber: string): ClaimRecord => ({
  pool,
  instanceId,
  serialNumber,
  claimedAt: '2026-03-10T12:00:00.000Z',
});

describe('claims', () => {
  it('never gives one serial to two instances, nor two serials to one instance, under concurrency', async () => {
    const serials = Array.from({ length: 10 }, (_, i) => `FGVM0000000000${String(i).padStart(2, '0')}`);
    const instances = Array.from({ length: 20 }, (_, i) => `vm-${i}`);
    // Instance i % 20 asks for serial floor(i / 5) % 10: instances compete for serials and try several each.
    const attempts = Array.from({ length: 50 }, (_, i) =>
      claim('race', instances[i % 20]!, serials[Math.floor(i / 5) % 10]!),
    );
    const results = await Promise.allSettled(attempts.map((c) => store.claims.create(c)));

    const failures = results.filter((r) => r.status === 'rejected');
    for (const failure of failures) expect(failure.reason).toBeInstanceOf(ConcurrencyError);
    const held = await store.claims.list('race');
    const wonSerials = held.map((c) => c.serialNumber);
    const wonInstances = held.map((c) => c.instanceId);
    expect(new Set(wonSerials).size).toBe(wonSerials.length);
    expect(new Set(wonInstances).size).toBe(wonInstances.length);
    // What the callers were told matches what is stored: each success is a held claim, nothing else is.
    const won = results.flatMap((r) =>
      r.status === 'fulfilled' ? [`${r.value.instanceId}=${r.value.serialNumber}`] : [],
    );
    expect(won.sort()).toEqual(held.map((c) => `${c.instanceId}=${c.serialNumber}`).sort());
    expect(held.length).toBeGreaterThanOrEqual(5);
    for (const c of held) {
      expect(await store.claims.findBySerial('race', c.serialNumber)).toMatchObject({
        instanceId: c.instanceId,
      });
    }
  });

  it('updates with If-Match and keeps the serial', async () => {
    const created = await store.claims.create(claim('upd', 'vm-a', 'SN-1'));
    expect(created.etag).toBeTruthy();
    const renewed = await store.claims.update({ ...created, renewedAt: '2026-03-10T12:05:00.000Z' });
    await expect(
      store.claims.update({ ...created, expiresAt: '2026-03-11T00:00:00.000Z' }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await store.claims.get('upd', 'vm-a')).toEqual({
      ...claim('upd', 'vm-a', 'SN-1'),
      renewedAt: '2026-03-10T12:05:00.000Z',
      etag: renewed.etag,
    });
  });

  it('releases a claim and its serial, so both can be claimed again; double release is false', async () => {
    await store.claims.create(claim('rel', 'vm-a', 'SN-1'));
    await expect(store.claims.create(claim('rel', 'vm-b', 'SN-1'))).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(store.claims.delete('rel', 'vm-a', 'W/"stale"')).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await store.claims.delete('rel', 'vm-a')).toBe(true);
    expect(await store.claims.delete('rel', 'vm-a')).toBe(false);
    expect(await store.claims.get('rel', 'vm-a')).toBeUndefined();
    expect(await store.claims.findBySerial('rel', 'SN-1')).toBeUndefined();
    await expect(store.claims.create(claim('rel', 'vm-b', 'SN-1'))).resolves.toMatchObject({
      instanceId: 'vm-b',
    });
  });

  it('heals a serial lock left behind by an interrupted release', async () => {
    await store.claims.create(claim('orphan', 'vm-a', 'SN-9'));
    // Simulate a crash between the two deletes of a release: only the claim row is gone.
    const { TableClient } = await import('@azure/data-tables');
    const table = TableClient.fromConnectionString(connectionString, `${prefix}claims`, {
      allowInsecureConnection: true,
    });
    await table.deleteEntity('orphan', 'instance|vm-a');
    expect(await store.claims.findBySerial('orphan', 'SN-9')).toBeUndefined();
    await expect(store.claims.create(claim('orphan', 'vm-b', 'SN-9'))).resolves.toMatchObject({
      instanceId: 'vm-b',
    });
    expect(await store.claims.findBySerial('orphan', 'SN-9')).toMatchObject({ instanceId: 'vm-b' });
  });

  it('keeps pools apart', async () => {
    await store.claims.create(claim('pool-x', 'vm-1', 'SN-SHARED'));
    await store.claims.create(claim('pool-y', 'vm-1', 'SN-OTHER'));
    expect((await store.claims.list('pool-x')).map((c) => c.serialNumber)).toEqual(['SN-SHARED']);
    expect(await store.claims.get('pool-y', 'vm-1')).toMatchObject({ serialNumber: 'SN-OTHER' });
  });
});

describe('leases', () => {
  it('is exclusive until released', async () => {
    const first = await store.leases.acquire('reconcile', 15);
    expect(first).not.toBeNull();
    expect(await store.leases.acquire('reconcile', 15)).toBeNull();
    // A different name is a different lock.
    const pool = await store.leases.acquire('pool/vmss-fgt', 15);
    expect(pool).not.toBeNull();
    await first!.renew();
    expect(await store.leases.acquire('reconcile', 15)).toBeNull();
    await first!.release();
    await first!.release(); // releasing twice is harmless
    const second = await store.leases.acquire('reconcile', 15);
    expect(second).not.toBeNull();
    // The released holder can no longer extend a lease someone else holds now.
    await expect(first!.renew()).rejects.toBeInstanceOf(ConcurrencyError);
    await second!.release();
    await pool!.release();
  });

  it('only accepts ttls of 15 to 60 seconds', async () => {
    await expect(store.leases.acquire('x', 10)).rejects.toThrow(/15 to 60/);
    await expect(store.leases.acquire('x', 61)).rejects.toThrow(/15 to 60/);
  });
});

describe('queue', () => {
  it('round-trips JSON as base64 text, as the Functions queue trigger expects', async () => {
    const message = { pool: 'vmss-fgt', kind: 'scaleOut', delta: 2, at: '2026-03-10T12:00:00.000Z' };
    await store.queue.send(message);
    const raw = new QueueClient(connectionString, store.queue.name);
    const peeked = await raw.peekMessages();
    const text = peeked.peekedMessageItems[0]!.messageText;
    expect(JSON.parse(Buffer.from(text, 'base64').toString('utf8'))).toEqual(message);

    const [received] = await store.queue.receive(1);
    expect(received).toMatchObject({ body: message, dequeueCount: 1 });
    await store.queue.delete(received!);
    expect(await store.queue.receive(1)).toEqual([]);
  });

  it('reads the poison queue and plain-JSON messages; delays and oversized messages are handled', async () => {
    expect(store.queue.name).toBe(`${prefix}scaler-work`);
    expect(store.queue.poisonName).toBe(`${prefix}scaler-work-poison`);
    await new QueueClient(connectionString, store.queue.poisonName).sendMessage('{"pool":"p","bad":true}');
    const [poisoned] = await store.queue.receive(5, { poison: true });
    expect(poisoned?.body).toEqual({ pool: 'p', bad: true });
    await store.queue.delete(poisoned!, { poison: true });

    await store.queue.send({ later: true }, { delaySeconds: 60 });
    expect(await store.queue.receive(1)).toEqual([]);
    await expect(store.queue.send({ blob: 'x'.repeat(60_000) })).rejects.toThrow(/at most 65536/);
  });
});

describe('createStateStore', () => {
  it('builds identity-based clients without contacting storage, honouring the prefix', async () => {
    const credential = {
      getToken: async () => {
        throw new Error('must not be called while building the store');
      },
    };
    const identityStore = await createStateStore(
      {
        kind: 'identity',
        blobServiceUri: 'https://stscaler01.blob.core.windows.net',
        queueServiceUri: 'https://stscaler01.queue.core.windows.net',
        tableServiceUri: 'https://stscaler01.table.core.windows.net',
        clientId: '00000000-0000-0000-0000-000000000001',
      },
      { credential },
    );
    expect(identityStore.queue.name).toBe('scaler-work');
    expect(identityStore.queue.poisonName).toBe('scaler-work-poison');
  });

  it('rejects a prefix storage names cannot carry', async () => {
    await expect(
      createStateStore({ kind: 'connectionString', connectionString }, { prefix: 'Bad-Prefix' }),
    ).rejects.toThrow(/prefix "Bad-Prefix"/);
  });
});
