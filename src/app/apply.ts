/**
 * Applies one planned action to one entitlement, write-ahead: an audit row `started` and the record with the
 * intent are written BEFORE the FortiFlex call, the outcome after. A crash at any point therefore leaves a
 * trail, and the record already says the scaler owns a stop it may have made, so the next run can undo it.
 */
import type { FortiFlexClient } from '../lib/fortiflex';
import type { PlanAction } from '../lib/rules';
import type { AuditEntry, EntitlementRecord, StateStore } from '../lib/state';
import type { Entitlement } from '../lib/fortiflex/types';
import { errorMessage, type ActionResult, type RunError } from './run-summary';

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
  /**
   * When set, outcome writes are queued here instead of awaited, so a worker can start its next change while
   * they complete; the caller must await them all before the run ends.
   */
  pending?: Promise<unknown>[];
}

/** Prefix of `lastReason` while an action is in flight; replaced when the outcome is recorded. */
export const IN_FLIGHT_PREFIX = 'started: ';

function baseResult(action: PlanAction): Omit<ActionResult, 'outcome'> {
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

function auditRow(ctx: ApplyContext, action: PlanAction, outcome: AuditEntry['outcome']): AuditEntry {
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

/** Writes the plan of a dry run to the audit; changes nothing else. */
export async function auditDryRun(ctx: ApplyContext, action: PlanAction): Promise<ActionResult> {
  try {
    await ctx.store.audit.append(auditRow(ctx, action, 'dryRun'));
  } catch (error) {
    ctx.errors.push({ serialNumber: action.serialNumber, stage: 'audit', message: errorMessage(error) });
  }
  return { ...baseResult(action), outcome: 'dryRun' };
}

/** Records an action that was planned but not attempted (cap reached, lease lost, run aborted). */
export async function auditSkipped(
  ctx: ApplyContext,
  action: PlanAction,
  why: string,
): Promise<ActionResult> {
  try {
    await ctx.store.audit.append({ ...auditRow(ctx, action, 'skipped'), reason: `${why}; ${action.reason}` });
  } catch (error) {
    ctx.errors.push({ serialNumber: action.serialNumber, stage: 'audit', message: errorMessage(error) });
  }
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
function intentRecord(
  action: PlanAction,
  entitlement: Entitlement | undefined,
  existing: ManagedRecord | undefined,
): ManagedRecord {
  const record: ManagedRecord = {
    ...existing,
    serialNumber: action.serialNumber,
    stoppedByScaler: action.action === 'stop' ? true : (existing?.stoppedByScaler ?? false),
    lastReason: `${IN_FLIGHT_PREFIX}${action.action}: ${action.reason}`,
    rule: action.rule,
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

/** The record after the outcome is known. */
function outcomeRecord(
  intent: ManagedRecord,
  action: PlanAction,
  now: Date,
  failure: string | undefined,
): ManagedRecord {
  const record: ManagedRecord = { ...intent, lastReason: action.reason };
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

/** The result of the write-ahead step: the intent record as stored, or why it could not be written. */
export type WriteAhead = { ok: true; intent: ManagedRecord } | { ok: false; error: unknown };

/**
 * Write-ahead for one action: the `started` audit row and the record with the intent, written concurrently.
 * Never rejects. The API must not be called unless this succeeded.
 */
export async function writeAhead(
  ctx: ApplyContext,
  action: PlanAction,
  entitlement: Entitlement | undefined,
  existing: ManagedRecord | undefined,
): Promise<WriteAhead> {
  try {
    const [, intent] = await Promise.all([
      ctx.store.audit.append(auditRow(ctx, action, 'started')),
      ctx.store.records.put(intentRecord(action, entitlement, existing)),
    ]);
    return { ok: true, intent };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Applies `action` with write-ahead recording. `prepared` is its {@link writeAhead}, when the caller started
 * it early (so the state writes overlap earlier API calls). Never throws: every failure becomes an
 * `ActionResult` with outcome `failed` (and, when the API was not called, nothing changed).
 */
export async function applyAction(
  ctx: ApplyContext,
  action: PlanAction,
  entitlement: Entitlement | undefined,
  existing: ManagedRecord | undefined,
  prepared?: Promise<WriteAhead>,
): Promise<ActionResult> {
  const base = baseResult(action);
  // 1. Write-ahead (see writeAhead): if it failed the API is not called, so nothing is lost.
  const ahead = await (prepared ?? writeAhead(ctx, action, entitlement, existing));
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

  // 3. Outcome: the record (it drives the next plan) and the audit row. They are written off the
  //    critical path so the next change can start; the run awaits them (ctx.pending) before it ends.
  const outcome = Promise.allSettled([
    ctx.store.records.put(outcomeRecord(intent, action, ctx.now, failure)),
    ctx.store.audit.append({
      ...auditRow(ctx, action, failure === undefined ? 'succeeded' : 'failed'),
      ...(failure !== undefined && { error: failure }),
    }),
  ]).then(([recorded, audited]) => {
    if (recorded.status === 'rejected') {
      ctx.errors.push({
        serialNumber: action.serialNumber,
        stage: 'record',
        message: errorMessage(recorded.reason),
      });
    }
    if (audited.status === 'rejected') {
      ctx.errors.push({
        serialNumber: action.serialNumber,
        stage: 'audit',
        message: errorMessage(audited.reason),
      });
    }
  });
  if (ctx.pending) ctx.pending.push(outcome);
  else await outcome;
  if (failure !== undefined) {
    ctx.errors.push({ serialNumber: action.serialNumber, stage: 'apply', message: failure });
    return { ...base, outcome: 'failed', error: failure };
  }
  return { ...base, outcome: 'succeeded' };
}
