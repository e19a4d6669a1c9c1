/**
 * Table `records`: one row per managed entitlement (PK `entitlement`, RK serial number) saying what the
 * scaler did to it. Writes that decide ownership are conditional (insert-if-absent or If-Match).
 */
import { odata, type TableClient, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import { concurrency, defined, encodeKey, statusOf } from './keys';
import { redactText } from './redact';
import type { EntitlementRecord, StateStore } from './types';

const PARTITION = 'entitlement';
/** Entity-group transactions take at most 100 entities (all in one partition, each at most once). */
export const MAX_BATCH = 100;

type RecordEntity = Omit<EntitlementRecord, 'etag'> & { partitionKey: string; rowKey: string };

function toEntity(r: EntitlementRecord): RecordEntity {
  const { etag: _etag, ...fields } = r;
  return defined({
    ...fields,
    lastReason: r.lastReason === undefined ? undefined : redactText(r.lastReason),
    lastError: r.lastError === undefined ? undefined : redactText(r.lastError),
    partitionKey: PARTITION,
    rowKey: encodeKey(r.serialNumber),
  });
}

function fromEntity(e: TableEntityResult<Record<string, unknown>>): EntitlementRecord {
  const text = (key: string): string | undefined =>
    typeof e[key] === 'string' ? (e[key] as string) : undefined;
  return defined({
    serialNumber: text('serialNumber') ?? '',
    stoppedByScaler: e.stoppedByScaler === true,
    previousStatus: text('previousStatus'),
    lastAction: text('lastAction') as EntitlementRecord['lastAction'],
    lastActionAt: text('lastActionAt'),
    lastReason: text('lastReason'),
    lastError: text('lastError'),
    lastErrorAt: text('lastErrorAt'),
    rule: text('rule'),
    pool: text('pool'),
    originalConfigId: typeof e.originalConfigId === 'number' ? e.originalConfigId : undefined,
    pendingAction: text('pendingAction') as EntitlementRecord['pendingAction'],
    pendingTargetConfigId: typeof e.pendingTargetConfigId === 'number' ? e.pendingTargetConfigId : undefined,
    pendingAt: text('pendingAt'),
    pendingRunId: text('pendingRunId'),
    etag: e.etag,
  });
}

/** The `records` part of the store. */
export function recordsStore(client: TableClient, ensure: () => Promise<void>): StateStore['records'] {
  async function put(r: EntitlementRecord): Promise<EntitlementRecord> {
    await ensure();
    try {
      const response =
        r.etag !== undefined
          ? await client.updateEntity(toEntity(r), 'Replace', { etag: r.etag })
          : await client.createEntity(toEntity(r));
      return { ...r, etag: response.etag };
    } catch (error) {
      if (r.etag !== undefined && statusOf(error) === 404) {
        return concurrency({ statusCode: 412 }, `record ${r.serialNumber} was deleted since it was read`);
      }
      return concurrency(
        error,
        r.etag !== undefined
          ? `record ${r.serialNumber} changed since it was read`
          : `record ${r.serialNumber} already exists`,
      );
    }
  }

  return {
    async get(serialNumber) {
      await ensure();
      try {
        return fromEntity(await client.getEntity(PARTITION, encodeKey(serialNumber)));
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async list() {
      await ensure();
      const out: EntitlementRecord[] = [];
      for await (const e of client.listEntities({
        queryOptions: { filter: odata`PartitionKey eq ${PARTITION}` },
      })) {
        out.push(fromEntity(e));
      }
      return out;
    },
    put,
    async putMany(rs) {
      await ensure();
      const results: PromiseSettledResult<EntitlementRecord>[] = new Array(rs.length);
      const settle = async (i: number, write: () => Promise<EntitlementRecord>): Promise<void> => {
        try {
          results[i] = { status: 'fulfilled', value: await write() };
        } catch (reason) {
          results[i] = { status: 'rejected', reason };
        }
      };
      const batches: number[][] = [];
      for (let i = 0; i < rs.length; i += MAX_BATCH) {
        batches.push(Array.from({ length: Math.min(MAX_BATCH, rs.length - i) }, (_, k) => i + k));
      }
      await Promise.all(
        batches.map(async (indexes) => {
          const batch = indexes.map((i) => rs[i]!);
          let etags: (string | undefined)[] | undefined;
          if (new Set(batch.map((r) => r.serialNumber)).size === batch.length) {
            try {
              const response = await client.submitTransaction(
                batch.map((r): TransactionAction =>
                  r.etag !== undefined
                    ? ['update', toEntity(r), 'Replace', { etag: r.etag }]
                    : ['create', toEntity(r)],
                ),
              );
              // Sub-responses come in the order of the operations (update responses carry no row key).
              etags = response.subResponses.map((sub) => sub.etag?.trim() || undefined);
            } catch {
              // A transaction is all or nothing: one lost condition (or any other failure) fails the whole
              // batch, so each record is written on its own below and only the real conflicts fail.
            }
          }
          await Promise.all(
            indexes.map((i, k) => {
              const r = rs[i]!;
              if (etags === undefined) return settle(i, () => put(r));
              const etag = etags[k];
              // Written; the ETag is read back only if the service left it out of the batch response.
              return settle(i, async () =>
                etag !== undefined
                  ? { ...r, etag }
                  : { ...r, etag: (await client.getEntity(PARTITION, encodeKey(r.serialNumber))).etag },
              );
            }),
          );
        }),
      );
      return results;
    },
    async upsert(r) {
      await ensure();
      const response = await client.upsertEntity(toEntity(r), 'Replace');
      return { ...r, etag: response.etag };
    },
  };
}
