/**
 * Exclusive locks as blob leases in container `scaler-leases`: one empty blob per lock name, created on first
 * use. A crashed holder frees the lock when the lease expires (15–60 s) unless renewed.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { codeOf, isConflict, statusOf } from './keys';
import { ConcurrencyError, type Lease, type StateStore } from './types';

/** The `leases` part of the store. */
export function leasesStore(container: ContainerClient, ensure: () => Promise<void>): StateStore['leases'] {
  return {
    async acquire(name, ttlSeconds) {
      if (!Number.isInteger(ttlSeconds) || ttlSeconds < 15 || ttlSeconds > 60) {
        throw new RangeError(`leases.acquire: ttlSeconds ${ttlSeconds} — expected an integer from 15 to 60`);
      }
      if (name === '' || name.length > 200)
        throw new RangeError('leases.acquire: name must be 1-200 characters');
      await ensure();
      const blob = container.getBlockBlobClient(encodeURIComponent(name));
      const leaseClient = blob.getBlobLeaseClient();
      for (let attempt = 0; attempt < 2; attempt += 1) {
        try {
          await leaseClient.acquireLease(ttlSeconds);
          break;
        } catch (error) {
          if (statusOf(error) === 409) return null; // LeaseAlreadyPresent: someone else holds it
          if (statusOf(error) !== 404 || attempt > 0) throw error;
          // First use of this name: create the empty blob (a racing creator is fine), then acquire.
          try {
            await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
          } catch (createError) {
            if (!isConflict(createError)) throw createError;
          }
        }
      }
      const lease: Lease = {
        name,
        id: leaseClient.leaseId,
        async renew() {
          try {
            await leaseClient.renewLease();
          } catch (error) {
            if (isConflict(error) || statusOf(error) === 404) {
              throw new ConcurrencyError(
                `lease "${name}" was lost (${codeOf(error) ?? statusOf(error)})`,
                statusOf(error),
                {
                  cause: error,
                },
              );
            }
            throw error;
          }
        },
        async release() {
          try {
            await leaseClient.releaseLease();
          } catch (error) {
            // Already taken over by another holder, or the blob is gone: nothing of ours left to free.
            if (!isConflict(error) && statusOf(error) !== 404) throw error;
          }
        },
      };
      return lease;
    },
  };
}
