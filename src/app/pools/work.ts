/**
 * What the pool worker does with one `scaler-work` message: `scale` and `settle` change the pool's capacity
 * (`worker.ts`); `sync` runs the pool's licence delivery (`sync.ts`). A scale message for a pool with
 * `fortigate` also kicks a sync right after the resize, and on growth one more a minute later, because the
 * autoscale webhook fires before the scale set has created its instances and Azure does not promise a
 * resource event for instances the platform creates (docs/architecture.md §"Licence delivery").
 */
import { errorMessage } from '../../lib/error-message';
import type { PoolDeps } from './deps';
import { PoolBusyError } from './lease';
import { syncMessage, type ScaleMessage } from './message';
import { resolvePool } from './records';
import { DeliveryNotConfiguredError, syncPool, type SyncOptions, type SyncReport } from './sync';
import { applyScaleMessage, type ScaleOutcome, type ScaleRunOptions } from './worker';

/** Seconds before a sync that found the lease busy runs again. */
export const BUSY_SYNC_DELAY_SECONDS = 10;
/** Seconds after a scale-out before the follow-up sync that catches instances created late. */
export const FOLLOW_UP_SYNC_DELAY_SECONDS = 60;

/** What one message did. */
export interface WorkOutcome {
  scale?: ScaleOutcome;
  sync?: SyncReport;
  /** Why no sync ran (lease busy and re-queued, delivery not configured). */
  syncSkipped?: string;
}

/** Options of {@link applyWorkMessage}. */
export interface WorkOptions extends ScaleRunOptions {
  /** Passed to the sync (tests shorten the retry delays). */
  sync?: Partial<Omit<SyncOptions, 'runId' | 'retry'>>;
}

/** Applies one message; throws what `applyScaleMessage` throws, so the queue retries it. */
export async function applyWorkMessage(
  deps: PoolDeps,
  message: ScaleMessage,
  options: WorkOptions,
): Promise<WorkOutcome> {
  if (message.kind === 'sync') {
    return runSync(deps, message.pool, options, message.retry === true, message.reason);
  }
  const scale = await applyScaleMessage(deps, message, options);
  const { pool } = await resolvePool(deps, message.pool);
  if (message.kind !== 'scale' || !pool.fortigate || !pool.scaleSet || !deps.compute) return { scale };
  if (scale.target > scale.before) {
    await deps.store.queue
      .send(syncMessage(pool.name, message.source, 'follow-up after a scale-out', deps.now()), {
        delaySeconds: FOLLOW_UP_SYNC_DELAY_SECONDS,
      })
      .catch(() => undefined);
  }
  return { scale, ...(await runSync(deps, pool.name, options, false, message.reason)) };
}

async function runSync(
  deps: PoolDeps,
  pool: string,
  options: WorkOptions,
  retry: boolean,
  reason: string,
): Promise<WorkOutcome> {
  try {
    const sync = await syncPool(deps, pool, {
      ...options.sync,
      runId: options.runId,
      actor: 'delivery',
      retry,
      ...(options.leaseWaitMs !== undefined && { leaseWaitMs: options.leaseWaitMs }),
    });
    return { sync };
  } catch (error) {
    if (error instanceof DeliveryNotConfiguredError) return { syncSkipped: errorMessage(error) };
    if (!(error instanceof PoolBusyError)) throw error;
    // The holder may have listed the scale set before this trigger: run again shortly rather than fail.
    await deps.store.queue.send(syncMessage(pool, 'delivery', reason, deps.now(), retry), {
      delaySeconds: BUSY_SYNC_DELAY_SECONDS,
    });
    return { syncSkipped: `pool lease busy; sync queued again in ${BUSY_SYNC_DELAY_SECONDS} s` };
  }
}
