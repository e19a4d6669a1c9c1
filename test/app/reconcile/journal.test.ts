import { afterEach, describe, expect, it, vi } from 'vitest';
import { createJournal, type AheadEntry } from '../../../src/app/reconcile/journal';
import { type RunError } from '../../../src/app/reconcile/run-summary';
import {
  ConcurrencyError,
  type AuditEntry,
  type EntitlementRecord,
  type StateStore,
} from '../../../src/lib/state';

/** A store that records every batched call and can fail some records or audit batches. */
function fakeStore(fail: { serial?: string; auditBatch?: number } = {}) {
  const recordBatches: EntitlementRecord[][] = [];
  const auditBatches: AuditEntry[][] = [];
  const store: Pick<StateStore, 'records' | 'audit'> = {
    records: {
      putMany: async (rs) => {
        recordBatches.push([...rs]);
        return rs.map((r) =>
          r.serialNumber === fail.serial
            ? {
                status: 'rejected' as const,
                reason: new ConcurrencyError(`record ${r.serialNumber} changed`),
              }
            : { status: 'fulfilled' as const, value: { ...r, etag: `etag-${recordBatches.length}` } },
        );
      },
    } as StateStore['records'],
    audit: {
      appendMany: async (entries) => {
        auditBatches.push([...entries]);
        if (auditBatches.length === fail.auditBatch) throw new Error('storage unavailable');
      },
    } as StateStore['audit'],
  };
  return { store, recordBatches, auditBatches };
}

function entries(count: number): AheadEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const serialNumber = `SN${String(i).padStart(4, '0')}`;
    return {
      record: { serialNumber, stoppedByScaler: true },
      started: {
        at: '2026-10-23T18:00:00Z',
        runId: 'r',
        actor: 'reconcile',
        serialNumber,
        action: 'stop',
        outcome: 'started',
        reason: 'off-hours',
      },
    };
  });
}

describe('journal', () => {
  it('writes ahead in growing batches (small first, at most 100) with one audit batch per record batch', async () => {
    const fake = fakeStore();
    const journal = createJournal(fake.store, entries(250), [], { firstBatch: 8 });
    const all = await Promise.all(Array.from({ length: 250 }, (_, i) => journal.ahead(i)));
    expect(all.every((a) => a.ok)).toBe(true);
    expect(fake.recordBatches.map((b) => b.length)).toEqual([8, 32, 100, 100, 10]);
    expect(fake.auditBatches.map((b) => b.length)).toEqual([8, 32, 100, 100, 10]);
    expect(fake.auditBatches.flat().every((e) => e.outcome === 'started')).toBe(true);
    // Each action gets the stored intent (with its ETag) for the outcome's If-Match.
    expect(all[0]).toEqual({
      ok: true,
      intent: { serialNumber: 'SN0000', stoppedByScaler: true, etag: 'etag-1' },
    });
    await journal.close();
  });

  it('fails only the conflicting record, and a whole batch when its started rows were not written', async () => {
    const fake = fakeStore({ serial: 'SN0003', auditBatch: 2 });
    const journal = createJournal(fake.store, entries(12), [], { firstBatch: 4 });
    const ahead = await Promise.all(Array.from({ length: 12 }, (_, i) => journal.ahead(i)));
    expect(ahead.map((a) => a.ok)).toEqual([true, true, true, false, ...Array(8).fill(false)]);
    await journal.close();
  });

  it('stops writing ahead once the run is stopped', async () => {
    const fake = fakeStore();
    // The run is aborted while the first batch is being written.
    const journal = createJournal(fake.store, entries(20), [], {
      firstBatch: 4,
      stopped: () => (fake.recordBatches.length > 0 ? 'run aborted' : undefined),
    });
    expect((await journal.ahead(0)).ok).toBe(true);
    const last = await journal.ahead(19);
    expect(last).toMatchObject({ ok: false });
    expect(String((last as { error: unknown }).error)).toContain('run aborted');
    expect(fake.recordBatches.map((b) => b.length)).toEqual([4]);
    await journal.close();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes queued outcomes in batches, on size, on time and on close, reporting failures', async () => {
    // Fake timers: the time-based flush is checked without real sleeps, so a loaded machine cannot flake it.
    vi.useFakeTimers();
    const fake = fakeStore({ serial: 'SN0001' });
    const errors: RunError[] = [];
    const journal = createJournal(fake.store, [], errors, { flushEvery: 3, flushAfterMs: 20 });
    const queue = (i: number) => {
      const [e] = entries(i + 1).slice(i);
      journal.outcome(e!.record.serialNumber, e!.record, { ...e!.started, outcome: 'succeeded' });
    };
    [0, 1, 2].forEach(queue); // size reached: written at once
    expect(fake.recordBatches.map((b) => b.length)).toEqual([3]);
    queue(3);
    await vi.advanceTimersByTimeAsync(19);
    expect(fake.recordBatches.map((b) => b.length)).toEqual([3]); // not yet due
    await vi.advanceTimersByTimeAsync(1); // flushAfterMs after the first queued outcome: written
    expect(fake.recordBatches.map((b) => b.length)).toEqual([3, 1]);
    queue(4);
    await journal.close(); // and close writes the rest
    expect(fake.recordBatches.map((b) => b.length)).toEqual([3, 1, 1]);
    expect(fake.auditBatches.flat().map((e) => e.serialNumber)).toEqual([
      'SN0000',
      'SN0001',
      'SN0002',
      'SN0003',
      'SN0004',
    ]);
    expect(errors).toEqual([
      { serialNumber: 'SN0001', stage: 'record', message: expect.stringContaining('SN0001 changed') },
    ]);
  });
});
