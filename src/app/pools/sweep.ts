/**
 * The pool sweep, run by reconcile at the end of every run (`sweepPools(deps, now)`): releases claims whose
 * instance is gone, then settles every pool (bounds in force, scale-in debts, due stops). A pool in a scope
 * the run already listed settles on that listing when it shows nothing to do, so a quiet run lists each
 * account+program once in all (see `RunListing` in `../reconcile/listing.ts`).
 *
 * An instance is gone when the pool names a scale set and a lister is available (`deps.scaleSets`: the
 * composition root provides the Azure lister when the app runs with a managed identity that has Reader on
 * the scale set) and the scale set no longer lists a VM of that name; otherwise when its claim expired
 * (`claimTtlMinutes`, renewed by every repeat claim). A lister failure never releases anything by listing;
 * expiry still applies. A claim that never completed (its attempt failed or died, and the instance did not
 * come back within `STALE_ATTEMPT_MS`) is released too: it revealed no token, so the license simply returns
 * to the pool. A released license whose used token stays in place is recorded as `claimRelease` (its user is
 * known gone), which makes it a spare again; licenses in use outside claims are never stopped by the settle
 * (see `membership.ts`). Each sweep also purges expired webhook dedupe keys and release memory (`events`).
 */
import type { Entitlement } from '../../lib/fortiflex/types';
import type { ScaleSetLister } from '../../lib/azure/scale-set-lister';
import { errorMessage } from '../../lib/error-message';
import type { Policy, Pool } from '../../lib/rules';
import type { ClaimRecord } from '../../lib/state';
import { scopeKey, type RunListing } from '../reconcile/listing';
import { isStaleIncomplete } from './claim-attempt';
import type { PoolDeps } from './deps';
import { PoolBusyError } from './lease';
import { releaseRow } from './release';
import { syncPool, type SyncReport } from './sync';
import { settlePool, type ScaleOutcome } from './worker';

/** Claims younger than this are kept even if the scale set does not list the VM yet. */
export const CLAIM_GRACE_MS = 10 * 60_000;

/** What the claim sweep did for one pool. */
export interface ClaimSweepReport {
  pool: string;
  released: { instanceId: string; serialNumber: string; reason: string }[];
  /** Set when the scale set or the claims could not be listed. */
  listError?: string;
  /** Releases that failed (the claim stays; the next sweep tries again). */
  releaseErrors?: string[];
}

/** What the pool sweep did. */
export interface PoolSweepReport {
  claims: ClaimSweepReport[];
  /** `busy`: the pool's lease was held by another run, which settles it anyway. */
  pools: (ScaleOutcome | { pool: string; error: string; busy?: boolean })[];
  /** Licence delivery syncs of pools with `fortigate` (the safety net of the other triggers). */
  deliveries?: (SyncReport | { pool: string; error: string })[];
  /** Expired dedupe keys and release memory deleted (undefined when the purge failed). */
  eventsPurged?: number;
  purgeError?: string;
}

/** Expired `events` rows one sweep deletes at most (the rest go in later sweeps). */
const PURGE_LIMIT = 500;

/** Options of the sweeps. */
export interface SweepOptions {
  runId?: string;
  /** Policy to use instead of `deps.loadPolicy()` (reconcile already has it). */
  policy?: Policy;
  /** What the calling run already listed; see {@link RunListing}. */
  listing?: RunListing;
}

/**
 * The pool's entitlements from the run's listing when that listing still describes them: listed by this
 * run, in the pool's scope, and no change of this run on the pool's config. Undefined means the pool lists
 * its own. (The sweep also lists its own for a pool where it released a claim: a release can regenerate a
 * token.)
 */
export function listedPoolEntitlements(
  listing: RunListing | undefined,
  runId: string,
  pool: Pool,
): Entitlement[] | undefined {
  if (!listing || listing.runId !== runId || listing.changedConfigs.has(pool.configId)) return undefined;
  return listing.scopes.get(scopeKey(pool.fortiflex))?.filter((e) => e.configId === pool.configId);
}

/**
 * Releases the claims of instances that no longer exist, in every pool. Each pool is isolated: a failure
 * in one is reported and the others still run.
 */
export async function sweepClaims(
  deps: PoolDeps,
  now: Date,
  options: SweepOptions = {},
): Promise<ClaimSweepReport[]> {
  return releaseGoneClaims(deps, now, options, new Set());
}

/** {@link sweepClaims}, adding to `tried` the name of every pool where a release was attempted. */
async function releaseGoneClaims(
  deps: PoolDeps,
  now: Date,
  options: SweepOptions,
  tried: Set<string>,
): Promise<ClaimSweepReport[]> {
  const policy = options.policy ?? (await deps.loadPolicy());
  const lister = deps.scaleSets;
  const reports: ClaimSweepReport[] = [];
  for (const pool of policy.pools) {
    const report: ClaimSweepReport = { pool: pool.name, released: [] };
    reports.push(report);
    try {
      const claims = await deps.store.claims.list(pool.name);
      if (claims.length === 0) continue;
      const gone = await goneClaims(pool, claims, now, lister, report, (deps.wallClock ?? Date.now)());
      for (const { claim, reason } of gone) {
        // A release may regenerate the token even when it then fails or finds the row gone.
        tried.add(pool.name);
        try {
          const released = await releaseRow(deps, pool, claim, now, {
            runId: options.runId ?? `sweep-${now.toISOString()}`,
            actor: 'sweep',
            reason,
            notifyPool: false,
          });
          if (released) {
            report.released.push({ instanceId: claim.instanceId, serialNumber: claim.serialNumber, reason });
          }
        } catch (error) {
          (report.releaseErrors ??= []).push(`release of ${claim.instanceId}: ${errorMessage(error)}`);
        }
      }
    } catch (error) {
      report.listError ??= errorMessage(error);
    }
  }
  return reports;
}

async function goneClaims(
  pool: Pool,
  claims: readonly ClaimRecord[],
  now: Date,
  lister: ScaleSetLister | undefined,
  report: ClaimSweepReport,
  wallMs: number,
): Promise<{ claim: ClaimRecord; reason: string }[]> {
  const gone = new Map<string, { claim: ClaimRecord; reason: string }>();
  if (pool.scaleSet && lister) {
    try {
      const names = new Set((await lister(pool.scaleSet.resourceId)).map((name) => name.toLowerCase()));
      for (const claim of claims) {
        const age = now.getTime() - Date.parse(claim.renewedAt ?? claim.claimedAt);
        if (!names.has(claim.instanceId.toLowerCase()) && age >= CLAIM_GRACE_MS) {
          gone.set(claim.instanceId, { claim, reason: 'instance no longer in the scale set' });
        }
      }
    } catch (error) {
      report.listError = `scale set not listed: ${errorMessage(error)}`;
    }
  }
  for (const claim of claims) {
    if (gone.has(claim.instanceId)) continue;
    if (claim.expiresAt && Date.parse(claim.expiresAt) <= now.getTime()) {
      gone.set(claim.instanceId, { claim, reason: 'claim expired without renewal' });
    } else if (isStaleIncomplete(claim, wallMs)) {
      gone.set(claim.instanceId, { claim, reason: 'claim never completed' });
    }
  }
  return [...gone.values()];
}

/**
 * The sweep reconcile calls at the end of each run: releases claims of gone instances, then settles every
 * pool under its lease (capacity bounds of the schedule in force, scale-in debts, deferred stops that are
 * due). A pool whose lease is busy is skipped this time (its holder settles it anyway).
 */
export async function sweepPools(
  deps: PoolDeps,
  now: Date,
  options: SweepOptions = {},
): Promise<PoolSweepReport> {
  const policy = options.policy ?? (await deps.loadPolicy());
  const runId = options.runId ?? `sweep-${now.toISOString()}`;
  const deliveries = await syncDeliveries(deps, policy, now, runId);
  const releasing = new Set<string>();
  const claims = await releaseGoneClaims(deps, now, { policy, runId }, releasing);
  const pools: PoolSweepReport['pools'] = [];
  for (const pool of policy.pools) {
    const listed = releasing.has(pool.name)
      ? undefined
      : listedPoolEntitlements(options.listing, runId, pool);
    try {
      pools.push(
        await settlePool({ ...deps, now: () => now }, policy, pool, {
          runId,
          actor: 'sweep',
          leaseWaitMs: 0,
          ...(listed && { listed }),
        }),
      );
    } catch (error) {
      pools.push({
        pool: pool.name,
        error: errorMessage(error),
        ...(error instanceof PoolBusyError && { busy: true }),
      });
    }
  }
  // Nothing reads an expired row as live (`remember` takes one over, `has` ignores it); purging keeps the
  // table from growing with every alert and release.
  const purge = await deps.store.events.purgeExpired(now, PURGE_LIMIT).then(
    (eventsPurged) => ({ eventsPurged }),
    (error: unknown) => ({ purgeError: errorMessage(error) }),
  );
  return { claims, pools, ...(deliveries.length > 0 && { deliveries }), ...purge };
}

/** Syncs every pool with licence delivery; a pool whose lease is busy is skipped (its holder syncs it). */
async function syncDeliveries(
  deps: PoolDeps,
  policy: Policy,
  now: Date,
  runId: string,
): Promise<NonNullable<PoolSweepReport['deliveries']>> {
  const out: NonNullable<PoolSweepReport['deliveries']> = [];
  if (!deps.compute) return out;
  for (const pool of policy.pools) {
    if (!pool.fortigate || !pool.scaleSet) continue;
    try {
      out.push(
        await syncPool({ ...deps, now: () => now, loadPolicy: () => policy }, pool.name, {
          runId,
          actor: 'sweep',
          leaseWaitMs: 0,
        }),
      );
    } catch (error) {
      out.push({ pool: pool.name, error: errorMessage(error) });
    }
  }
  return out;
}
