/**
 * The pool sweep, run by reconcile at the end of every run (`sweepPools(deps, now)`): releases claims whose
 * instance is gone, then settles every pool (bounds in force, scale-in debts, due stops). A pool in a scope
 * the run already listed settles on that listing when it shows nothing to do, so a quiet run lists each
 * account+program once in all (see {@link RunListing}).
 *
 * An instance is gone when the pool names a scale set and a lister is available (managed identity with
 * Reader on the scale set; `deps.scaleSets`, defaulting to the Azure lister when the app runs with a managed
 * identity) and the scale set no longer lists a VM of that name; otherwise when its claim
 * expired (`claimTtlMinutes`, renewed by every repeat claim). A lister failure never releases anything by
 * listing; expiry still applies. A released license whose used token stays in place is recorded as
 * `claimRelease` (its user is known gone), which makes it a spare again; licenses in use outside claims are
 * never stopped by the settle (see `pools.ts`).
 */
import type { Entitlement } from '../lib/fortiflex/types';
import type { Policy, Pool } from '../lib/rules';
import type { ClaimRecord } from '../lib/state';
import { releaseRow } from './claims';
import type { PoolDeps, ScaleSetLister } from './pools';
import { errorText, settlePool, type ScaleOutcome } from './scale';

/** Claims younger than this are kept even if the scale set does not list the VM yet. */
export const CLAIM_GRACE_MS = 10 * 60_000;

/** What the claim sweep did for one pool. */
export interface ClaimSweepReport {
  pool: string;
  released: { instanceId: string; serialNumber: string; reason: string }[];
  /** Set when the scale set could not be listed. */
  listError?: string;
}

/** What the pool sweep did. */
export interface PoolSweepReport {
  claims: ClaimSweepReport[];
  pools: (ScaleOutcome | { pool: string; error: string })[];
}

/** Options of the sweeps. */
export interface SweepOptions {
  runId?: string;
  /** Policy to use instead of `deps.loadPolicy()` (reconcile already has it). */
  policy?: Policy;
  /** What the calling run already listed; see {@link RunListing}. */
  listing?: RunListing;
}

/**
 * The entitlements a reconcile run listed, handed to the sweep at the end of the same run so that a pool in a
 * listed account+program needs no list of its own (reconcile lists each scope once).
 */
export interface RunListing {
  /** The run that listed them; a listing of any other run is ignored. */
  runId: string;
  /** Entitlements per listed scope, keyed by {@link scopeKey}. A scope whose list failed is absent. */
  scopes: ReadonlyMap<string, readonly Entitlement[]>;
  /**
   * Config ids of entitlements the run tried to change (the config of each planned action and the target of
   * a switch): their listing is out of date, so pools on them list again.
   */
  changedConfigs: ReadonlySet<number>;
}

/** Key of an account+program scope in {@link RunListing.scopes}. */
export function scopeKey(scope: { accountId: number; programSerialNumber: string }): string {
  return `${scope.accountId}|${scope.programSerialNumber}`;
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
  // Dependencies that do not say (the app's own) get the production lister when Azure access exists.
  const lister = 'scaleSets' in deps ? deps.scaleSets : defaultScaleSetLister();
  const reports: ClaimSweepReport[] = [];
  for (const pool of policy.pools) {
    const report: ClaimSweepReport = { pool: pool.name, released: [] };
    reports.push(report);
    try {
      const claims = await deps.store.claims.list(pool.name);
      if (claims.length === 0) continue;
      const gone = await goneClaims(pool, claims, now, lister, report);
      for (const { claim, reason } of gone) {
        // A release may regenerate the token even when it then fails or finds the row gone.
        tried.add(pool.name);
        const released = await releaseRow(deps, pool, claim, now, {
          runId: options.runId ?? `sweep-${now.toISOString()}`,
          actor: 'sweep',
          reason,
          notifyPool: false,
        });
        if (released) {
          report.released.push({ instanceId: claim.instanceId, serialNumber: claim.serialNumber, reason });
        }
      }
    } catch (error) {
      report.listError ??= errorText(error);
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
      report.listError = `scale set not listed: ${errorText(error)}`;
    }
  }
  for (const claim of claims) {
    if (claim.expiresAt && Date.parse(claim.expiresAt) <= now.getTime() && !gone.has(claim.instanceId)) {
      gone.set(claim.instanceId, { claim, reason: 'claim expired without renewal' });
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
      pools.push({ pool: pool.name, error: errorText(error) });
    }
  }
  return { claims, pools };
}

/** Splits `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<n>`. */
export function parseScaleSetId(resourceId: string): {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
} {
  const match =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/([^/]+)\/?$/i.exec(
      resourceId.trim(),
    );
  if (!match) {
    throw new Error(
      'scaleSet.resourceId: expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<name>',
    );
  }
  return { subscriptionId: match[1]!, resourceGroup: match[2]!, name: match[3]! };
}

/**
 * True when Azure access for listing scale sets is configured: the app runs in Azure with a managed identity
 * (the platform sets `IDENTITY_ENDPOINT`). Give that identity Reader on each pool's scale set.
 */
export function azureAccessConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.IDENTITY_ENDPOINT);
}

/** The part of `ComputeManagementClient` the lister uses. */
export interface ScaleSetVmsClient {
  virtualMachineScaleSetVMs: { list(resourceGroup: string, name: string): AsyncIterable<{ name?: string }> };
}

/**
 * A lister over `@azure/arm-compute`: the `name` of every VM in the scale set (the name a FortiGate reads
 * from IMDS `compute.name`). Uses `DefaultAzureCredential` unless a credential is given; `createClient`
 * replaces the SDK client (tests).
 */
export function createAzureScaleSetLister(
  options: {
    credential?: import('@azure/identity').TokenCredential;
    createClient?: (subscriptionId: string) => ScaleSetVmsClient | Promise<ScaleSetVmsClient>;
  } = {},
): ScaleSetLister {
  const clients = new Map<string, Promise<ScaleSetVmsClient>>();
  const create =
    options.createClient ??
    (async (subscriptionId: string): Promise<ScaleSetVmsClient> => {
      const [{ ComputeManagementClient }, identity] = await Promise.all([
        import('@azure/arm-compute'),
        import('@azure/identity'),
      ]);
      return new ComputeManagementClient(
        options.credential ?? new identity.DefaultAzureCredential(),
        subscriptionId,
      );
    });
  return async (resourceId) => {
    const { subscriptionId, resourceGroup, name } = parseScaleSetId(resourceId);
    let client = clients.get(subscriptionId);
    if (!client) {
      client = Promise.resolve(create(subscriptionId));
      clients.set(subscriptionId, client);
    }
    const names: string[] = [];
    for await (const vm of (await client).virtualMachineScaleSetVMs.list(resourceGroup, name)) {
      if (vm.name) names.push(vm.name);
    }
    return names;
  };
}

let productionLister: ScaleSetLister | undefined;

/** The production lister when Azure access is configured, else undefined (claims expire by TTL). */
export function defaultScaleSetLister(env: NodeJS.ProcessEnv = process.env): ScaleSetLister | undefined {
  if (!azureAccessConfigured(env)) return undefined;
  productionLister ??= createAzureScaleSetLister();
  return productionLister;
}
