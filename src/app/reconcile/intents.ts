/**
 * Closing the intents a killed run left open (docs/architecture.md §"Reconcile"). Every action is written
 * ahead (`apply.ts`): its record says `started: …` with the action (`pendingAction`, and the target of a
 * switch) and a `started` audit row exists. When the run dies before its outcome is stored, both stay. The
 * next run, holding the lease and before it plans, reads each such entitlement from its own listing and
 * writes the outcome it finds:
 * - done (the entitlement is in the state the action aims at): `succeeded`, and the record the action would
 *   have left (`lastAction`, ownership);
 * - not done (still in the state it started from): `failed`, with the state found, ownership undone;
 * - anything else (not listed although its scope was, another status, a switch without a known target):
 *   `unknown` with the state found.
 * An intent whose scope could not be listed this run stays open for the next one. Records never keep
 * `lastReason: started: …` past the run after the one that wrote it.
 */
import type { Entitlement } from '../../lib/fortiflex/types';
import { errorMessage } from '../../lib/error-message';
import type { Policy } from '../../lib/rules';
import type { AuditEntry, PlannerRecordAction, StateStore } from '../../lib/state';
import { IN_FLIGHT_PREFIX, withoutIntent, type ManagedRecord } from './apply';
import { scopeKey } from './listing';
import type { RunError } from './run-summary';

const ACTIONS: readonly PlannerRecordAction[] = ['stop', 'reactivate', 'switchConfig'];

/** The open intent of `record`, if it has one: its action and the reason it was planned for. */
export function openIntent(
  record: ManagedRecord,
): { action: PlannerRecordAction; reason: string } | undefined {
  const text = record.lastReason;
  if (text === undefined || !text.startsWith(IN_FLIGHT_PREFIX)) return undefined;
  const rest = text.slice(IN_FLIGHT_PREFIX.length);
  // Records written before `pendingAction` existed say the action only in the reason.
  const named = ACTIONS.find((action) => rest.startsWith(`${action}: `));
  const action = record.pendingAction ?? named;
  if (action === undefined) return undefined;
  return { action, reason: named ? rest.slice(named.length + 2) : rest };
}

type Verdict = { outcome: 'succeeded' | 'failed' | 'unknown'; found: Record<string, unknown> };

function verdict(
  action: PlannerRecordAction,
  record: ManagedRecord,
  entitlement: Entitlement | undefined,
): Verdict {
  if (!entitlement) return { outcome: 'unknown', found: { status: 'not listed' } };
  const found = { status: entitlement.status, configId: entitlement.configId };
  switch (action) {
    case 'stop':
      if (entitlement.status === 'STOPPED') return { outcome: 'succeeded', found };
      return { outcome: entitlement.status === 'ACTIVE' ? 'failed' : 'unknown', found };
    case 'reactivate':
      if (entitlement.status === 'ACTIVE') return { outcome: 'succeeded', found };
      return { outcome: entitlement.status === 'STOPPED' ? 'failed' : 'unknown', found };
    case 'switchConfig': {
      const target = record.pendingTargetConfigId;
      if (target === undefined) return { outcome: 'unknown', found };
      return { outcome: entitlement.configId === target ? 'succeeded' : 'failed', found };
    }
  }
}

/** The record once the outcome is known (mirrors what `apply.ts` writes after the call). */
function closedRecord(
  record: ManagedRecord,
  action: PlannerRecordAction,
  reason: string,
  result: Verdict,
  entitlement: Entitlement | undefined,
  now: Date,
): ManagedRecord {
  const closed: ManagedRecord = withoutIntent({ ...record, lastReason: reason });
  const at = record.pendingAt ?? now.toISOString();
  if (result.outcome === 'succeeded') {
    closed.lastAction = action;
    closed.lastActionAt = at;
    delete closed.lastError;
    delete closed.lastErrorAt;
    if (action === 'reactivate') closed.stoppedByScaler = false;
    if (action === 'switchConfig' && record.pendingTargetConfigId === record.originalConfigId) {
      delete closed.originalConfigId;
    }
    return closed;
  }
  closed.lastError =
    result.outcome === 'failed'
      ? `interrupted before the ${action} took effect: found ${describe(result.found)}`
      : `interrupted ${action}, outcome unknown: found ${describe(result.found)}`;
  closed.lastErrorAt = now.toISOString();
  if (result.outcome === 'failed') {
    // Ownership taken up front for a change that was not made goes back.
    if (action === 'stop') closed.stoppedByScaler = false;
    if (
      action === 'switchConfig' &&
      record.pendingTargetConfigId !== record.originalConfigId &&
      entitlement?.configId === record.originalConfigId
    ) {
      delete closed.originalConfigId;
    }
  }
  return closed;
}

function describe(found: Record<string, unknown>): string {
  return Object.entries(found)
    .map(([key, value]) => `${key} ${String(value)}`)
    .join(', ');
}

/** What the run knows when it closes intents. */
export interface CloseContext {
  store: Pick<StateStore, 'records' | 'audit'>;
  policy: Policy;
  runId: string;
  actor: string;
  now: Date;
  /** The run's listing: every entitlement once, and which scopes were listed. */
  entitlements: readonly Entitlement[];
  listedScopes: ReadonlySet<string>;
  errors: RunError[];
}

/**
 * Closes the open intents among `records` (see the module comment), updating the map with the records as
 * written. Returns how many it closed. Failures to write are reported in `errors` (stage `record`/`audit`);
 * an intent whose record could not be written stays open.
 */
export async function closeOpenIntents(
  ctx: CloseContext,
  records: Map<string, ManagedRecord>,
): Promise<number> {
  const bySerial = new Map(ctx.entitlements.map((e) => [e.serialNumber, e]));
  const scopeOfRule = new Map(ctx.policy.rules.map((rule) => [rule.name, scopeKey(rule.fortiflex)]));
  const closing: { record: ManagedRecord; entry: AuditEntry }[] = [];
  for (const record of records.values()) {
    const intent = openIntent(record);
    if (!intent) continue;
    const entitlement = bySerial.get(record.serialNumber);
    const scope = record.rule === undefined ? undefined : scopeOfRule.get(record.rule);
    // Not seen, and its scope not listed this run: nothing was found yet, so nothing is said yet.
    if (!entitlement && (scope === undefined || !ctx.listedScopes.has(scope))) continue;
    const result = verdict(intent.action, record, entitlement);
    closing.push({
      record: closedRecord(record, intent.action, intent.reason, result, entitlement, ctx.now),
      entry: {
        at: ctx.now.toISOString(),
        runId: ctx.runId,
        actor: ctx.actor,
        serialNumber: record.serialNumber,
        action: intent.action,
        outcome: result.outcome,
        ...(record.rule !== undefined && { rule: record.rule }),
        reason: `interrupted run: ${intent.reason}`,
        ...(result.outcome !== 'succeeded' && { error: `found ${describe(result.found)}` }),
        details: {
          found: result.found,
          ...(record.pendingRunId !== undefined && { interruptedRun: record.pendingRunId }),
          ...(record.pendingAt !== undefined && { startedAt: record.pendingAt }),
        },
      },
    });
  }
  if (closing.length === 0) return 0;
  // The outcome rows first: a record closed without its row would hide that the change happened.
  try {
    await ctx.store.audit.appendMany(closing.map((c) => c.entry));
  } catch (error) {
    ctx.errors.push({ stage: 'audit', message: `closing interrupted actions: ${errorMessage(error)}` });
    return 0;
  }
  const written = await ctx.store.records.putMany(closing.map((c) => c.record));
  let closed = 0;
  written.forEach((result, i) => {
    const { record } = closing[i]!;
    if (result.status === 'fulfilled') {
      records.set(record.serialNumber, result.value);
      closed += 1;
    } else {
      ctx.errors.push({
        serialNumber: record.serialNumber,
        stage: 'record',
        message: errorMessage(result.reason),
      });
    }
  });
  return closed;
}
