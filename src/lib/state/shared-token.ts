/**
 * The FortiFlex client's {@link SharedTokenStore} over Azure Blob Storage: one blob per API user in container
 * `scaler-tokens`, holding the token already sealed by the client (this module never sees it in clear). The
 * renewal lock is a 15-second lease on that same blob, and a publish is a write conditioned on the lease, so
 * only the lock holder can replace the token; a crashed holder frees the lock when the lease runs out.
 */
import type { ContainerClient } from '@azure/storage-blob';
import type { SharedTokenLock, SharedTokenStore } from '../fortiflex/shared-token';
import { isConflict, statusOf } from './keys';

/** Lease duration of the renewal lock (the storage minimum: a login takes well under a second). */
export const TOKEN_LOCK_SECONDS = 15;

async function text(body: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!body) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** The store over `container`; `ensure` creates the container on first use. */
export function sharedTokenStore(container: ContainerClient, ensure: () => Promise<void>): SharedTokenStore {
  const blobOf = (key: string) => container.getBlockBlobClient(`${encodeURIComponent(key)}.json`);
  return {
    async read(key) {
      await ensure();
      try {
        const reply = await blobOf(key).download();
        const value = await text(reply.readableStreamBody);
        // An empty blob is the lease anchor created before the first publish.
        return value === '' || !reply.etag ? undefined : { value, etag: reply.etag };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },

    async lock(key) {
      await ensure();
      const blob = blobOf(key);
      const lease = blob.getBlobLeaseClient();
      for (let attempt = 0; ; attempt += 1) {
        try {
          await lease.acquireLease(TOKEN_LOCK_SECONDS);
          break;
        } catch (error) {
          if (statusOf(error) === 409) return null; // another process is renewing
          if (statusOf(error) !== 404 || attempt > 0) throw error;
          try {
            await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
          } catch (createError) {
            if (!isConflict(createError)) throw createError;
          }
        }
      }
      const held: SharedTokenLock = {
        async write(value) {
          await blob.upload(value, Buffer.byteLength(value), {
            conditions: { leaseId: lease.leaseId },
            blobHTTPHeaders: { blobContentType: 'application/json' },
          });
        },
        async release() {
          try {
            await lease.releaseLease();
          } catch (error) {
            if (!isConflict(error) && statusOf(error) !== 404) throw error;
          }
        },
      };
      return held;
    },
  };
}
