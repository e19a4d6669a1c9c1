/**
 * The claim-side reads and writes that this worker's inventory hints must hear about: taking a claim row
 * (insert-if-absent on instance and serial), dropping one, and point-reading one member. Going through these
 * keeps the hints current without any caller having to remember to update them (see `hints.ts`).
 */
import type { Entitlement } from '../../lib/fortiflex/types';
import type { Pool } from '../../lib/rules';
import { ConcurrencyError, type ClaimRecord, type EntitlementRecord } from '../../lib/state';
import type { PoolDeps } from './deps';
import { poolScope } from './records';

type RowDeps = Pick<PoolDeps, 'store' | 'hints'>;

/** How taking a claim row went. */
export type TakeResult =
  | { kind: 'taken'; claim: ClaimRecord }
  /** The instance already holds a claim (made elsewhere meanwhile). */
  | { kind: 'mine'; claim: ClaimRecord }
  /** Someone else holds the serial. */
  | { kind: 'lost' };

/** Creates the claim row for `claim` unless its instance or serial is taken. */
export async function takeClaimRow(deps: RowDeps, pool: Pool, claim: ClaimRecord): Promise<TakeResult> {
  try {
    const created = await deps.store.claims.create(claim);
    deps.hints.noteClaimed(pool, created);
    return { kind: 'taken', claim: created };
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    const mine = await deps.store.claims.get(pool.name, claim.instanceId);
    if (mine) {
      deps.hints.noteClaimed(pool, mine);
      return { kind: 'mine', claim: mine };
    }
    // The hint shows the serial claimed (by an instance unknown here) until a fresh snapshot says who.
    deps.hints.noteClaimed(pool, { ...claim, instanceId: '' });
    return { kind: 'lost' };
  }
}

/**
 * Deletes the claim row of `instanceId` on `serialNumber` (If-Match `etag` when given). Resolves to false
 * when there was no row to delete.
 */
export async function dropClaimRow(
  deps: RowDeps,
  pool: Pool,
  instanceId: string,
  serialNumber: string,
  etag?: string,
): Promise<boolean> {
  try {
    return await deps.store.claims.delete(pool.name, instanceId, etag);
  } finally {
    deps.hints.noteReleased(pool, serialNumber);
  }
}

/** One member's entitlement (undefined when FortiFlex does not list it) and record, read together. */
export async function readMember(
  deps: Pick<PoolDeps, 'client' | 'store' | 'hints'>,
  pool: Pool,
  serialNumber: string,
): Promise<{ entitlement?: Entitlement; record?: EntitlementRecord }> {
  const [entitlement, record] = await Promise.all([
    findEntitlement(deps, pool, serialNumber),
    deps.store.records.get(serialNumber),
  ]);
  deps.hints.noteMember(pool, serialNumber, entitlement, record);
  return { entitlement, record };
}

/** The member `serialNumber` as FortiFlex lists it now (undefined when it is not listed). */
export async function findEntitlement(
  deps: Pick<PoolDeps, 'client'>,
  pool: Pool,
  serialNumber: string,
): Promise<Entitlement | undefined> {
  const listed = await deps.client.listEntitlements(poolScope(pool), { serialNumber });
  return listed.find((candidate) => candidate.serialNumber === serialNumber);
}
