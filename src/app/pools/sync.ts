/**
 * The per-pool sync of licence delivery (docs/architecture.md §"Licence delivery"), under the pool lease, for
 * pools with `scaleSet` and `fortigate`. Every trigger ends here (the autoscale webhook and alerts through the
 * worker, Event Grid resource events, the delayed retries, the reconcile sweep, `pool sync`), and running it
 * again changes nothing that is already right:
 *
 * 1. Discover: the scale set's instances with power state and primary private IP (one listing).
 * 2. Release: a claim whose instance the set no longer lists is released with its token regenerated, so a
 *    leftover disk cannot use it; the pool then marks the spare for release, stopped just before the next
 *    Pacific midnight unless a new instance takes it first (the pools' deferral).
 * 3. Read every unclaimed running FortiGate; one that runs a licensed serial is adopted (`adopt.ts`).
 * 4. Resize the pool once to what the instances need (cheapest first: cancel releases, reactivate, unpark,
 *    then one create for the rest), so N new instances cost at most one create call.
 * 5. Per instance, concurrently: claim, send the token, confirm (`delivery.ts`).
 * 6. Store the delivery rows and audit rows; when a FortiGate is still booting, send one delayed `sync`
 *    message (visibility timeout) instead of waiting.
 */
import type { ScaleSetInstance } from '../../lib/azure/compute';
import { errorMessage } from '../../lib/error-message';
import type { Pool } from '../../lib/rules';
import { mapWithConcurrency } from '../../lib/concurrency';
import type { AuditEntry, DeliveryRecord } from '../../lib/state';
import { InvalidRequestError } from '../errors';
import type { ClaimOptions } from './claims';
import {
  advanceDelivery,
  type DeliveryContext,
  type DeliveryStepResult,
  type InstanceReport,
  type PriorReading,
} from './delivery';
import type { PoolDeps } from './deps';
import {
  connectorFor,
  isEvaluation,
  classifyFortiOsFailure,
  readFortiGate,
  type FortiGateConnector,
} from './fortigate-access';
import { poolLeaseName } from './lease';
import { auditBestEffort, resolvePool } from './records';
import { releaseGone, resizeFor, scheduleRetry } from './sync-steps';

export { RETRY_DELAYS_SECONDS } from './sync-steps';
/** FortiGates contacted at once. */
export const DELIVERY_CONCURRENCY = 32;
/** Wall time after which a sync starts no more instances (the pool lease lasts 60 s). */
export const SYNC_BUDGET_MS = 40_000;

/** The pool has no licence delivery configured, or the app has no Azure access. */
export class DeliveryNotConfiguredError extends InvalidRequestError {
  override readonly name = 'DeliveryNotConfiguredError';
}

/** Options of {@link syncPool}. */
export interface SyncOptions {
  runId: string;
  actor?: string;
  /** Longest wait for the pool lease. Default 10 s. */
  leaseWaitMs?: number;
  /** The sync runs for a message of the retry chain: it may schedule the next retry whatever came before. */
  retry?: boolean;
  /** Retry delays (tests shorten them). */
  retryDelaysSeconds?: readonly number[];
  concurrency?: number;
  budgetMs?: number;
  /** Budget of one FortiOS request. */
  fortiosTimeoutMs?: number;
  /** Wall-clock milliseconds for the budget and the retry dedupe (never the simulated run clock). */
  wallClock?: () => number;
  /** Adoption only: read FortiGates and adopt licensed ones; no release, resize, claim or token. */
  adoptOnly?: boolean;
}

/** What one sync did. */
export interface SyncReport {
  pool: string;
  at: string;
  instances: InstanceReport[];
  /** Serials the resize created. */
  created: string[];
  /** Set when the sync could not run (scale set not listed, FortiGate access not configured). */
  error?: string;
  /** Seconds until the delayed retry, when one was sent. */
  retryInSeconds?: number;
  /** Things to show next to the report (an `insecure` TLS mode, resize steps that failed). */
  warnings: string[];
}

/** The pool named `poolName`, checked for delivery. */
async function deliveryPool(deps: PoolDeps, poolName: string) {
  const { policy, pool } = await resolvePool(deps, poolName);
  if (!pool.fortigate || !pool.scaleSet)
    throw new DeliveryNotConfiguredError(
      `pool "${pool.name}": licence delivery needs pools[].fortigate and pools[].scaleSet.resourceId in the policy`,
      'pool',
    );
  if (!deps.compute)
    throw new DeliveryNotConfiguredError(
      'Azure access is not configured: run with a managed identity, or set AZURE_RESOURCE_MANAGER_ENDPOINT and AZURE_RESOURCE_MANAGER_TOKEN for a simulator',
      'pool',
    );
  return { policy, pool };
}

/** Runs one sync of `poolName` under its lease (throws `PoolBusyError` when the lease stays busy). */
export async function syncPool(deps: PoolDeps, poolName: string, options: SyncOptions): Promise<SyncReport> {
  const { policy, pool } = await deliveryPool(deps, poolName);
  return deps.leases.withLease(poolLeaseName(pool.name), () => syncUnderLease(deps, policy, pool, options), {
    waitMs: options.leaseWaitMs ?? 10_000,
  });
}

/** One body at a time, for the claims' lease path inside a sync that holds the lease. */
function serializer(): <T>(body: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(body: () => Promise<T>): Promise<T> => {
    const run = tail.then(body, body);
    tail = run.catch(() => undefined);
    return run;
  };
}

async function syncUnderLease(
  deps: PoolDeps,
  policy: Awaited<ReturnType<typeof resolvePool>>['policy'],
  pool: Pool,
  options: SyncOptions,
): Promise<SyncReport> {
  const now = deps.now();
  const wall = options.wallClock ?? Date.now;
  const started = wall();
  const actor = options.actor ?? 'delivery';
  const report: SyncReport = {
    pool: pool.name,
    at: now.toISOString(),
    instances: [],
    created: [],
    warnings: [],
  };
  const failSync = async (error: string): Promise<SyncReport> => {
    report.error = error;
    await auditBestEffort(deps.store, {
      at: now.toISOString(),
      runId: options.runId,
      actor,
      pool: pool.name,
      action: 'deliverySync',
      outcome: 'failed',
      reason: 'licence delivery sync could not run',
      error,
    });
    return report;
  };

  let instances: ScaleSetInstance[];
  try {
    instances = (await deps.compute!.listScaleSetInstances(pool.scaleSet!.resourceId)).instances;
  } catch (error) {
    await failSync(`scale set not listed: ${errorMessage(error)}`);
    // Throttled or briefly unavailable: nothing was released; the retry (or the sweep) lists again.
    await scheduleRetry(deps, pool, options, now, wall, 0, report);
    return report;
  }
  const [claims, rows] = await Promise.all([
    deps.store.claims.list(pool.name),
    deps.store.deliveries.list(pool.name),
  ]);
  const live = new Map(instances.map((instance) => [instance.name.toLowerCase(), instance]));
  const claimOf = new Map(claims.map((claim) => [claim.instanceId, claim]));
  const rowOf = new Map(rows.map((row) => [row.instanceId, row]));

  if (!options.adoptOnly) await releaseGone(deps, pool, claims, live, rowOf, now, options, actor, report);
  for (const row of rows) {
    if (!live.has(row.instanceId) && !claimOf.has(row.instanceId))
      await deps.store.deliveries.delete(pool.name, row.instanceId);
  }

  let connector: FortiGateConnector;
  try {
    connector = await connectorFor(deps, pool, options.fortiosTimeoutMs);
  } catch (error) {
    const detail = errorMessage(error);
    for (const instance of instances)
      report.instances.push({ instanceId: instance.name.toLowerCase(), state: 'failed', detail });
    return failSync(detail);
  }
  if (connector.tlsMode === 'insecure')
    report.warnings.push(
      `pool "${pool.name}": fortigate.tls is insecure — FortiGate certificates are not checked, the API key can be stolen on the path`,
    );

  const mutex = serializer();
  const claimOptions: ClaimOptions = { runId: options.runId, actor, underHeldLease: mutex };
  const ctx: DeliveryContext = {
    deps,
    pool,
    connector,
    now,
    runId: options.runId,
    actor,
    claimOptions,
    ...(options.adoptOnly && { adoptOnly: true }),
  };
  const limit = options.concurrency ?? DELIVERY_CONCURRENCY;
  const budget = options.budgetMs ?? SYNC_BUDGET_MS;
  const results = new Map<string, DeliveryStepResult>();
  const step = async (instance: ScaleSetInstance, prior?: PriorReading): Promise<void> => {
    const id = instance.name.toLowerCase();
    if (wall() - started > budget) {
      results.set(id, {
        report: {
          instanceId: id,
          state: 'pending',
          detail: 'deferred to the next sync (this one used its time)',
        },
        retrySoon: true,
        audit: [],
      });
      return;
    }
    try {
      results.set(id, await advanceDelivery(ctx, instance, rowOf.get(id), claimOf.get(id), prior));
    } catch (error) {
      // Storage or an unexpected failure for this instance only: the others go on.
      results.set(id, {
        report: { instanceId: id, state: 'failed', detail: `delivery step failed: ${errorMessage(error)}` },
        retrySoon: true,
        audit: [],
      });
    }
  };

  // Read the unclaimed running FortiGates first: licensed ones are adopted before the pool is resized.
  const unclaimed = instances.filter(
    (i) => !claimOf.has(i.name.toLowerCase()) && i.powerState === 'running' && i.privateIp !== undefined,
  );
  const readings = new Map<string, PriorReading>();
  await mapWithConcurrency(unclaimed, limit, async (instance) => {
    let client;
    try {
      client = connector.client(instance.privateIp!, rowOf.get(instance.name.toLowerCase())?.fingerprint);
    } catch {
      return; // advanceDelivery reports the bad address
    }
    const reading = await readFortiGate(client).catch((error: unknown) => ({ error }));
    readings.set(instance.name.toLowerCase(), { client, reading });
  });
  const willClaim = (instance: ScaleSetInstance): boolean => {
    const prior = readings.get(instance.name.toLowerCase());
    if (!prior)
      return (
        instance.powerState === 'starting' ||
        instance.powerState === 'unknown' ||
        instance.powerState === 'running'
      );
    return 'error' in prior.reading
      ? classifyFortiOsFailure(prior.reading.error).retrySoon
      : isEvaluation(prior.reading);
  };
  const firstPass = unclaimed.filter((instance) => !willClaim(instance));
  await mapWithConcurrency(firstPass, limit, (instance) =>
    step(instance, readings.get(instance.name.toLowerCase())),
  );

  if (options.adoptOnly) {
    // Adoption changes nothing for instances that hold a claim already.
    for (const instance of instances) {
      const id = instance.name.toLowerCase();
      const claim = claimOf.get(id);
      if (!claim) continue;
      const row = rowOf.get(id);
      results.set(id, {
        report: {
          instanceId: id,
          serialNumber: claim.serialNumber,
          state: row?.state ?? 'pending',
          detail: row ? row.detail : `holds claim ${claim.serialNumber}; not checked by adoption`,
        },
        retrySoon: false,
        audit: [],
      });
    }
  }
  const secondPass = instances.filter((instance) => !results.has(instance.name.toLowerCase()));
  if (!options.adoptOnly) {
    const need = secondPass.filter((i) => !claimOf.has(i.name.toLowerCase()) && willClaim(i)).length;
    await resizeFor(deps, policy, pool, need, now, options.runId, actor, report);
  }
  await mapWithConcurrency(secondPass, limit, (instance) =>
    step(instance, readings.get(instance.name.toLowerCase())),
  );

  const audit: AuditEntry[] = [];
  const writes: DeliveryRecord[] = [];
  let retryAttempts: number | undefined;
  for (const instance of instances) {
    const result = results.get(instance.name.toLowerCase());
    if (!result) continue;
    report.instances.push(result.report);
    if (!options.adoptOnly) audit.push(...result.audit);
    // Adoption writes only what it adopted.
    if (options.adoptOnly && result.report.state !== 'adopted') continue;
    if (result.row) writes.push(result.row);
    if (result.retrySoon) {
      const attempts = result.row?.attempts ?? 1;
      retryAttempts = retryAttempts === undefined ? attempts : Math.min(retryAttempts, attempts);
    }
  }
  if (writes.length > 0) await deps.store.deliveries.upsertMany(writes);
  if (audit.length > 0) await deps.store.audit.appendMany(audit).catch(() => undefined);
  report.instances.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  if (retryAttempts !== undefined && !options.adoptOnly)
    await scheduleRetry(deps, pool, options, now, wall, retryAttempts, report);
  return report;
}

/** `pool adopt`: reads the unclaimed FortiGates and adopts the licensed ones, changing nothing else. */
export function adoptPool(
  deps: PoolDeps,
  poolName: string,
  options: Omit<SyncOptions, 'adoptOnly' | 'retry'>,
): Promise<SyncReport> {
  return syncPool(deps, poolName, { ...options, adoptOnly: true });
}
