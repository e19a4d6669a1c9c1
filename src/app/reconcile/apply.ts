/**
 * Applies one planned action to one entitlement, write-ahead: an audit row `started` and the record with the
 * intent are stored BEFORE the FortiFlex call (through the run's {@link Journal}, in batches), the outcome
 * after. A crash at any point therefore leaves a trail, and the record already says the scaler owns a stop it
 * may have made, so the next run can undo it.
 */
import type { FortiFlexClient } from '../../lib/fortiflex';
import type { PlanAction } from '../../lib/rules';
import type { AuditEntry, EntitlementRecord, StateStore } from '../../lib/state';
import type { Entitlement } from '../../lib/fortiflex/types';
import type { Journal, WriteAhead } from './journal';
import { errorMessage } from '../../lib/error-message';
import type { ActionResult, RunError } from './run-summary';

export type { WriteAhead } from './journal';

/** What every action of one run shares. */
export interface ApplyContext {
  client: FortiFlexClient;
  store: StateStore;
  runId: string;
  /** Who runs it, for the audit: `reconcile`, `runNow`, `cli`. */
  actor: string;
  /** The run's clock reading. */
  now: Date;
  signal?: AbortSignal;
  /** Collects problems that are not the action's own failure (e.g. a failed audit write after success). */
  errors: RunError[];
}

/** Prefix of `lastReason` while an action is in flight; replaced when the outcome is recorded. */
export const IN_FLIGHT_PREFIX = 'started: ';

/** The parts of an action's result that do not depend on its outcome. */
export function baseResult(action: PlanAction): Omit<ActionResult, 'outcome'> {
  return {
    serialNumber: action.serialNumber,
    action: action.action,
    rule: action.rule,
    reason: action.reason,
    ptDaysSaved: action.ptDaysSaved,
    pointsSaved: action.pointsSaved,
    configId: action.configId,
    ...(action.targetConfigId !== undefined && { targetConfigId: action.targetConfigId }),
    ...(action.savedPtDays.length > 0 && { savedPtDays: action.savedPtDays }),
  };
}

/** The audit row of `action` with `outcome`. */
export function auditRow(ctx: ApplyContext, action: PlanAction, outcome: AuditEntry['outcome']): AuditEntry {
  return {
    at: ctx.now.toISOString(),
    runId: ctx.runId,
    actor: ctx.actor,
    serialNumber: action.serialNumber,
    action: action.action,
    outcome,
    rule: action.rule,
    reason: action.reason,
    ptDaysSaved: action.ptDaysSaved,
    pointsSaved: action.pointsSaved,
    details: {
      configId: action.configId,
      accountId: action.accountId,
      ...(action.targetConfigId !== undefined && { targetConfigId: action.targetConfigId }),
      ...(action.originalConfigId !== undefined && { originalConfigId: action.originalConfigId }),
      ...(action.savedPtDays.length > 0 && { savedPtDays: action.savedPtDays }),
    },
  };
}

/** Writes the plan of a dry run to the audit (one batched append); changes nothing else. */
export async function auditDryRun(
  ctx: ApplyContext,
  actions: readonly PlanAction[],
): Promise<ActionResult[]> {
  try {
    await ctx.store.audit.appendMany(actions.map((action) => auditRow(ctx, action, 'dryRun')));
  } catch (error) {
    const message = errorMessage(error);
    for (const action of actions)
      ctx.errors.push({ serialNumber: action.serialNumber, stage: 'audit', message });
  }
  return actions.map((action) => ({ ...baseResult(action), outcome: 'dryRun' }));
}

/**
 * Records an action that was planned but not attempted (lease lost, run aborted). When its intent was
 * already written ahead, the record is put back as it was (ownership included), so nothing claims a change
 * that was never made.
 */
export function skipAction(
  ctx: ApplyContext,
  journal: Journal,
  action: PlanAction,
  existing: ManagedRecord | undefined,
  ahead: WriteAhead | undefined,
  why: string,
): ActionResult {
  const restored: ManagedRecord | undefined =
    ahead?.ok === true
      ? {
          ...(existing ?? { serialNumber: action.serialNumber, stoppedByScaler: false }),
          lastReason: `skipped: ${why}`,
          etag: ahead.intent.etag,
        }
      : undefined;
  journal.outcome(action.serialNumber, restored, {
    ...auditRow(ctx, action, 'skipped'),
    reason: `${why}; ${action.reason}`,
  });
  return { ...baseResult(action), outcome: 'skipped', error: why };
}

/** The state record of an entitlement; it carries every field the planner reads (`PlannerRecord`). */
export type ManagedRecord = EntitlementRecord;

/**
 * The record as it must read before the API call. Ownership is taken up front (a stop marks
 * `stoppedByScaler`, a switch to the off-hours config remembers the original config) so a crash after the
 * call still lets a later run undo it. `lastAction`/`lastActionAt` are left alone until the call succeeds:
 * the planner reads them as "the scaler already did this", and an unconfirmed intent must be retried.
 */
export function intentRecord(
  action: PlanAction,
  entitlement: Entitlement | undefined,
  existing: ManagedRecord | undefined,
  run?: { runId: string; now: Date },
): ManagedRecord {
  const record: ManagedRecord = {
    ...existing,
    serialNumber: action.serialNumber,
    stoppedByScaler: action.action === 'stop' ? true : (existing?.stoppedByScaler ?? false),
    lastReason: `${IN_FLIGHT_PREFIX}${action.action}: ${action.reason}`,
    rule: action.rule,
    // What the next run needs to close the intent if this one is killed (see intents.ts).
    pendingAction: action.action,
    ...(action.targetConfigId !== undefined && { pendingTargetConfigId: action.targetConfigId }),
    ...(run && { pendingAt: run.now.toISOString(), pendingRunId: run.runId }),
  };
  if (entitlement) record.previousStatus = entitlement.status;
  if (action.action === 'switchConfig' && action.originalConfigId !== undefined) {
    record.originalConfigId = action.originalConfigId;
  }
  return record;
}

async function callApi(ctx: ApplyContext, action: PlanAction): Promise<Entitlement> {
  const options = ctx.signal ? { signal: ctx.signal } : undefined;
  const scope =
    action.programSerialNumber !== undefined
      ? { accountId: action.accountId, programSerialNumber: action.programSerialNumber }
      : undefined;
  switch (action.action) {
    case 'stop':
      return ctx.client.stopEntitlement(
        { serialNumber: action.serialNumber, ...(scope && { scope }) },
        options,
      );
    case 'reactivate':
      return ctx.client.reactivateEntitlement(
        { serialNumber: action.serialNumber, ...(scope && { scope }) },
        options,
      );
    case 'switchConfig': {
      if (action.targetConfigId === undefined) throw new Error('switchConfig without a target config');
      return ctx.client.updateEntitlement(
        { serialNumber: action.serialNumber, configId: action.targetConfigId },
        options,
      );
    }
  }
}

/** `record` without the fields of an open intent. */
export function withoutIntent(record: ManagedRecord): ManagedRecord {
  const copy = { ...record };
  delete copy.pendingAction;
  delete copy.pendingTargetConfigId;
  delete copy.pendingAt;
  delete copy.pendingRunId;
  return copy;
}

/** The record after the outcome is known. */
function outcomeRecord(
  intent: ManagedRecord,
  action: PlanAction,
  now: Date,
  failure: string | undefined,
): ManagedRecord {
  const record: ManagedRecord = withoutIntent({ ...intent, lastReason: action.reason });
  if (failure === undefined) {
    record.lastAction = action.action;
    record.lastActionAt = now.toISOString();
    delete record.lastError;
    delete record.lastErrorAt;
    if (action.action === 'reactivate') record.stoppedByScaler = false;
    if (action.action === 'switchConfig' && action.restore) delete record.originalConfigId;
  } else {
    record.lastError = failure;
    record.lastErrorAt = now.toISOString();
  }
  return record;
}

/**
 * Applies `action` once its write-ahead (`journal.ahead(index)`) is stored, then queues the outcome in the
 * journal. Never throws: every failure becomes an `ActionResult` with outcome `failed` (and, when the API was
 * not called, nothing changed). `stopped` is asked after the write-ahead: a reason skips the action.
 */
export async function applyAction(
  ctx: ApplyContext,
  journal: Journal,
  index: number,
  action: PlanAction,
  existing: ManagedRecord | undefined,
  stopped: () => string | undefined = () => undefined,
): Promise<ActionResult> {
  const base = baseResult(action);
  // 1. Write-ahead: if it failed the API is not called, so nothing is lost.
  const ahead = await journal.ahead(index);
  const why = stopped();
  if (why !== undefined) return skipAction(ctx, journal, action, existing, ahead, why);
  if (!ahead.ok) {
    const message = errorMessage(ahead.error);
    ctx.errors.push({ serialNumber: action.serialNumber, stage: 'record', message });
    return { ...base, outcome: 'failed', error: message };
  }
  const intent = ahead.intent;

  // 2. The change itself.
  let failure: string | undefined;
  try {
    await callApi(ctx, action);
  } catch (error) {
    failure = errorMessage(error);
  }

  // 3. Outcome: the record (it drives the next plan) and the audit row, queued so the next change can start
  //    at once; the journal writes them in batches and the run waits for them before it ends.
  journal.outcome(action.serialNumber, outcomeRecord(intent, action, ctx.now, failure), {
    ...auditRow(ctx, action, failure === undefined ? 'succeeded' : 'failed'),
    ...(failure !== undefined && { error: failure }),
  });
  if (failure !== undefined) {
    ctx.errors.push({ serialNumber: action.serialNumber, stage: 'apply', message: failure });
    return { ...base, outcome: 'failed', error: failure };
  }
  return { ...base, outcome: 'succeeded' };
}
