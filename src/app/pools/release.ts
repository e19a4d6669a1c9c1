/**
 * Releasing a claim: by its instance (HTTP DELETE, the CLI) or by the sweep when the instance is gone.
 *
 * A release regenerates any token it must kill and writes the member's record while the claim row still keeps
 * other claims off the serial: a token regenerated after the row went could kill the token a new claim had
 * just revealed. When the departed instance's used token stays in place, the record says `claimRelease`: the
 * token's user is known gone, so the member is a spare again. A token that must be killed but could not be
 * for a transient reason keeps the row (the caller answers 503, the sweep tries again next run).
 *
 * An incomplete claim (see `claim-attempt.ts`) revealed no token, so releasing it regenerates nothing unless
 * asked; one whose attempt is still at work is not released at all (a `ClaimBusyError`): that attempt could
 * still change the license after the row went. A release of an instance that holds no claim reads only.
 */
import { errorMessage } from '../../lib/error-message';
import type { Pool } from '../../lib/rules';
import { ConcurrencyError, type ClaimRecord } from '../../lib/state';
import { isTransient, NotFoundError } from '../errors';
import { ClaimBusyError, isAbandoned, isComplete } from './claim-attempt';
import { dropClaimRow, findEntitlement } from './claim-rows';
import type { ClaimOptions } from './claims';
import type { PoolDeps } from './deps';
import { isMarkedForRelease, POOL_ACTIONS } from './membership';
import { settleMessage } from './message';
import { auditBestEffort, resolvePool, writeMemberRecord } from './records';

/** A release for an instance that holds no claim (and did not release recently). */
export class ClaimNotFoundError extends NotFoundError {
  override readonly name = 'ClaimNotFoundError';
  constructor(pool: string, instanceId: string) {
    super(`pool "${pool}": instance "${instanceId}" holds no claim`);
  }
}

/** How long a release is remembered so that a second DELETE answers 204. */
export const RELEASE_MEMORY_MS = 24 * 60 * 60 * 1000;

const releaseKey = (pool: string, instanceId: string): string => `release:${pool}:${instanceId}`;

/** Options of {@link releaseClaim}. */
export interface ReleaseOptions extends ClaimOptions {
  /** Regenerate the token even if it was used, so the departed instance's token is dead. */
  regenerateToken?: boolean;
  /** Queue a `settle` message so the pool decides whether to stop the freed license. Default true. */
  notifyPool?: boolean;
}

/** What a release did. */
export type ReleaseOutcome = 'released' | 'alreadyReleased';

/**
 * Releases the claim of `instanceId`. A second release within {@link RELEASE_MEMORY_MS} answers
 * `alreadyReleased`; an instance that never held a claim throws {@link ClaimNotFoundError}.
 */
export async function releaseClaim(
  deps: PoolDeps,
  poolName: string,
  instanceId: string,
  options: ReleaseOptions,
): Promise<ReleaseOutcome> {
  const { pool } = await resolvePool(deps, poolName);
  const now = deps.now();
  const claim = await deps.store.claims.get(pool.name, instanceId);
  if (!claim) {
    // A read only: a rejected release changes nothing.
    if (await deps.store.events.has(releaseKey(pool.name, instanceId), now)) return 'alreadyReleased';
    throw new ClaimNotFoundError(pool.name, instanceId);
  }
  await releaseRow(deps, pool, claim, now, options);
  return 'released';
}

/**
 * Releases a claim row and does the follow-up (token, record, memory, audit, settle); shared with the sweep.
 * Resolves to false when the row was already gone (or, for an incomplete claim, taken over meanwhile).
 * Throws `ClaimBusyError` for an incomplete claim whose attempt is at work, and a transient failure when a
 * token that must be killed could not be (the row stays).
 */
export async function releaseRow(
  deps: PoolDeps,
  pool: Pool,
  claim: ClaimRecord,
  now: Date,
  options: ReleaseOptions & { reason?: string },
): Promise<boolean> {
  const complete = isComplete(claim);
  if (!complete && !isAbandoned(claim, (deps.wallClock ?? Date.now)())) {
    throw new ClaimBusyError(pool.name, claim.instanceId);
  }
  let tokenError: string | undefined;
  let regenerated = false;
  let tokenUsed: boolean | undefined;
  const record = await deps.store.records.get(claim.serialNumber);
  const marked = isMarkedForRelease(record);
  try {
    const entitlement = await findEntitlement(deps, pool, claim.serialNumber);
    if (!entitlement) throw new Error(`pool "${pool.name}": entitlement ${claim.serialNumber} is not listed`);
    tokenUsed = entitlement.tokenStatus === 'USED';
    // A revealed token that was never used could still license another VM: kill it. A member marked for
    // release (a scale-in debt) gets a fresh token too, so it stays a plain unused member until it stops.
    // An incomplete claim revealed no token.
    if (options.regenerateToken || (complete && (!tokenUsed || marked))) {
      await deps.client.regenerateToken({ serialNumber: claim.serialNumber });
      regenerated = true;
      tokenUsed = false;
    }
  } catch (error) {
    // FortiFlex or storage briefly unavailable: the row keeps guarding the serial until a retry can do it.
    if (isTransient(error)) throw error;
    tokenError = errorMessage(error);
  }
  // With the departed instance's token still in place, `claimRelease` says the scaler let that instance go,
  // so the used token no longer counts as in use. With a fresh token the entitlement itself says unused, and
  // the record must not vouch for whoever uses the new token later. A debt keeps its release mark.
  if (!(marked && tokenUsed === false)) {
    await writeMemberRecord(deps.store, pool, record, claim.serialNumber, {
      lastAction: tokenUsed === false ? POOL_ACTIONS.claimReleaseNewToken : POOL_ACTIONS.claimRelease,
      lastActionAt: now.toISOString(),
      lastReason: options.reason ?? `released by instance ${claim.instanceId}`,
    });
  }
  let removed: boolean;
  try {
    removed = await dropClaimRow(deps, pool, claim.instanceId, claim.serialNumber, claim.etag);
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    // An incomplete claim that changed was taken over by its instance's retry: that attempt owns it now.
    if (!complete) return false;
    // Renewed meanwhile: the instance is alive and asked again; release what is there now.
    removed = await dropClaimRow(deps, pool, claim.instanceId, claim.serialNumber);
  }
  await deps.store.events.remember(releaseKey(pool.name, claim.instanceId), RELEASE_MEMORY_MS, now);
  if (!removed) return false;
  await auditBestEffort(deps.store, {
    at: now.toISOString(),
    runId: options.runId,
    actor: options.actor ?? 'claims',
    pool: pool.name,
    serialNumber: claim.serialNumber,
    action: 'release',
    outcome: tokenError ? 'failed' : 'succeeded',
    reason: options.reason ?? `released by instance ${claim.instanceId}`,
    ...(tokenError ? { error: `token not regenerated: ${tokenError}` } : {}),
    details: {
      instanceId: claim.instanceId,
      tokenRegenerated: regenerated,
      ...(!complete && { incompleteClaim: true }),
    },
  });
  if (options.notifyPool !== false) {
    const message = settleMessage(pool.name, 'release', `license released by ${claim.instanceId}`, now);
    // The sweep settles the pool anyway; a lost notification only delays the stop.
    await deps.store.queue.send(message).catch(() => undefined);
  }
  return true;
}
