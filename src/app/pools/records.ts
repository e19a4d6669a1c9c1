/**
 * The writes every pool use case shares: resolving the pool a request names, the pool's FortiFlex scope, the
 * member record write, the best-effort audit row, and creating entitlements for a pool (with the description
 * marker that makes them recoverable members; see `membership.ts`).
 */
import type { Entitlement } from '../../lib/fortiflex/types';
import type { Policy, Pool } from '../../lib/rules';
import type { AuditEntry, EntitlementRecord, StateStore } from '../../lib/state';
import { NotFoundError } from '../errors';
import type { PoolDeps } from './deps';
import { poolDescription } from './membership';

/** Thrown when a route or command names a pool the policy does not define. */
export class UnknownPoolError extends NotFoundError {
  override readonly name = 'UnknownPoolError';
  constructor(readonly pool: string) {
    super(`pool "${pool}" is not defined in the policy`);
  }
}

/** The pool named `name` in `policy`, or an {@link UnknownPoolError}. */
export function findPool(policy: Policy, name: string): Pool {
  const pool = policy.pools.find((candidate) => candidate.name === name);
  if (!pool) throw new UnknownPoolError(name);
  return pool;
}

/** Loads the policy and finds the pool a request names. */
export async function resolvePool(
  deps: Pick<PoolDeps, 'loadPolicy'>,
  name: string,
): Promise<{ policy: Policy; pool: Pool }> {
  const policy = await deps.loadPolicy();
  return { policy, pool: findPool(policy, name) };
}

/** The FortiFlex scope of a pool's entitlements: its config in its account. */
export function poolScope(pool: Pool): { configId: number; accountId?: number } {
  return { configId: pool.configId, accountId: pool.fortiflex.accountId };
}

/**
 * Writes a member's record: `change` over the existing record (or a new one), always naming the pool. The
 * write is unconditional (an upsert): pool records change only under the pool lease or behind a claim row.
 */
export async function writeMemberRecord(
  store: Pick<StateStore, 'records'>,
  pool: Pool,
  existing: EntitlementRecord | undefined,
  serialNumber: string,
  change: Partial<EntitlementRecord>,
): Promise<void> {
  const base: EntitlementRecord = existing
    ? { ...existing }
    : { serialNumber, stoppedByScaler: false, pool: pool.name };
  delete base.etag;
  await store.records.upsert({ ...base, pool: pool.name, ...change, serialNumber });
}

/** Appends an audit row; a failure is swallowed, because it must not undo or block a change already made. */
export async function auditBestEffort(store: Pick<StateStore, 'audit'>, entry: AuditEntry): Promise<void> {
  await store.audit.append(entry).catch(() => undefined);
}

/** Creates `count` entitlements for the pool, described with its marker and in its folder. */
export async function createForPool(
  deps: Pick<PoolDeps, 'client'>,
  pool: Pool,
  count: number,
): Promise<Entitlement[]> {
  return deps.client.createVmEntitlements({
    configId: pool.configId,
    count,
    description: poolDescription(pool),
    ...(pool.folderPath ? { folderPath: pool.folderPath } : {}),
  });
}
