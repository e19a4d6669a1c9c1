/**
 * Telemetry lines for what a reconcile run and a pool change did, in the vocabulary of
 * `src/lib/telemetry.ts`. Pure: every instant comes from the input.
 */
import type { PoolStep } from './pools/plan';
import type { ScaleOutcome } from './pools/worker';
import type { RunSummary } from './reconcile/run-summary';
import {
  TELEMETRY_EVENTS,
  isReactivation,
  telemetryError,
  telemetryLine,
  type RunOutcome,
  type RunTrigger,
  type TelemetryEvent,
} from '../lib/telemetry';

/** A telemetry line and the event it carries. */
export interface TelemetryRecord {
  event: TelemetryEvent;
  line: string;
}

/** Errors of a failed action are reported with the action; everything else is a run-level error. */
const ACTION_STAGE = 'apply';

const stepSerial = (step: PoolStep): string | undefined =>
  'serialNumber' in step ? step.serialNumber : 'from' in step ? step.from : undefined;

/** How the run ended (see {@link RunOutcome}). */
export function runOutcome(summary: RunSummary): RunOutcome {
  if (summary.skippedReason) return 'skipped';
  return summary.errors.some((e) => e.stage !== ACTION_STAGE) ? 'degraded' : 'completed';
}

/**
 * Every line one reconcile run produces: its `ScalerRunSummary`, a `ScalerActionApplied` per succeeded
 * (or dry-run) action, a `ScalerActionFailed` per failed action, and for each pool the sweep settled a
 * `ScalerPoolState` plus a `ScalerActionFailed` per failed pool step.
 */
export function runTelemetry(summary: RunSummary, trigger: RunTrigger): TelemetryRecord[] {
  const { runId, at } = summary;
  const records: TelemetryRecord[] = [];
  const push = (event: TelemetryEvent, line: string): void => void records.push({ event, line });
  const pending = summary.actions.filter(
    (a) => isReactivation(a) && (a.outcome === 'failed' || a.outcome === 'skipped'),
  ).length;
  push(
    TELEMETRY_EVENTS.runSummary,
    telemetryLine(TELEMETRY_EVENTS.runSummary, {
      runId,
      at,
      trigger,
      outcome: runOutcome(summary),
      dryRun: summary.dryRun,
      planned: summary.planned,
      applied: summary.applied,
      failed: summary.failed,
      skipped: summary.skipped,
      errors: summary.errors.filter((e) => e.stage !== ACTION_STAGE).length,
      reactivationsPending: pending,
      ptDaysSaved: summary.ptDaysSaved,
      pointsSaved: summary.pointsSaved,
      ...(summary.skippedReason && { skippedReason: summary.skippedReason }),
    }),
  );
  for (const action of summary.actions) {
    const common = {
      runId,
      at,
      source: 'reconcile' as const,
      action: action.action,
      serialNumber: action.serialNumber,
      rule: action.rule,
      configId: action.configId,
      reactivation: isReactivation(action),
    };
    if (action.outcome === 'succeeded' || action.outcome === 'dryRun') {
      push(
        TELEMETRY_EVENTS.actionApplied,
        telemetryLine(TELEMETRY_EVENTS.actionApplied, {
          ...common,
          ...(action.targetConfigId !== undefined && { targetConfigId: action.targetConfigId }),
          dryRun: action.outcome === 'dryRun',
          ptDaysSaved: action.ptDaysSaved,
          pointsSaved: action.pointsSaved,
          savedPtDays: [...(action.savedPtDays ?? [])],
        }),
      );
    } else if (action.outcome === 'failed') {
      push(
        TELEMETRY_EVENTS.actionFailed,
        telemetryLine(TELEMETRY_EVENTS.actionFailed, { ...common, error: action.error ?? 'failed' }),
      );
    }
  }
  const released = new Map<string, number>();
  for (const claims of summary.pools?.claims ?? []) {
    released.set(claims.pool, (released.get(claims.pool) ?? 0) + claims.released.length);
  }
  for (const pool of summary.pools?.pools ?? []) {
    const claimsReleased = released.get(pool.pool) ?? 0;
    if ('error' in pool) {
      push(
        TELEMETRY_EVENTS.poolState,
        telemetryLine(TELEMETRY_EVENTS.poolState, {
          ...emptyPoolState(runId, at, 'sweep', pool.pool),
          claimsReleased,
          error: pool.error,
        }),
      );
      continue;
    }
    records.push(...poolTelemetry(pool, { runId, at, source: 'sweep', claimsReleased }));
  }
  return records;
}

function emptyPoolState(runId: string, at: string, source: 'sweep' | 'worker', pool: string) {
  const zero = { size: 0, target: 0, min: 0, max: 0, stepsApplied: 0, stepsFailed: 0, created: 0 };
  return { runId, at, source, pool, ...zero, claimsReleased: 0 };
}

/** The `ScalerPoolState` of one settled pool and a `ScalerActionFailed` per failed step. */
export function poolTelemetry(
  outcome: ScaleOutcome,
  context: { runId: string; at: string; source: 'sweep' | 'worker'; claimsReleased?: number },
): TelemetryRecord[] {
  const { runId, at, source } = context;
  const records: TelemetryRecord[] = [
    {
      event: TELEMETRY_EVENTS.poolState,
      line: telemetryLine(TELEMETRY_EVENTS.poolState, {
        runId,
        at,
        source,
        pool: outcome.pool,
        size: outcome.after,
        target: outcome.target,
        min: outcome.bounds.min,
        max: outcome.bounds.max,
        stepsApplied: outcome.applied.length,
        stepsFailed: outcome.failed.length,
        created: outcome.created.length,
        claimsReleased: context.claimsReleased ?? 0,
      }),
    },
  ];
  for (const failure of outcome.failed) {
    const serialNumber = stepSerial(failure.step);
    records.push({
      event: TELEMETRY_EVENTS.actionFailed,
      line: telemetryLine(TELEMETRY_EVENTS.actionFailed, {
        runId,
        at,
        source: 'pool',
        action: failure.step.kind,
        ...(serialNumber && { serialNumber }),
        pool: outcome.pool,
        reactivation: false,
        error: failure.error,
      }),
    });
  }
  return records;
}

/** The `ScalerRunSummary` of a run that could not plan (it threw before producing a summary). */
export function runFailedTelemetry(input: {
  runId?: string;
  at: string;
  trigger: RunTrigger;
  error: unknown;
}): TelemetryRecord {
  return {
    event: TELEMETRY_EVENTS.runSummary,
    line: telemetryLine(TELEMETRY_EVENTS.runSummary, {
      runId: input.runId ?? 'none',
      at: input.at,
      trigger: input.trigger,
      outcome: 'failed',
      dryRun: false,
      planned: 0,
      applied: 0,
      failed: 0,
      skipped: 0,
      errors: 1,
      reactivationsPending: 0,
      ptDaysSaved: 0,
      pointsSaved: 0,
      error: telemetryError(input.error),
    }),
  };
}

/** The `ScalerActionFailed` of a scale message the worker gave up on (moved to the poison queue). */
export function poisonMessageTelemetry(input: {
  runId: string;
  at: string;
  pool?: string;
  error: unknown;
}): TelemetryRecord {
  return {
    event: TELEMETRY_EVENTS.actionFailed,
    line: telemetryLine(TELEMETRY_EVENTS.actionFailed, {
      runId: input.runId,
      at: input.at,
      source: 'pool',
      action: 'scaleMessage',
      ...(input.pool !== undefined && { pool: input.pool }),
      reactivation: false,
      error: telemetryError(input.error),
    }),
  };
}
