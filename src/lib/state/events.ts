/**
 * Table `events`: webhook dedupe keys and release memory, with an expiry. A key is hashed into the row key
 * (keys can be long and contain any character) and spread over 256 partitions by its first hash byte.
 * `remember` is the one write (insert-if-absent, or taking over an expired row If-Match); `has` only reads,
 * so asking never leaves a row behind. Expired rows are deleted by `purgeExpired` (the pool sweep calls it).
 */
import { createHash } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { clip, isConflict, statusOf } from './keys';
import type { StateStore } from './types';

/** Bounded: each round either decides or observed a concurrent change that the next round resolves. */
const MAX_ROUNDS = 4;

function keysOf(key: string): { partitionKey: string; rowKey: string } {
  const hash = createHash('sha256').update(key).digest('hex');
  return { partitionKey: `e${hash.slice(0, 2)}`, rowKey: hash };
}

/** The `events` part of the store. */
export function eventsStore(client: TableClient, ensure: () => Promise<void>): StateStore['events'] {
  return {
    async remember(key, ttlMs, now) {
      if (!(ttlMs > 0)) throw new RangeError('events.remember: ttlMs must be positive');
      await ensure();
      const entity = {
        ...keysOf(key),
        key: clip(key, 512),
        expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
      };
      for (let round = 0; round < MAX_ROUNDS; round += 1) {
        try {
          await client.createEntity(entity);
          return true;
        } catch (error) {
          if (statusOf(error) !== 409) throw error;
        }
        let existing;
        try {
          existing = await client.getEntity<{ expiresAt?: string }>(entity.partitionKey, entity.rowKey);
        } catch (error) {
          if (statusOf(error) === 404) continue; // purged meanwhile: try the insert again
          throw error;
        }
        if (typeof existing.expiresAt === 'string' && existing.expiresAt > now.toISOString()) return false;
        try {
          // Expired: take it over, but only if nobody else did since we read it.
          await client.updateEntity(entity, 'Replace', { etag: existing.etag });
          return true;
        } catch (error) {
          if (statusOf(error) === 404) continue;
          if (isConflict(error)) return false;
          throw error;
        }
      }
      return false;
    },

    async has(key, now) {
      await ensure();
      const { partitionKey, rowKey } = keysOf(key);
      try {
        const existing = await client.getEntity<{ expiresAt?: string }>(partitionKey, rowKey);
        return typeof existing.expiresAt === 'string' && existing.expiresAt > now.toISOString();
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw error;
      }
    },

    async purgeExpired(now, limit = 1000) {
      if (!(limit >= 1)) throw new RangeError('events.purgeExpired: limit must be at least 1');
      await ensure();
      let purged = 0;
      const filter = odata`expiresAt lt ${now.toISOString()}`;
      for await (const e of client.listEntities<{ expiresAt?: string }>({ queryOptions: { filter } })) {
        if (purged >= limit) break;
        try {
          await client.deleteEntity(String(e.partitionKey), String(e.rowKey), { etag: e.etag });
          purged += 1;
        } catch (error) {
          // Re-remembered or already gone: not ours to delete.
          if (statusOf(error) !== 404 && !isConflict(error)) throw error;
        }
      }
      return purged;
    },
  };
}
