import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ConcurrencyError,
  createStateStore,
  type AuditEntry,
  type EntitlementRecord,
  type StateStore,
} from '../../../src/lib/state';

let store: StateStore;
const prefix = `t${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  store = await createStateStore(
    { kind: 'connectionString', connectionString: inject('azuriteConnectionString') },
    { prefix, now: () => new Date('2026-03-10T12:00:00Z') },
  );
});

describe('records', () => {
  it('inserts if absent, then updates only with the current ETag', async () => {
    const created = await store.records.put({
      serialNumber: 'FGVMMLTM26000001',
      stoppedByScaler: true,
      previousStatus: 'ACTIVE',
      lastAction: 'stop',
      lastReason: 'office closed',
    });
    expect(created.etag).toBeTruthy();
    await expect(
      store.records.put({ serialNumber: 'FGVMMLTM26000001', stoppedByScaler: false }),
    ).rejects.toBeInstanceOf(ConcurrencyError);

    const updated = await store.records.put({ ...created, stoppedByScaler: false, lastAction: 'reactivate' });
    expect(updated.etag).not.toBe(created.etag);
    // The first writer's ETag is stale now: 412 becomes a ConcurrencyError.
    const stale = store.records.put({ ...created, lastAction: 'stop' });
    await expect(stale).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(stale).rejects.toMatchObject({ statusCode: 412 });

    const read = await store.records.get('FGVMMLTM26000001');
    expect(read).toMatchObject({
      stoppedByScaler: false,
      lastAction: 'reactivate',
      previousStatus: 'ACTIVE',
    });
    expect(read?.etag).toBe(updated.etag);
  });

  it('upserts unconditionally, clears omitted fields, and lists every record', async () => {
    await store.records.upsert({ serialNumber: 'FGVM/odd#key?', stoppedByScaler: true, lastError: 'boom' });
    const replaced = await store.records.upsert({ serialNumber: 'FGVM/odd#key?', stoppedByScaler: false });
    expect(replaced.etag).toBeTruthy();
    expect(await store.records.get('FGVM/odd#key?')).toEqual({
      serialNumber: 'FGVM/odd#key?',
      stoppedByScaler: false,
      etag: expect.any(String),
    });
    expect(await store.records.get('NOPE')).toBeUndefined();
    const serials = (await store.records.list()).map((r) => r.serialNumber).sort();
    expect(serials).toEqual(['FGVM/odd#key?', 'FGVMMLTM26000001']);
  });

  it('keeps the original config of a switched entitlement until it is cleared', async () => {
    const switched = await store.records.upsert({
      serialNumber: 'FGVMMLTM26000077',
      stoppedByScaler: false,
      lastAction: 'switchConfig',
      originalConfigId: 2198,
    });
    expect((await store.records.get('FGVMMLTM26000077'))?.originalConfigId).toBe(2198);
    const { originalConfigId: _cleared, ...restored } = switched;
    await store.records.put(restored);
    expect((await store.records.get('FGVMMLTM26000077'))?.originalConfigId).toBeUndefined();
  });

  it('never stores a credential quoted in a last error', async () => {
    await store.records.upsert({
      serialNumber: 'FGVM-LEAK',
      stoppedByScaler: false,
      lastError: 'oauth/token: {"password":"Sup3r"} rejected',
    });
    expect((await store.records.get('FGVM-LEAK'))?.lastError).toBe(
      'oauth/token: {"password":[redacted]} rejected',
    );
  });
});

describe('records in batches', () => {
  const serial = (i: number) => `FGVMBATCH${String(i).padStart(4, '0')}`;

  it('writes many records in transactions of up to 100 and returns ETags usable for If-Match', async () => {
    const created = await store.records.putMany(
      Array.from({ length: 130 }, (_, i) => ({
        serialNumber: serial(i),
        stoppedByScaler: true,
        lastReason: 'intent',
      })),
    );
    expect(created.every((r) => r.status === 'fulfilled')).toBe(true);
    const values = created.map((r) => (r as PromiseFulfilledResult<EntitlementRecord>).value);
    expect(new Set(values.map((r) => r.etag)).has(undefined)).toBe(false);
    const read = await store.records.get(serial(129));
    expect(read).toMatchObject({ stoppedByScaler: true, lastReason: 'intent', etag: values[129]!.etag });

    // The returned ETags are the stored ones: a batch of If-Match updates succeeds.
    const updated = await store.records.putMany(values.map((r) => ({ ...r, lastAction: 'stop' })));
    expect(updated.every((r) => r.status === 'fulfilled')).toBe(true);
    expect((await store.records.get(serial(5)))?.lastAction).toBe('stop');
  });

  it('fails only the records whose condition is lost, writing the rest of their batch', async () => {
    const [a, b] = await store.records.putMany([
      { serialNumber: serial(500), stoppedByScaler: false },
      { serialNumber: serial(501), stoppedByScaler: false },
    ]);
    const first = (a as PromiseFulfilledResult<EntitlementRecord>).value;
    const second = (b as PromiseFulfilledResult<EntitlementRecord>).value;
    await store.records.put({ ...second, lastReason: 'changed by another worker' }); // second's ETag is stale now
    const results = await store.records.putMany([
      { ...first, stoppedByScaler: true },
      { ...second, stoppedByScaler: true },
      { serialNumber: serial(502), stoppedByScaler: true },
      { serialNumber: serial(500), stoppedByScaler: true }, // insert-if-absent on an existing record
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect((await store.records.get(serial(500)))?.stoppedByScaler).toBe(true);
    expect(await store.records.get(serial(501))).toMatchObject({
      stoppedByScaler: false,
      lastReason: 'changed by another worker',
    });
    expect((await store.records.get(serial(502)))?.stoppedByScaler).toBe(true);
  });
});

describe('audit', () => {
  it('reads without creating the table (a reader role suffices): no table, no rows', async () => {
    const connectionString = inject('azuriteConnectionString');
    const fresh = `t${randomBytes(4).toString('hex')}`;
    const empty = await createStateStore({ kind: 'connectionString', connectionString }, { prefix: fresh });
    expect(await empty.audit.query({})).toEqual([]);
    expect(await empty.audit.query({ serialNumber: 'SN-NONE' })).toEqual([]);
    const service = TableServiceClient.fromConnectionString(connectionString, {
      allowInsecureConnection: true,
    });
    const tables: string[] = [];
    for await (const table of service.listTables())
      if (table.name?.startsWith(fresh)) tables.push(table.name);
    expect(tables).toEqual([]);
  });

  const entry = (at: string, serialNumber: string | undefined, action: string): AuditEntry => ({
    at,
    runId: `run-${at}`,
    actor: 'reconcile',
    action,
    outcome: 'succeeded',
    reason: `${action} at ${at}`,
    rule: 'branch-firewalls',
    ...(serialNumber !== undefined && { serialNumber }),
  });

  beforeAll(async () => {
    await Promise.all([
      store.audit.append(entry('2026-03-06T18:00:00.000Z', 'SN-A', 'stop')),
      store.audit.append(entry('2026-03-07T09:00:00.000Z', 'SN-B', 'stop')),
      store.audit.append(entry('2026-03-09T06:00:00.000Z', 'SN-A', 'reactivate')),
      store.audit.append(entry('2026-03-09T06:00:00.001Z', undefined, 'run')),
      store.audit.append(entry('2026-03-10T08:30:00.000Z', 'SN-A', 'stop')),
    ]);
  });

  it('returns every row newest first across day partitions', async () => {
    const rows = await store.audit.query({});
    expect(rows.map((r) => r.at)).toEqual([
      '2026-03-10T08:30:00.000Z',
      '2026-03-09T06:00:00.001Z',
      '2026-03-09T06:00:00.000Z',
      '2026-03-07T09:00:00.000Z',
      '2026-03-06T18:00:00.000Z',
    ]);
    expect(rows[0]).toMatchObject({
      actor: 'reconcile',
      serialNumber: 'SN-A',
      action: 'stop',
      rule: 'branch-firewalls',
    });
  });

  it('answers who did what to one serial, newest first, with since/until and limit', async () => {
    const all = await store.audit.query({ serialNumber: 'SN-A' });
    expect(all.map((r) => `${r.action}@${r.at}`)).toEqual([
      'stop@2026-03-10T08:30:00.000Z',
      'reactivate@2026-03-09T06:00:00.000Z',
      'stop@2026-03-06T18:00:00.000Z',
    ]);
    const since = await store.audit.query({
      serialNumber: 'SN-A',
      since: new Date('2026-03-09T06:00:00.000Z'),
    });
    expect(since.map((r) => r.action)).toEqual(['stop', 'reactivate']); // since is inclusive
    const until = await store.audit.query({
      serialNumber: 'SN-A',
      until: new Date('2026-03-09T06:00:00.000Z'),
    });
    expect(until.map((r) => r.at)).toEqual(['2026-03-06T18:00:00.000Z']); // until is exclusive
    const limited = await store.audit.query({ serialNumber: 'SN-A', limit: 1 });
    expect(limited.map((r) => r.at)).toEqual(['2026-03-10T08:30:00.000Z']);
  });

  it('filters by time across days without a serial and stops at the limit', async () => {
    const rows = await store.audit.query({
      since: new Date('2026-03-07T00:00:00Z'),
      until: new Date('2026-03-10T00:00:00Z'),
    });
    expect(rows.map((r) => r.at)).toEqual([
      '2026-03-09T06:00:00.001Z',
      '2026-03-09T06:00:00.000Z',
      '2026-03-07T09:00:00.000Z',
    ]);
    const two = await store.audit.query({ limit: 2 });
    expect(two.map((r) => r.at)).toEqual(['2026-03-10T08:30:00.000Z', '2026-03-09T06:00:00.001Z']);
  });

  it('keeps details small and never stores secret-looking values', async () => {
    await store.audit.append({
      ...entry('2026-03-10T09:00:00.000Z', 'SN-DETAILS', 'claim'),
      details: { instanceId: 'vm-1', token: 'LICENSE-TOKEN-123', nested: { password: 'hunter2' } },
    });
    await store.audit.append({
      ...entry('2026-03-10T09:00:01.000Z', 'SN-DETAILS', 'plan'),
      details: { blob: 'x'.repeat(50_000) },
      reason: 'r'.repeat(10_000),
    });
    const [big, small] = await store.audit.query({ serialNumber: 'SN-DETAILS' });
    expect(small?.details).toEqual({
      instanceId: 'vm-1',
      token: '[redacted]',
      nested: { password: '[redacted]' },
    });
    expect(JSON.stringify(small)).not.toContain('hunter2');
    expect(JSON.stringify(big?.details).length).toBeLessThan(5_000);
    expect(big?.details).toMatchObject({ truncated: true });
    expect(big?.reason.length).toBeLessThanOrEqual(2_000);
  });

  it('masks credentials quoted in reasons and errors before storing them', async () => {
    await store.audit.append({
      ...entry('2026-03-10T10:00:00.000Z', 'SN-LEAK', 'stop'),
      reason: 'retry after password=hunter2 was refused',
      error: 'HTTP 401 Authorization: Bearer eyJ.secret.sig',
    });
    const [row] = await store.audit.query({ serialNumber: 'SN-LEAK' });
    expect(row).toMatchObject({
      reason: 'retry after password=[redacted] was refused',
      error: 'HTTP 401 Authorization: Bearer [redacted]',
    });
  });

  it('rejects entries without a valid time', async () => {
    await expect(store.audit.append(entry('yesterday', 'SN-X', 'stop'))).rejects.toThrow(/at "yesterday"/);
  });

  it('appends many rows in batches: each readable by day and by serial', async () => {
    const many: AuditEntry[] = Array.from({ length: 230 }, (_, i) => ({
      ...entry(`2026-02-0${1 + (i % 2)}T10:00:00.${String(i).padStart(3, '0')}Z`, `SN-MANY-${i % 3}`, 'stop'),
      outcome: 'started',
    }));
    await store.audit.appendMany(many);
    const days = await store.audit.query({
      since: new Date('2026-02-01T00:00:00Z'),
      until: new Date('2026-02-03T00:00:00Z'),
    });
    expect(days).toHaveLength(230);
    const one = await store.audit.query({ serialNumber: 'SN-MANY-1' });
    expect(one).toHaveLength(77);
    expect(one.every((r) => r.serialNumber === 'SN-MANY-1' && r.outcome === 'started')).toBe(true);
    // Newest first, and a serial whose name extends another's is not mixed in.
    expect(one.map((r) => r.at)).toEqual([...one.map((r) => r.at)].sort().reverse());
    await store.audit.append(entry('2026-02-01T11:00:00.000Z', 'SN-MANY-10', 'stop'));
    expect(await store.audit.query({ serialNumber: 'SN-MANY-1' })).toHaveLength(77);
    expect(
      await store.audit.query({
        serialNumber: 'SN-MANY-1',
        since: new Date('2026-02-02T00:00:00Z'),
        limit: 5,
      }),
    ).toHaveLength(5);
  });

  it('rejects a batch with an invalid time before writing any of it', async () => {
    await expect(
      store.audit.appendMany([
        entry('2026-02-05T10:00:00.000Z', 'SN-NONE', 'stop'),
        entry('soon', 'SN-NONE', 'stop'),
      ]),
    ).rejects.toThrow(/at "soon"/);
    expect(await store.audit.query({ serialNumber: 'SN-NONE' })).toEqual([]);
  });
});

describe('events', () => {
  it('remembers a key once until it expires, then accepts it again', async () => {
    const t0 = new Date('2026-03-10T12:00:00Z');
    const key = 'alert-1|cpu>80|2026-03-10T11:59:00Z';
    expect(await store.events.remember(key, 60_000, t0)).toBe(true);
    expect(await store.events.remember(key, 60_000, new Date(t0.getTime() + 30_000))).toBe(false);
    expect(await store.events.remember('another key', 60_000, t0)).toBe(true);
    // After expiry the key is new again, and the renewed expiry holds.
    const later = new Date(t0.getTime() + 61_000);
    expect(await store.events.remember(key, 60_000, later)).toBe(true);
    expect(await store.events.remember(key, 60_000, new Date(later.getTime() + 1_000))).toBe(false);
  });

  it('lets exactly one of many concurrent deliveries through', async () => {
    const now = new Date('2026-03-10T12:00:00Z');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.events.remember('dup', 60_000, now)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('purges expired keys only', async () => {
    const now = new Date('2026-04-01T00:00:00Z');
    await store.events.remember('fresh', 3_600_000, now);
    const purged = await store.events.purgeExpired(now);
    expect(purged).toBeGreaterThanOrEqual(3);
    expect(await store.events.remember('fresh', 3_600_000, now)).toBe(false);
    expect(await store.events.remember('another key', 60_000, now)).toBe(true);
  });
});
