/**
 * Reads a pool's inventory: its entitlements (one `entitlements/list` of the pool's config), the scaler's
 * records and the pool's claims, in parallel, classified by `membership.ts`.
 */
import type { Entitlement } from '../../lib/fortiflex/types';
import { compileSchedules, type CompiledSchedule, type Policy, type Pool } from '../../lib/rules';
import type { ClaimRecord, EntitlementRecord } from '../../lib/state';
import type { PoolDeps } from './deps';
import { buildInventory, capacityInForce, type PoolInventory } from './membership';
import { poolScope } from './records';

const compiled = new WeakMap<Policy, Map<string, CompiledSchedule>>();

/** The policy's compiled schedules, compiled once per policy object (holiday calendars are costly). */
export function schedulesOf(policy: Policy): Map<string, CompiledSchedule> {
  let schedules = compiled.get(policy);
  if (!schedules) compiled.set(policy, (schedules = compileSchedules(policy)));
  return schedules;
}

/** The three reads an inventory is built from, started together. */
export interface InventoryReads {
  entitlements: Promise<Entitlement[]>;
  records: Promise<EntitlementRecord[]>;
  claims: Promise<ClaimRecord[]>;
}

/**
 * Starts the reads of a pool's inventory in parallel. `listed` (the pool's entitlements as a caller listed
 * them earlier) replaces the FortiFlex read. Callers that may not need every read (a repeat claim needs only
 * the entitlements) can await them separately; rejections are pre-handled so an unused read never surfaces
 * as an unhandled rejection.
 */
export function startInventoryReads(
  deps: Pick<PoolDeps, 'client' | 'store'>,
  pool: Pool,
  listed?: readonly Entitlement[],
): InventoryReads {
  const reads: InventoryReads = {
    entitlements: listed ? Promise.resolve([...listed]) : deps.client.listEntitlements(poolScope(pool)),
    records: deps.store.records.list(),
    claims: deps.store.claims.list(pool.name),
  };
  for (const read of Object.values(reads)) (read as Promise<unknown>).catch(() => undefined);
  return reads;
}

/** Builds the inventory at `at` from reads of the pool (started now unless given). */
export async function loadInventory(
  deps: Pick<PoolDeps, 'client' | 'store'>,
  policy: Policy,
  pool: Pool,
  at: Date,
  reads: InventoryReads = startInventoryReads(deps, pool),
): Promise<PoolInventory> {
  const [entitlements, records, claims] = await Promise.all([
    reads.entitlements,
    reads.records,
    reads.claims,
  ]);
  return buildInventory({
    pool,
    at,
    bounds: capacityInForce(pool, schedulesOf(policy), at),
    entitlements,
    records: records.filter((record) => record.pool === undefined || record.pool === pool.name),
    claims,
  });
}
