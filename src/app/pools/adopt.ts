/**
 * Adoption: an instance that already runs a licensed FortiGate is bound to the entitlement whose serial its
 * FortiOS reports — a claim row for that instance on that serial, its record and an audit row; no token is
 * regenerated or sent and the FortiGate is not touched (docs/architecture.md §"Licence delivery"). This turns
 * members "in use outside claims" into claims. A serial that is not the pool's, is claimed by another instance
 * or whose entitlement is not ACTIVE is reported, never adopted: two instances never share a licence.
 */
import { sameSerial } from '../../lib/fortios';
import type { Pool } from '../../lib/rules';
import { findEntitlement, takeClaimRow } from './claim-rows';
import type { PoolDeps } from './deps';
import { hasPoolMarker, POOL_ACTIONS } from './membership';
import { auditBestEffort, writeMemberRecord } from './records';

/** How an adoption went. */
export type AdoptOutcome =
  | { adopted: true; serialNumber: string }
  | { adopted: false; code: 'serialMismatch' | 'serialShared' | 'notActive'; detail: string };

/** Who adopts, for the audit. */
export interface AdoptContext {
  runId: string;
  actor: string;
}

/**
 * Binds `instanceId` (normalised, holding no claim) to `reportedSerial`. Adopts an entitlement of the pool,
 * or of the pool's config with no pool of its own (adoption brings it into the pool); refuses everything else.
 */
export async function adoptInstance(
  deps: Pick<PoolDeps, 'client' | 'store' | 'hints'>,
  pool: Pool,
  instanceId: string,
  reportedSerial: string,
  now: Date,
  context: AdoptContext,
): Promise<AdoptOutcome> {
  const refuse = (code: 'serialMismatch' | 'serialShared' | 'notActive', detail: string): AdoptOutcome => ({
    adopted: false,
    code,
    detail,
  });
  const entitlement = await findEntitlement(deps, pool, reportedSerial);
  if (!entitlement || !sameSerial(entitlement.serialNumber, reportedSerial)) {
    return refuse(
      'serialMismatch',
      `FortiGate reports serial ${reportedSerial}, which is no entitlement of config ${pool.configId}; not adopted`,
    );
  }
  const serialNumber = entitlement.serialNumber;
  const record = await deps.store.records.get(serialNumber);
  const markedElsewhere =
    /fortiflex-scaler pool /.test(entitlement.description) &&
    !hasPoolMarker(entitlement.description, pool.name);
  const recordedElsewhere =
    record?.pool !== undefined &&
    record.pool !== pool.name &&
    !hasPoolMarker(entitlement.description, pool.name);
  if (markedElsewhere || recordedElsewhere) {
    return refuse(
      'serialMismatch',
      `FortiGate reports serial ${serialNumber}, which belongs to another pool; not adopted`,
    );
  }
  const shared = (other: string): AdoptOutcome =>
    refuse(
      'serialShared',
      `FortiGate reports serial ${serialNumber}, already claimed by instance ${other}; not adopted (two FortiGates report one licence)`,
    );
  const holder = await deps.store.claims.findBySerial(pool.name, serialNumber);
  if (holder && holder.instanceId !== instanceId) return shared(holder.instanceId);
  if (entitlement.status !== 'ACTIVE') {
    return refuse(
      'notActive',
      `FortiGate reports serial ${serialNumber}, whose entitlement is ${entitlement.status}; not adopted`,
    );
  }
  if (!holder) {
    const taken = await takeClaimRow(deps, pool, {
      pool: pool.name,
      instanceId,
      serialNumber,
      claimedAt: now.toISOString(),
    });
    if (taken.kind === 'lost') {
      const winner = await deps.store.claims.findBySerial(pool.name, serialNumber);
      return shared(winner?.instanceId ?? 'another instance');
    }
    if (taken.kind === 'mine' && taken.claim.serialNumber !== serialNumber) {
      return refuse(
        'serialMismatch',
        `instance already claims ${taken.claim.serialNumber} but its FortiGate reports ${serialNumber}; not adopted`,
      );
    }
  }
  await writeMemberRecord(deps.store, pool, record, serialNumber, {
    stoppedByScaler: false,
    lastAction: POOL_ACTIONS.claimAssign,
    lastActionAt: now.toISOString(),
    lastReason: `adopted by instance ${instanceId} (its FortiGate reports this serial)`,
  });
  await auditBestEffort(deps.store, {
    at: now.toISOString(),
    runId: context.runId,
    actor: context.actor,
    pool: pool.name,
    serialNumber,
    action: 'adopt',
    outcome: 'succeeded',
    reason: `instance ${instanceId} runs a FortiGate licensed with this serial`,
    details: { instanceId, tokenStatus: entitlement.tokenStatus },
  });
  return { adopted: true, serialNumber };
}
