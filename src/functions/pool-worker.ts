/**
 * Queue trigger on `scaler-work`: applies one scale, settle or sync message to its pool under the pool lease
 * (a sync is the pool's licence delivery; a scale message of a pool with delivery kicks one too).
 * A busy lease, an unknown pool or a storage failure throws, so the host retries the message
 * (`maxDequeueCount`, default 5) and then moves it to `scaler-work-poison`; on that final attempt the reason
 * is written to the audit first. Failures of single license actions are audited by the use case and do not
 * retry the message (a retried relative change would apply twice).
 */
import { app, type InvocationContext } from '@azure/functions';
import type { PoolDeps } from '../app/pools/deps';
import { errorMessage } from '../lib/error-message';
import { fromEnvironment, type DependencyResolver } from './http';

/** The host's default `maxDequeueCount` for storage queues. */
export const MAX_DEQUEUE_COUNT = 5;

/** Builds the worker over `resolve` (tests pass their own dependencies). */
export function createPoolWorker(
  resolve: DependencyResolver<PoolDeps> = fromEnvironment,
  options: { maxDequeueCount?: number; leaseWaitMs?: number } = {},
) {
  return async function poolWorker(message: unknown, context: InvocationContext): Promise<void> {
    const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
    const finalAttempt = dequeueCount >= (options.maxDequeueCount ?? MAX_DEQUEUE_COUNT);
    const [
      { applyWorkMessage },
      { parseScaleMessage, InvalidScaleMessageError },
      { auditBestEffort },
      telemetry,
    ] = await Promise.all([
      import('../app/pools/work.js'),
      import('../app/pools/message.js'),
      import('../app/pools/records.js'),
      import('../app/telemetry.js'),
    ]);
    const deps = await resolve();
    let summary: { pool?: unknown; kind?: unknown; source?: unknown } = {};
    try {
      const parsed = parseScaleMessage(message);
      summary = { pool: parsed.pool, kind: parsed.kind, source: parsed.source };
      const work = await applyWorkMessage(deps, parsed, {
        runId: context.invocationId,
        actor: 'scale',
        ...(options.leaseWaitMs !== undefined ? { leaseWaitMs: options.leaseWaitMs } : {}),
      });
      if (work.sync) {
        const counts = new Map<string, number>();
        for (const instance of work.sync.instances)
          counts.set(instance.state, (counts.get(instance.state) ?? 0) + 1);
        context.log(
          `pool ${work.sync.pool}: delivery ${[...counts].map(([state, n]) => `${n} ${state}`).join(', ') || 'no instances'}` +
            (work.sync.error ? `; ${work.sync.error}` : '') +
            (work.sync.retryInSeconds !== undefined ? `; retry in ${work.sync.retryInSeconds} s` : ''),
        );
        for (const warning of work.sync.warnings) context.warn(`pool ${work.sync.pool}: ${warning}`);
      }
      if (work.syncSkipped) context.log(`pool ${parsed.pool}: sync skipped: ${work.syncSkipped}`);
      const outcome = work.scale;
      if (!outcome) return;
      context.log(
        `pool ${outcome.pool}: size ${outcome.before} -> ${outcome.after} (target ${outcome.target}, ` +
          `bounds ${outcome.bounds.min}..${outcome.bounds.max}), ${outcome.applied.length} steps, ` +
          `${outcome.failed.length} failed`,
      );
      for (const failure of outcome.failed)
        context.warn(`pool ${outcome.pool}: ${failure.step.kind}: ${failure.error}`);
      // Structured lines for the alert rules and the workbook (see src/lib/telemetry.ts).
      const where = { runId: context.invocationId, at: deps.now().toISOString(), source: 'worker' as const };
      for (const record of telemetry.poolTelemetry(outcome, where)) context.log(record.line);
    } catch (error) {
      const reason = errorMessage(error);
      context.warn(`poolWorker attempt ${dequeueCount}: ${reason}`);
      if (finalAttempt) {
        const pool = typeof summary.pool === 'string' ? summary.pool : undefined;
        const at = deps.now().toISOString();
        context.log(telemetry.poisonMessageTelemetry({ runId: context.invocationId, at, pool, error }).line);
        await auditBestEffort(deps.store, {
          at,
          runId: context.invocationId,
          actor: 'scale',
          action: 'poisonMessage',
          outcome: 'failed',
          ...(pool !== undefined ? { pool } : {}),
          reason:
            error instanceof InvalidScaleMessageError
              ? `malformed message moved to the poison queue after ${dequeueCount} attempts`
              : `message moved to the poison queue after ${dequeueCount} attempts`,
          error: reason,
          details: { dequeueCount, malformed: error instanceof InvalidScaleMessageError, ...summary },
        });
      }
      throw error;
    }
  };
}

/** The registered handler. */
export const poolWorker = createPoolWorker();

app.storageQueue('poolWorker', {
  queueName: 'scaler-work',
  connection: 'AzureWebJobsStorage',
  handler: poolWorker,
});
