/**
 * Table `records`: one row per managed entitlement (PK `entitlement`, RK serial number) saying what the
 * scaler did to it. Writes that decide ownership are conditional (insert-if-absent or If-Match).
 */
import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { concurrency, defined, encodeKey, statusOf } from './keys';
import { redactText } from './redact';
import type { EntitlementRecord, StateStore } from './types';

const PARTITION = 'entitlement';

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
    lastAction: text('lastAction'),
    lastActionAt: text('lastActionAt'),
    lastReason: text('lastReason'),
    lastError: text('lastError'),
    lastErrorAt: text('lastErrorAt'),
    rule: text('rule'),
    pool: text('pool'),
    originalConfigId: typeof e.originalConfigId === 'number' ? e.originalConfigId : undefined,
    etag: e.etag,
  });
}

/** The `records` part of the store. */
export function recordsStore(client: TableClient, ensure: () => Promise<void>): StateStore['records'] {
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
    async put(r) {
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
    },
    async upsert(r) {
      await ensure();
      const response = await client.upsertEntity(toEntity(r), 'Replace');
      return { ...r, etag: response.etag };
    },
  };
}
