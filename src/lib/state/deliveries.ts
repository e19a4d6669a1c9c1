/**
 * Table `deliveries`: how the licence delivery to each scale-set instance of a pool stands (see
 * `src/app/pools/delivery.ts`). Partition = pool, row = the instance's VM name (lower case). Rows change only
 * under the pool lease, so writes are plain upserts. A row never holds a token or an API key: only serials,
 * addresses, certificate fingerprints (public) and one-line details.
 */
import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { clip, defined, encodeKey, statusOf } from './keys';
import { redactText } from './redact';
import type { DeliveryRecord, DeliveryState, DeliveryStep, StateStore } from './types';

const STATES: readonly DeliveryState[] = ['pending', 'licensed', 'adopted', 'failed'];
const STEPS: readonly DeliveryStep[] = ['discovered', 'claimed', 'tokenSent', 'confirmed'];
/** Longest stored detail. */
const MAX_DETAIL = 500;

function fromEntity(e: TableEntityResult<Record<string, unknown>>): DeliveryRecord {
  const text = (key: string): string | undefined =>
    typeof e[key] === 'string' ? (e[key] as string) : undefined;
  const state = text('state') as DeliveryState | undefined;
  const step = text('step') as DeliveryStep | undefined;
  return defined({
    pool: text('pool') ?? '',
    instanceId: text('instanceId') ?? '',
    vmId: text('vmId'),
    privateIp: text('privateIp'),
    state: state && STATES.includes(state) ? state : 'pending',
    step: step && STEPS.includes(step) ? step : 'discovered',
    serialNumber: text('serialNumber'),
    reportedSerial: text('reportedSerial'),
    firstSeenAt: text('firstSeenAt') ?? '',
    updatedAt: text('updatedAt') ?? '',
    tokenSentAt: text('tokenSentAt'),
    attempts: typeof e['attempts'] === 'number' ? e['attempts'] : 0,
    detail: text('detail') ?? '',
    errorCode: text('errorCode'),
    fingerprint: text('fingerprint'),
    tls: text('tls'),
    timedOut: e['timedOut'] === true ? true : undefined,
  }) as DeliveryRecord;
}

const key = (pool: string, instanceId: string) => ({
  partitionKey: encodeKey(pool),
  rowKey: encodeKey(instanceId.toLowerCase()),
});

/** The `deliveries` part of the store. */
export function deliveriesStore(client: TableClient, ensure: () => Promise<void>): StateStore['deliveries'] {
  const toEntity = (record: DeliveryRecord) => {
    const { etag: _etag, ...fields } = record;
    return defined({
      ...key(record.pool, record.instanceId),
      ...fields,
      instanceId: record.instanceId.toLowerCase(),
      // Second line of defence: details are built from redacted errors already.
      detail: clip(redactText(record.detail), MAX_DETAIL),
    });
  };
  return {
    async get(pool, instanceId) {
      await ensure();
      try {
        const k = key(pool, instanceId);
        return fromEntity(await client.getEntity<Record<string, unknown>>(k.partitionKey, k.rowKey));
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async list(pool) {
      await ensure();
      const filter = odata`PartitionKey eq ${encodeKey(pool)}`;
      const out: DeliveryRecord[] = [];
      for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        out.push(fromEntity(e));
      }
      return out.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
    },
    async upsert(record) {
      await ensure();
      await client.upsertEntity(toEntity(record), 'Replace');
    },
    async upsertMany(records) {
      await ensure();
      // One entity-group transaction per pool and 100 rows: a sync writes its rows in one request.
      const byPool = new Map<string, DeliveryRecord[]>();
      for (const record of records) byPool.set(record.pool, [...(byPool.get(record.pool) ?? []), record]);
      for (const group of byPool.values()) {
        for (let i = 0; i < group.length; i += 100) {
          await client.submitTransaction(
            group.slice(i, i + 100).map((record) => ['upsert', toEntity(record), 'Replace'] as const),
          );
        }
      }
    },
    async delete(pool, instanceId) {
      await ensure();
      const k = key(pool, instanceId);
      try {
        await client.deleteEntity(k.partitionKey, k.rowKey);
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw error;
      }
    },
  };
}
