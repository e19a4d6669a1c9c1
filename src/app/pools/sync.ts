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
import type { AuditEntry, ClaimRecord, DeliveryRecord } from '../../lib/state';
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
import { loadInventory } from './inventory';
import { poolLeaseName } from './lease';
import { syncMessage } from './message';
import { planResize, targetSize } from './plan';
import { auditBestEffort, resolvePool } from './records';
import { releaseRow } from './release';
import { applySteps } from './steps';

/** Delays of the retry chain, by how often the slowest pending delivery was tried (seconds). */
export const RETRY_DELAYS_SECONDS: readonly number[] = [20, 40, 60, 120, 300];
/** FortiGates contacted at once. */
export const DELIVERY_CONCURRENCY = 32;
/** Wall time after which a sync starts no more instances (the pool lease lasts 60 s). */
export const SYNC_BUDGET_MS = 40_000;
/**
 * A claim made over HTTP by an instance the set does not list yet is kept this long (as the sweep does):
 * listings can lag the VM that asks.
 */
const UNLISTED_CLAIM_GRACE_MS = 10 * 60_000;

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

/** Maps with at most `limit` calls in flight, keeping order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      out[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
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
  await mapLimit(unclaimed, limit, async (instance) => {
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
  await mapLimit(firstPass, limit, (instance) => step(instance, readings.get(instance.name.toLowerCase())));

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
  await mapLimit(secondPass, limit, (instance) => step(instance, readings.get(instance.name.toLowerCase())));

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

/** Releases the claims of instances the scale set no longer lists (token regenerated, spare marked later). */
async function releaseGone(
  deps: PoolDeps,
  pool: Pool,
  claims: readonly ClaimRecord[],
  live: ReadonlyMap<string, ScaleSetInstance>,
  rowOf: ReadonlyMap<string, DeliveryRecord>,
  now: Date,
  options: SyncOptions,
  actor: string,
  report: SyncReport,
): Promise<void> {
  for (const claim of claims) {
    if (live.has(claim.instanceId)) continue;
    const age = now.getTime() - Date.parse(claim.renewedAt ?? claim.claimedAt);
    if (!rowOf.has(claim.instanceId) && age < UNLISTED_CLAIM_GRACE_MS) continue;
    try {
      await releaseRow(deps, pool, claim, now, {
        runId: options.runId,
        actor,
        regenerateToken: true,
        notifyPool: false,
        reason: 'instance deleted from the scale set',
      });
      await deps.store.deliveries.delete(pool.name, claim.instanceId);
      report.instances.push({
        instanceId: claim.instanceId,
        serialNumber: claim.serialNumber,
        state: 'released',
        detail: 'instance gone from the scale set: claim released, token regenerated',
      });
    } catch (error) {
      report.instances.push({
        instanceId: claim.instanceId,
        serialNumber: claim.serialNumber,
        state: 'failed',
        detail: `instance gone, release failed (claim kept, retried next sync): ${errorMessage(error)}`,
      });
    }
  }
}

/**
 * Brings the pool to what its instances need: every claim, every FortiGate in use outside claims, plus `need`
 * new licences, within the bounds in force. Growth takes the cheapest members first and creates the rest in
 * one call; surplus spares are marked for release (stopped just before the next Pacific midnight).
 */
async function resizeFor(
  deps: PoolDeps,
  policy: Awaited<ReturnType<typeof resolvePool>>['policy'],
  pool: Pool,
  need: number,
  now: Date,
  runId: string,
  actor: string,
  report: SyncReport,
): Promise<void> {
  const inventory = await loadInventory(deps, policy, pool, now);
  const target = targetSize(inventory, { desired: inventory.claimed + inventory.inUse + need });
  const steps = planResize(inventory, target);
  if (steps.length === 0) return;
  const applied = await applySteps(
    deps,
    inventory,
    steps,
    { runId, actor, reason: `licence delivery: ${need} instance(s) need a licence` },
    now,
  );
  report.created.push(...applied.created);
  for (const failure of applied.failed) report.warnings.push(`resize ${failure.step.kind}: ${failure.error}`);
}

/**
 * Sends the delayed `sync` that retries pending deliveries. One retry chain per pool: a sync started by
 * another trigger sends one only when no retry is already due within its delay.
 */
async function scheduleRetry(
  deps: PoolDeps,
  pool: Pool,
  options: SyncOptions,
  now: Date,
  wall: () => number,
  attempts: number,
  report: SyncReport,
): Promise<void> {
  const delays = options.retryDelaysSeconds ?? RETRY_DELAYS_SECONDS;
  const delay = delays[Math.min(Math.max(attempts - 1, 0), delays.length - 1)] ?? 60;
  try {
    const fresh = await deps.store.events.remember(
      `delivery-retry:${pool.name}`,
      delay * 1000,
      new Date(wall()),
    );
    if (!fresh && !options.retry) return;
    await deps.store.queue.send(
      syncMessage(pool.name, 'delivery', 'retry deliveries waiting for their FortiGates', now, true),
      { delaySeconds: delay },
    );
    report.retryInSeconds = delay;
  } catch (error) {
    // The sweep syncs the pool anyway; a lost retry only delays the delivery.
    report.warnings.push(`retry not scheduled: ${errorMessage(error)}`);
  }
}

/** `pool adopt`: reads the unclaimed FortiGates and adopts the licensed ones, changing nothing else. */
export function adoptPool(
  deps: PoolDeps,
  poolName: string,
  options: Omit<SyncOptions, 'adoptOnly' | 'retry'>,
): Promise<SyncReport> {
  return syncPool(deps, poolName, { ...options, adoptOnly: true });
}
