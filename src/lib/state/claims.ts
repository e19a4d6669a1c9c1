/**
 * Table `claims`: licenses held by pool instances. Partition = pool. Two row kinds per claim, written in one
 * entity-group transaction so both exist or neither does:
 *   RK `instance|<instanceId>` — the claim itself;
 *   RK `serial|<serial>`       — a lock row making the serial unique within the pool.
 * An insert-if-absent of both rows therefore can never give one serial to two instances, nor two serials to
 * one instance, however many claims race.
 */
import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { ConcurrencyError, type ClaimRecord, type StateStore } from './types';
import { defined, encodeKey, isConflict, statusOf } from './keys';

const INSTANCE = 'instance|';
const SERIAL = 'serial|';

const instanceKey = (pool: string, instanceId: string) => ({
  partitionKey: encodeKey(pool),
  rowKey: `${INSTANCE}${encodeKey(instanceId)}`,
});
const serialKey = (pool: string, serialNumber: string) => ({
  partitionKey: encodeKey(pool),
  rowKey: `${SERIAL}${encodeKey(serialNumber)}`,
});

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function fromEntity(e: TableEntityResult<Record<string, unknown>>): ClaimRecord {
  const text = (key: string): string | undefined =>
    typeof e[key] === 'string' ? (e[key] as string) : undefined;
  return defined({
    pool: text('pool') ?? '',
    instanceId: text('instanceId') ?? '',
    serialNumber: text('serialNumber') ?? '',
    claimedAt: text('claimedAt') ?? '',
    renewedAt: text('renewedAt'),
    expiresAt: text('expiresAt'),
    complete: typeof e.complete === 'boolean' ? e.complete : undefined,
    attemptId: text('attemptId'),
    attemptAt: text('attemptAt'),
    attemptFailed: typeof e.attemptFailed === 'boolean' ? e.attemptFailed : undefined,
    etag: e.etag,
  });
}

/** The `claims` part of the store. */
export function claimsStore(client: TableClient, ensure: () => Promise<void>): StateStore['claims'] {
  type Row = TableEntityResult<Record<string, unknown>> & { partitionKey: string; rowKey: string };
  async function getRow(key: { partitionKey: string; rowKey: string }): Promise<Row | undefined> {
    try {
      const row = await client.getEntity<Record<string, unknown>>(key.partitionKey, key.rowKey);
      return { ...row, partitionKey: key.partitionKey, rowKey: key.rowKey };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /**
   * Deletes a serial lock whose instance row is gone (a release interrupted between its two deletes).
   * Returns true when it removed one, so the caller may retry its insert.
   */
  async function healOrphan(pool: string, serialNumber: string): Promise<boolean> {
    const lock = await getRow(serialKey(pool, serialNumber));
    if (lock === undefined || typeof lock.instanceId !== 'string') return lock === undefined;
    if ((await getRow(instanceKey(pool, lock.instanceId))) !== undefined) return false;
    try {
      await client.deleteEntity(lock.partitionKey, lock.rowKey, { etag: lock.etag });
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return true;
      if (isConflict(error)) return false;
      throw error;
    }
  }

  return {
    async get(pool, instanceId) {
      await ensure();
      const row = await getRow(instanceKey(pool, instanceId));
      return row === undefined ? undefined : fromEntity(row);
    },

    async findBySerial(pool, serialNumber) {
      await ensure();
      const lock = await getRow(serialKey(pool, serialNumber));
      if (lock === undefined || typeof lock.instanceId !== 'string') return undefined;
      const row = await getRow(instanceKey(pool, lock.instanceId));
      // An orphaned lock (release interrupted) belongs to nobody.
      return row === undefined || row.serialNumber !== serialNumber ? undefined : fromEntity(row);
    },

    async list(pool) {
      await ensure();
      const filter = odata`PartitionKey eq ${encodeKey(pool)} and RowKey ge ${INSTANCE} and RowKey lt ${'instance}'}`;
      const out: ClaimRecord[] = [];
      for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        out.push(fromEntity(e));
      }
      return out;
    },

    async create(c) {
      await ensure();
      const { etag: _etag, ...fields } = c;
      const claim = defined({ ...instanceKey(c.pool, c.instanceId), ...fields });
      const lock = { ...serialKey(c.pool, c.serialNumber), instanceId: c.instanceId, claimedAt: c.claimedAt };
      for (let attempt = 0; attempt < 2; attempt += 1) {
        try {
          const result = await client.submitTransaction([
            ['create', claim],
            ['create', lock],
          ]);
          // Sub-responses come back in request order; the row key in them may be URL-encoded.
          const etag = (
            result.subResponses.find(
              (r) => r.rowKey !== undefined && safeDecode(r.rowKey) === claim.rowKey,
            ) ?? result.subResponses[0]
          )?.etag;
          return etag === undefined ? { ...fields } : { ...fields, etag };
        } catch (error) {
          if (!isConflict(error)) throw error;
          // Only a stale lock left by an interrupted release is worth one more try.
          if (
            attempt === 0 &&
            (await getRow(claim)) === undefined &&
            (await healOrphan(c.pool, c.serialNumber))
          ) {
            continue;
          }
          throw new ConcurrencyError(
            `pool ${c.pool}: instance ${c.instanceId} or serial ${c.serialNumber} is already claimed`,
            statusOf(error),
            { cause: error },
          );
        }
      }
      throw new ConcurrencyError(`pool ${c.pool}: serial ${c.serialNumber} is already claimed`, 409);
    },

    async update(c) {
      if (c.etag === undefined) throw new TypeError('claims.update: etag is required (read the claim first)');
      await ensure();
      // Merge only the mutable fields: the serial and claim time of a claim never change.
      const patch = defined({
        ...instanceKey(c.pool, c.instanceId),
        renewedAt: c.renewedAt,
        expiresAt: c.expiresAt,
        complete: c.complete,
        attemptId: c.attemptId,
        attemptAt: c.attemptAt,
        attemptFailed: c.attemptFailed,
      });
      try {
        const response = await client.updateEntity(patch, 'Merge', { etag: c.etag });
        return { ...c, etag: response.etag };
      } catch (error) {
        if (statusOf(error) === 404 || isConflict(error)) {
          throw new ConcurrencyError(
            `pool ${c.pool}: claim of instance ${c.instanceId} changed or was released since it was read`,
            statusOf(error),
            { cause: error },
          );
        }
        throw error;
      }
    },

    async delete(pool, instanceId, etag) {
      await ensure();
      const row = await getRow(instanceKey(pool, instanceId));
      if (row === undefined) return false;
      if (etag !== undefined && etag !== row.etag) {
        throw new ConcurrencyError(
          `pool ${pool}: claim of instance ${instanceId} changed since it was read`,
          412,
        );
      }
      // Claim first, lock second: a crash in between leaves an orphan lock that `create` heals, never a claim
      // without its lock.
      try {
        await client.deleteEntity(row.partitionKey, row.rowKey, { etag: row.etag });
      } catch (error) {
        if (statusOf(error) === 404) return false;
        if (isConflict(error)) {
          throw new ConcurrencyError(
            `pool ${pool}: claim of instance ${instanceId} changed while releasing`,
            412,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
      if (typeof row.serialNumber === 'string') {
        const lock = await getRow(serialKey(pool, row.serialNumber));
        if (lock !== undefined && lock.instanceId === instanceId) {
          try {
            await client.deleteEntity(lock.partitionKey, lock.rowKey, { etag: lock.etag });
          } catch (error) {
            if (statusOf(error) !== 404 && !isConflict(error)) throw error;
          }
        }
      }
      return true;
    },
  };
}
