/**
 * The run's journal: the state writes around the FortiFlex changes, batched so they stay off the critical
 * path.
 *
 * - Write-ahead: before an action's API call, its intent record and its `started` audit row are stored. The
 *   plan's actions are written ahead in consecutive batches (entity-group transactions: one request per
 *   partition per ≤100 rows), the first one small so the first change starts early, each next batch written
 *   while the previous one's changes are in flight.
 * - Outcomes: the outcome record and audit row of each action are queued and written together, every
 *   `flushEvery` outcomes or `flushAfterMs` after the first queued one, and all of them before the run ends.
 *
 * A crash therefore leaves every attempted action with an intent record (ownership taken) and a `started`
 * row; at most the outcomes of the last flush interval are missing, and the next run converges from the real
 * state. Records are written with the same conditions as one by one (insert-if-absent / If-Match).
 */
import type { AuditEntry, EntitlementRecord, StateStore } from '../../lib/state';
import { errorMessage } from '../../lib/error-message';
import type { RunError } from './run-summary';

/** Batch size limit of an entity-group transaction. */
const MAX_BATCH = 100;

/** One action's write-ahead: its intent record and its `started` audit row. */
export interface AheadEntry {
  record: EntitlementRecord;
  started: AuditEntry;
}

/** The result of the write-ahead step: the intent record as stored, or why it could not be written. */
export type WriteAhead = { ok: true; intent: EntitlementRecord } | { ok: false; error: unknown };

/** Tuning of a {@link Journal}. */
export interface JournalOptions {
  /** Size of the first write-ahead batch (default 8: one round of changes at the default concurrency). */
  firstBatch?: number;
  /** Queued outcomes that trigger a write at once. Default 100 (one transaction per partition). */
  flushEvery?: number;
  /** Longest time an outcome waits in the queue, in ms. Default 250. */
  flushAfterMs?: number;
  /**
   * Asked before each write-ahead batch; a reason stops writing ahead (lease lost, run aborted), and the
   * actions not written ahead resolve to `{ ok: false }` with that reason.
   */
  stopped?: () => string | undefined;
}

/** Batched write-ahead and outcome writes of one run; see the module comment. */
export interface Journal {
  /** Write-ahead of action `index` (of the entries given at creation); never rejects. */
  ahead(index: number): Promise<WriteAhead>;
  /** Queues an outcome: the record (written If-Match its etag) and the audit row. */
  outcome(serialNumber: string, record: EntitlementRecord | undefined, entry: AuditEntry): void;
  /** Writes every queued outcome and waits for all writes; call once, at the end of the run. */
  close(): Promise<void>;
}

/** Batch boundaries: small first, then growing to the transaction limit. */
function batchSizes(total: number, first: number): number[] {
  const sizes: number[] = [];
  let size = Math.max(1, Math.min(MAX_BATCH, first));
  for (let done = 0; done < total; done += sizes[sizes.length - 1]!) {
    sizes.push(Math.min(size, total - done));
    size = Math.min(MAX_BATCH, size * 4);
  }
  return sizes;
}

/**
 * Starts the journal for `entries` (one per planned action, in plan order); write-ahead begins at once.
 * Failures to write outcomes are collected in `errors` (stage `record` or `audit`), never thrown.
 */
export function createJournal(
  store: Pick<StateStore, 'records' | 'audit'>,
  entries: readonly AheadEntry[],
  errors: RunError[],
  options: JournalOptions = {},
): Journal {
  const flushEvery = Math.max(1, options.flushEvery ?? MAX_BATCH);
  const flushAfterMs = Math.max(0, options.flushAfterMs ?? 250);

  // Write-ahead: one promise per action, settled batch by batch; batches are written one after another.
  const settle: ((result: WriteAhead) => void)[] = [];
  const results = entries.map((_, i) => new Promise<WriteAhead>((resolve) => (settle[i] = resolve)));
  void (async () => {
    let start = 0;
    for (const size of batchSizes(entries.length, options.firstBatch ?? 8)) {
      const indexes = Array.from({ length: size }, (_, k) => start + k);
      start += size;
      const why = options.stopped?.();
      if (why !== undefined) {
        for (const i of indexes) settle[i]!({ ok: false, error: new Error(why) });
        continue;
      }
      const batch = indexes.map((i) => entries[i]!);
      try {
        const [records] = await Promise.all([
          store.records.putMany(batch.map((e) => e.record)),
          store.audit.appendMany(batch.map((e) => e.started)),
        ]);
        indexes.forEach((i, k) => {
          const written = records[k]!;
          settle[i]!(
            written.status === 'fulfilled'
              ? { ok: true, intent: written.value }
              : { ok: false, error: written.reason },
          );
        });
      } catch (error) {
        // The `started` rows did not all make it: none of these actions may be applied.
        for (const i of indexes) settle[i]!({ ok: false, error });
      }
    }
  })();

  // Outcomes: queued, written in batches.
  let queue: { serialNumber: string; record?: EntitlementRecord; entry: AuditEntry }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const writes: Promise<void>[] = [];

  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (queue.length === 0) return;
    const taken = queue;
    queue = [];
    const withRecord = taken.filter((q) => q.record !== undefined);
    const recordsWritten = store.records.putMany(withRecord.map((q) => q.record!)).then((results) => {
      results.forEach((result, k) => {
        if (result.status === 'rejected') {
          errors.push({
            serialNumber: withRecord[k]!.serialNumber,
            stage: 'record',
            message: errorMessage(result.reason),
          });
        }
      });
    });
    const audited = store.audit.appendMany(taken.map((q) => q.entry)).catch((error: unknown) => {
      const message = errorMessage(error);
      for (const q of taken) errors.push({ serialNumber: q.serialNumber, stage: 'audit', message });
    });
    writes.push(
      Promise.all([recordsWritten, audited]).then(
        () => undefined,
        (error: unknown) => {
          errors.push({ stage: 'record', message: errorMessage(error) });
        },
      ),
    );
  };

  return {
    ahead: (index) => {
      const result = results[index];
      if (result === undefined) throw new RangeError(`journal: no action ${index}`);
      return result;
    },
    outcome(serialNumber, record, entry) {
      queue.push({ serialNumber, ...(record && { record }), entry });
      if (queue.length >= flushEvery) flush();
      else timer ??= setTimeout(flush, flushAfterMs);
    },
    async close() {
      flush();
      // Later flushes may be queued while earlier ones complete; wait until none is left.
      let seen = 0;
      while (seen < writes.length) {
        const upto = writes.length;
        await Promise.all(writes.slice(seen, upto));
        seen = upto;
      }
    },
  };
}
