/**
 * The steps of a pool sync (`sync.ts`) that act on the pool as a whole: release the claims of instances the
 * scale set no longer lists, resize the pool once for the instances that need a licence, and schedule the
 * delayed retry of deliveries whose FortiGate is not reachable yet (docs/architecture.md §"Licence delivery").
 */
import type { ScaleSetInstance } from '../../lib/azure/compute';
import { errorMessage } from '../../lib/error-message';
import type { Policy, Pool } from '../../lib/rules';
import type { ClaimRecord, DeliveryRecord } from '../../lib/state';
import type { PoolDeps } from './deps';
import { loadInventory } from './inventory';
import { syncMessage } from './message';
import { planResize, targetSize } from './plan';
import { releaseRow } from './release';
import { applySteps } from './steps';
import type { SyncOptions, SyncReport } from './sync';

/** Delays of the retry chain, by how often the slowest pending delivery was tried (seconds). */
export const RETRY_DELAYS_SECONDS: readonly number[] = [20, 40, 60, 120, 300];
/**
 * A claim made over HTTP by an instance the set does not list yet is kept this long (as the sweep does):
 * listings can lag the VM that asks.
 */
const UNLISTED_CLAIM_GRACE_MS = 10 * 60_000;

/** Releases the claims of instances the scale set no longer lists (token regenerated, spare marked later). */
export async function releaseGone(
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
export async function resizeFor(
  deps: PoolDeps,
  policy: Policy,
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
export async function scheduleRetry(
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
