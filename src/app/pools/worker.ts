/**
 * The pool worker's use cases: apply one `scaler-work` message to its pool (resize, then settle), and settle
 * a pool (bounds in force and due releases), both under the pool lease, each first resolving the changes a
 * killed run left open (`intents.ts`). Member failures are audited and reported, not thrown; a busy lease, an
 * unknown pool or a storage failure throws (so a queue message is retried).
 */
import { createHash } from 'node:crypto';
import type { Entitlement } from '../../lib/fortiflex/types';
import type { Policy, Pool } from '../../lib/rules';
import type { PoolDeps } from './deps';
import { resolveIntents } from './intents';
import { loadInventory, startInventoryReads } from './inventory';
import { poolLeaseName } from './lease';
import type { PoolInventory } from './membership';
import type { ScaleMessage } from './message';
import { planDue, planResize, targetSize, type PoolStep } from './plan';
import { resolvePool } from './records';
import { applySteps, mergeReports, type ApplyReport, type RunContext } from './steps';

/** How long the worker remembers the event of a resize it applied (as long as the webhook dedupes). */
const APPLIED_TTL_MS = 24 * 60 * 60 * 1000;

/** What one worker run did to a pool. */
export interface ScaleOutcome {
  pool: string;
  before: number;
  target: number;
  after: number;
  bounds: { min: number; max: number };
  applied: PoolStep[];
  failed: { step: PoolStep; error: string }[];
  created: string[];
}

/** Options of {@link applyScaleMessage}. */
export interface ScaleRunOptions {
  runId: string;
  actor?: string;
  /** How long to wait for the pool lease before giving up with `PoolBusyError`. */
  leaseWaitMs?: number;
}

/**
 * Applies one message to its pool under the pool lease: resize (for `scale`), then enforce the bounds in
 * force and run due releases. Member failures are audited and reported, not thrown; a busy lease, an
 * unknown pool or a storage failure throws (so a queue message is retried).
 */
export async function applyScaleMessage(
  deps: PoolDeps,
  message: ScaleMessage,
  options: ScaleRunOptions,
): Promise<ScaleOutcome> {
  const { policy, pool } = await resolvePool(deps, message.pool);
  return underPoolLease(deps, pool, options, message.reason, async (now, run) => {
    let inventory = await loadInventory(deps, policy, pool, now);
    // Changes a killed run left open are recorded before anything is planned (see intents.ts).
    if ((await resolveIntents(deps, inventory, run, now)) > 0) {
      inventory = await loadInventory(deps, policy, pool, now);
    }
    // The host delivers a message again when an earlier attempt threw after its resize (a settle that
    // failed), and a send the webhook took for failed may have arrived after all: one event resizes once.
    const resize =
      message.kind === 'scale' &&
      (message.eventKey === undefined ||
        (await deps.store.events.remember(
          `applied:${pool.name}:${createHash('sha256').update(message.eventKey).digest('hex')}`,
          APPLIED_TTL_MS,
          now,
        )));
    const target = targetSize(inventory, resize ? message.change : { delta: 0 });
    // A settle message only enforces bounds and due releases, which settleLoaded does.
    const steps = resize ? planResize(inventory, target) : [];
    const resized = await applySteps(deps, inventory, steps, run, now);
    const settled = await settleLoaded(deps, policy, pool, run, now);
    return {
      pool: pool.name,
      before: inventory.size,
      target,
      after: settled.size,
      bounds: { min: inventory.bounds.min, max: inventory.bounds.max },
      applied: [...resized.applied, ...settled.report.applied],
      failed: [...resized.failed, ...settled.report.failed],
      created: resized.created,
    };
  });
}

/** Runs `fn` under the pool's lease with the run's clock reading and audit context. */
function underPoolLease<T>(
  deps: PoolDeps,
  pool: Pool,
  options: ScaleRunOptions,
  reason: string,
  fn: (now: Date, run: RunContext) => Promise<T>,
): Promise<T> {
  return deps.leases.withLease(
    poolLeaseName(pool.name),
    () => fn(deps.now(), { runId: options.runId, actor: options.actor ?? 'scale', reason }),
    { waitMs: options.leaseWaitMs ?? 10_000 },
  );
}

/** True when settling the inventory would change something: the bounds in force or a due release. */
function needsSettling(inventory: PoolInventory, now: Date): boolean {
  return targetSize(inventory, { delta: 0 }) !== inventory.size || planDue(inventory, now).length > 0;
}

/**
 * Enforces the bounds in force and runs due releases, and returns the pool's size afterwards plus the
 * inventory the changes were planned on. Caller holds the pool lease.
 *
 * Without `start` the pool is read first. With it, that inventory is used; a `provisional` one (built on
 * entitlements listed before the lease was taken) may only decide that nothing is to be done: when it shows
 * work, the pool is read again under the lease and the work planned on that, so every change rests on a
 * read made while no other lease holder can change the pool.
 */
async function settleLoaded(
  deps: PoolDeps,
  policy: Policy,
  pool: Pool,
  run: RunContext,
  now: Date,
  start?: { inventory: PoolInventory; provisional: boolean },
): Promise<{ size: number; report: ApplyReport; base: PoolInventory }> {
  let inventory = start?.inventory ?? (await loadInventory(deps, policy, pool, now));
  if (start?.provisional && needsSettling(inventory, now)) {
    inventory = await loadInventory(deps, policy, pool, now);
  }
  const base = inventory;
  const report: ApplyReport = { applied: [], failed: [], created: [] };
  const bounded = targetSize(inventory, { delta: 0 });
  if (bounded !== inventory.size) {
    const boundsRun = { ...run, reason: `capacity bounds ${inventory.bounds.min}..${inventory.bounds.max}` };
    mergeReports(report, await applySteps(deps, inventory, planResize(inventory, bounded), boundsRun, now));
    inventory = await loadInventory(deps, policy, pool, now);
  }
  const due = planDue(inventory, now);
  if (due.length > 0) {
    mergeReports(
      report,
      await applySteps(deps, inventory, due, { ...run, reason: 'scale-in release due' }, now),
    );
    inventory = await loadInventory(deps, policy, pool, now);
  }
  return { size: inventory.size, report, base };
}

/** Options of {@link settlePool}. */
export interface SettleOptions extends ScaleRunOptions {
  /**
   * The pool's entitlements (its config, any status) as listed earlier in the caller's run, before the pool
   * lease was taken. Used instead of listing the pool when they show nothing to do; any change is still
   * planned on a fresh read under the lease. Absent: the pool is listed under the lease.
   */
  listed?: readonly Entitlement[];
}

/**
 * Settles one pool (bounds in force and due releases) under its lease; used by the sweep. Does what a
 * `settle` message does, reading the pool once when nothing needs doing.
 */
export async function settlePool(
  deps: PoolDeps,
  policy: Policy,
  pool: Pool,
  options: SettleOptions,
): Promise<ScaleOutcome> {
  return underPoolLease(deps, pool, options, 'periodic settle', async (now, run) => {
    // Changes a killed run left open are recorded first, on a read made under the lease (see intents.ts).
    const resolved = await resolveIntents(deps, { policy, pool }, run, now);
    const listed = resolved > 0 ? undefined : options.listed;
    const reads = listed && startInventoryReads(deps, pool, listed);
    const inventory = await loadInventory(deps, policy, pool, now, reads);
    const settled = await settleLoaded(deps, policy, pool, run, now, {
      inventory,
      provisional: listed !== undefined,
    });
    const { base } = settled;
    return {
      pool: pool.name,
      before: base.size,
      target: targetSize(base, { delta: 0 }),
      after: settled.size,
      bounds: { min: base.bounds.min, max: base.bounds.max },
      applied: settled.report.applied,
      failed: settled.report.failed,
      created: settled.report.created,
    };
  });
}
