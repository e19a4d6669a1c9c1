/**
 * One claim attempt on one claim row, and what a claim does with a row its instance already has
 * (docs/architecture.md §"Claim and release").
 *
 * A claim row is created incomplete (`complete: false`, with the attempt's id and start) and marked complete,
 * If-Match, only once the license is ready; only the attempt that completed the row reveals the token. (A
 * member that needs no change, an unused token on a license that is not stopped, gets a complete row at
 * once; a complete row is never given back by a failing attempt.) So:
 * - a repeat answers only from a complete row; an incomplete row whose attempt is alive is waited for briefly,
 *   then answered with {@link ClaimBusyError} (503 + `Retry-After`): an instance is told one serial and one
 *   unused token, never the previous VM's token or a serial whose claim is about to be given back;
 * - an attempt that fails after it may have changed the license keeps the row, marked failed: the license
 *   stays held for the instance, whose retry takes the row over at once and finishes from what it finds. A
 *   failure before any change gives the row back;
 * - a row whose attempt died with its process (not completed within {@link STALE_ATTEMPT_MS}; an attempt stops
 *   calling FortiFlex after {@link ATTEMPT_BUDGET_MS}) is taken over by the instance's next claim, or released
 *   by the sweep;
 * - an attempt whose row changed while it worked (taken over, released) does not answer.
 * Readying regenerates a used (or a stopped member's) token before it reactivates and before it rewrites the
 * record, so wherever a failure or a kill lands, the license is never left ACTIVE with a used token, no claim
 * and a record that does not say the scaler released it ("in use outside claims").
 */
import { randomUUID } from 'node:crypto';
import type { Entitlement } from '../../lib/fortiflex/types';
import type { Pool } from '../../lib/rules';
import { ConcurrencyError, type ClaimRecord, type EntitlementRecord } from '../../lib/state';
import { BusyError } from '../errors';
import { dropClaimRow, findEntitlement, readMember, takeClaimRow } from './claim-rows';
import type { ClaimOptions, ClaimOutcome, ClaimSource } from './claims';
import type { PoolDeps } from './deps';
import { isMarkedForRelease, isReleasedByScaler, POOL_ACTIONS, type PoolMember } from './membership';
import { auditBestEffort, poolScope, writeMemberRecord } from './records';

/** Longest time one attempt keeps calling FortiFlex; past it, the attempt gives up (its calls are aborted). */
export const ATTEMPT_BUDGET_MS = 60_000;
/** An incomplete row whose attempt started longer ago than this belongs to a dead attempt. */
export const STALE_ATTEMPT_MS = 90_000;
/** How long a repeat claim waits for another attempt of the same instance to complete. */
export const REPEAT_WAIT_MS = 3_000;

/** The instance's claim is being readied by another attempt; the same request succeeds shortly. */
export class ClaimBusyError extends BusyError {
  override readonly name = 'ClaimBusyError';
  constructor(pool: string, instanceId: string) {
    super(`pool "${pool}": the claim of instance "${instanceId}" is still being prepared; retry shortly`, 2);
  }
}

/** True when a license must change before its token may be revealed: stopped, or its token was used. */
function needsChange(entitlement: Entitlement): boolean {
  return entitlement.status === 'STOPPED' || entitlement.tokenStatus === 'USED';
}

/** True when the claim row says its license is ready (rows from before completeness count as ready). */
export function isComplete(claim: ClaimRecord): boolean {
  return claim.complete !== false;
}

/** Wall-clock milliseconds of the attempt readying an incomplete row (0 when it says none). */
function attemptStart(claim: ClaimRecord): number {
  const at = claim.attemptAt === undefined ? Number.NaN : Date.parse(claim.attemptAt);
  return Number.isFinite(at) ? at : 0;
}

/** True when an incomplete row's attempt gave up or died: someone else may finish or release it. */
export function isAbandoned(claim: ClaimRecord, wallMs: number): boolean {
  return (
    !isComplete(claim) && (claim.attemptFailed === true || wallMs - attemptStart(claim) >= STALE_ATTEMPT_MS)
  );
}

/** True when an incomplete row's attempt stopped long enough ago for the sweep to give the license back. */
export function isStaleIncomplete(claim: ClaimRecord, wallMs: number): boolean {
  return !isComplete(claim) && wallMs - attemptStart(claim) >= STALE_ATTEMPT_MS;
}

const wallClock = (deps: Pick<PoolDeps, 'wallClock'>): number => (deps.wallClock ?? Date.now)();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function expiry(pool: Pool, now: Date): string | undefined {
  return pool.claimTtlMinutes
    ? new Date(now.getTime() + pool.claimTtlMinutes * 60_000).toISOString()
    : undefined;
}

/**
 * Tries to take `member` for the instance: creates the incomplete claim row (insert-if-absent on instance and
 * serial), readies the license and completes the row. Undefined when the serial was taken by someone else (or
 * the instance's own row went away meanwhile); the instance's own claim when it holds one already.
 */
export async function tryClaim(
  deps: PoolDeps,
  pool: Pool,
  instanceId: string,
  member: PoolMember,
  now: Date,
  options: ClaimOptions,
  source: ClaimSource,
): Promise<ClaimOutcome | undefined> {
  const expiresAt = expiry(pool, now);
  // A member whose license needs no change (unused token, not stopped) is ready as it is: its row is
  // complete from the start, which keeps the common claim at one claim-row write.
  const ready = !needsChange(member.entitlement);
  const taken = await takeClaimRow(deps, pool, {
    pool: pool.name,
    instanceId,
    serialNumber: member.entitlement.serialNumber,
    claimedAt: now.toISOString(),
    ...(expiresAt ? { expiresAt } : {}),
    ...(ready
      ? { complete: true }
      : { complete: false, attemptId: randomUUID(), attemptAt: new Date(wallClock(deps)).toISOString() }),
  });
  if (taken.kind === 'mine') return answerExisting(deps, pool, taken.claim, options);
  if (taken.kind === 'lost') return undefined;
  return readyClaim(deps, pool, taken.claim, member, now, options, source);
}

/**
 * What a claim answers for a row its instance already has: a complete row is a repeat; an incomplete one is
 * waited for (up to `options.repeatWaitMs`), taken over when its attempt failed or died, or answered with
 * {@link ClaimBusyError}. Undefined when the row went away (its attempt gave it back unchanged): the caller
 * claims afresh.
 */
export async function answerExisting(
  deps: PoolDeps,
  pool: Pool,
  claim: ClaimRecord,
  options: ClaimOptions,
): Promise<ClaimOutcome | undefined> {
  const waitUntil = wallClock(deps) + (options.repeatWaitMs ?? REPEAT_WAIT_MS);
  let current: ClaimRecord | undefined = claim;
  let delay = 25;
  // Bounded: every round either answers, waits (until the deadline) or lost a race that the next read sees.
  for (let round = 0; round < 64 && current; round += 1) {
    if (isComplete(current)) return repeatClaim(deps, pool, current);
    if (isAbandoned(current, wallClock(deps))) {
      const mine = await takeOver(deps, current);
      if (mine) return readyClaim(deps, pool, mine, undefined, deps.now(), options, 'resumed');
    } else {
      if (wallClock(deps) >= waitUntil) break;
      await sleep(delay);
      delay = Math.min(delay * 2, 400);
    }
    current = await deps.store.claims.get(pool.name, claim.instanceId);
  }
  if (!current) return undefined;
  throw new ClaimBusyError(pool.name, claim.instanceId);
}

/** Takes an abandoned row over for a new attempt (If-Match); undefined when someone changed it first. */
async function takeOver(deps: PoolDeps, claim: ClaimRecord): Promise<ClaimRecord | undefined> {
  try {
    return await deps.store.claims.update({
      ...claim,
      attemptId: randomUUID(),
      attemptAt: new Date(wallClock(deps)).toISOString(),
      attemptFailed: false,
    });
  } catch (error) {
    if (error instanceof ConcurrencyError) return undefined;
    throw error;
  }
}

/**
 * Readies the license of an incomplete row this attempt owns and completes the row; see the module comment.
 * `member` is what the caller just read (the member is read afresh when absent: a takeover).
 */
async function readyClaim(
  deps: PoolDeps,
  pool: Pool,
  claim: ClaimRecord,
  member: Pick<PoolMember, 'entitlement' | 'record'> | undefined,
  now: Date,
  options: ClaimOptions,
  source: ClaimSource,
): Promise<ClaimOutcome> {
  const { serialNumber, instanceId } = claim;
  const deadline = wallClock(deps) + ATTEMPT_BUDGET_MS;
  /** Options of one FortiFlex change: aborted when the attempt's budget runs out. */
  const budget = () => {
    const left = deadline - wallClock(deps);
    if (left <= 0) throw new ClaimBusyError(pool.name, instanceId);
    return { signal: AbortSignal.timeout(left) };
  };
  // Whether the license may differ from what the attempt found: a change was asked for (a failed call may
  // still have been applied).
  let changed = false;
  // Whether the row stopped being this attempt's (taken over or released) before it could complete it.
  let lost = false;
  try {
    let entitlement: Entitlement | undefined;
    let record: EntitlementRecord | undefined;
    if (member) ({ entitlement, record } = member);
    else ({ entitlement, record } = await readMember(deps, pool, serialNumber));
    if (!entitlement) throw new Error(`pool "${pool.name}": entitlement ${serialNumber} is not listed`);
    const wasStopped = entitlement.status === 'STOPPED';
    // The token first (regeneration works on STOPPED too): from here on the member reads as unused.
    if (wasStopped || entitlement.tokenStatus === 'USED') {
      const call = budget();
      changed = true;
      entitlement = await deps.client.regenerateToken({ serialNumber }, call);
    }
    if (entitlement.status === 'STOPPED') {
      const call = budget();
      changed = true;
      entitlement = await deps.client.reactivateEntitlement({ serialNumber, scope: poolScope(pool) }, call);
    }
    // A release mark or a `claimRelease` record must not outlive the new claim: it would vouch for this
    // instance's token once the claim is gone.
    if (wasStopped || isMarkedForRelease(record) || isReleasedByScaler(record)) {
      await writeMemberRecord(deps.store, pool, record, serialNumber, {
        stoppedByScaler: false,
        ...(wasStopped ? { previousStatus: 'STOPPED' } : {}),
        lastAction: POOL_ACTIONS.claimAssign,
        lastActionAt: now.toISOString(),
        lastReason: `claimed by ${instanceId}`,
      });
    }
    try {
      if (!isComplete(claim)) {
        await deps.store.claims.update({ ...claim, complete: true, attemptFailed: false });
      }
    } catch (error) {
      // Taken over or released while this attempt worked: the token may be replaced; the row's owner answers.
      if (!(error instanceof ConcurrencyError)) throw error;
      lost = true;
      throw new ClaimBusyError(pool.name, instanceId);
    }
    await auditBestEffort(deps.store, {
      at: now.toISOString(),
      runId: options.runId,
      actor: options.actor ?? 'claims',
      pool: pool.name,
      serialNumber,
      action: 'claim',
      outcome: 'succeeded',
      reason: `claimed by instance ${instanceId}`,
      details: { instanceId, source },
    });
    return {
      serialNumber,
      token: entitlement.token,
      status: entitlement.status === 'STOPPED' ? 'ACTIVE' : entitlement.status,
      source,
    };
  } catch (error) {
    // A complete row stands: a repeat may already have answered from it, and the instance's retry will. A lost
    // row is someone else's now.
    if (lost || isComplete(claim)) throw error;
    if (changed) {
      // Held for the instance's retry, which takes the row over at once (or the sweep releases it).
      await deps.store.claims.update({ ...claim, attemptFailed: true }).catch(() => undefined);
    } else {
      // Nothing changed: give the serial back so another claim can use it.
      await dropClaimRow(deps, pool, instanceId, serialNumber, claim.etag).catch(() => undefined);
    }
    throw error;
  }
}

/**
 * A repeat claim of a complete row: the same serial and its current token (never regenerated); reactivated
 * if someone stopped it meanwhile. Renews the claim when its TTL asks for it.
 */
async function repeatClaim(deps: PoolDeps, pool: Pool, claim: ClaimRecord): Promise<ClaimOutcome> {
  const now = deps.now();
  const expiresAt = expiry(pool, now);
  const renewedMs = Date.parse(claim.renewedAt ?? claim.claimedAt);
  // Renew at most every tenth of the TTL: repeats stay read-only in a retry storm.
  const due = !(now.getTime() - renewedMs < (pool.claimTtlMinutes ?? 0) * 6_000);
  // Renewal is best effort (a concurrent repeat renewing the same claim is just as good) and independent of
  // the entitlement, so both go out together.
  const renewal =
    expiresAt && due
      ? deps.store.claims.update({ ...claim, renewedAt: now.toISOString(), expiresAt }).then(
          () => undefined,
          (error: unknown) => {
            if (!(error instanceof ConcurrencyError)) throw error;
          },
        )
      : Promise.resolve();
  let [entitlement] = await Promise.all([findEntitlement(deps, pool, claim.serialNumber), renewal]);
  if (!entitlement) throw new Error(`pool "${pool.name}": entitlement ${claim.serialNumber} is not listed`);
  if (entitlement.status === 'STOPPED') {
    entitlement = await deps.client.reactivateEntitlement({
      serialNumber: claim.serialNumber,
      scope: poolScope(pool),
    });
  }
  return {
    serialNumber: entitlement.serialNumber,
    token: entitlement.token,
    status: entitlement.status,
    source: 'repeat',
  };
}
