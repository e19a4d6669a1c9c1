/**
 * Write-ahead intents of pool changes (docs/architecture.md §"Pools"). A create, a stop, a reactivation, and a
 * release mark or move that regenerates a token store their intent (table `intents`) and a `started` audit row
 * before the FortiFlex call, and their outcome row after; the intent is deleted once the outcome is audited.
 * A process killed in between leaves the intent behind. The next run of the pool (worker, sweep, or a claim
 * that must create) resolves it under the pool lease from what exists:
 * - create: members carrying the pool's marker that the pool did not have before (`known`) are what it made;
 * - stop / reactivate: the member's status says done or not done (a done one gets the record the step would
 *   have written);
 * - anything else (member not listed, an unexpected status): `unknown`, with the state found.
 * The resolution audits the outcome with the resolving run's id (the interrupted run's id in `details`) and
 * deletes the intent.
 */
import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../lib/error-message';
import type { Entitlement } from '../../lib/fortiflex/types';
import type { Policy } from '../../lib/rules';
import type { AuditEntry, ChangeIntent } from '../../lib/state';
import type { PoolDeps } from './deps';
import { loadInventory } from './inventory';
import { hasPoolMarker, POOL_ACTIONS, serialOf, type PoolInventory } from './membership';
import { auditBestEffort, createForPool, writeMemberRecord } from './records';

/** Who makes a change and why, for its intent and audit rows. */
export interface ChangeContext {
  runId: string;
  actor: string;
  reason: string;
}

/** What a change is: the pool step's name and its subject. */
export interface ChangeSpec {
  action: string;
  serialNumber?: string;
  count?: number;
  known?: string[];
}

type IntentDeps = Pick<PoolDeps, 'client' | 'store'>;

function auditRow(
  intent: Pick<ChangeIntent, 'pool' | 'action' | 'serialNumber'>,
  run: ChangeContext,
  at: string,
  outcome: AuditEntry['outcome'],
  extra: Partial<AuditEntry> = {},
): AuditEntry {
  return {
    at,
    runId: run.runId,
    actor: run.actor,
    pool: intent.pool,
    action: intent.action,
    outcome,
    reason: run.reason,
    ...(intent.serialNumber !== undefined && { serialNumber: intent.serialNumber }),
    ...extra,
  };
}

/** Failures {@link runChange} has audited already (the caller must not audit them twice). */
const audited = new WeakSet<object>();

/** True when `error` came out of {@link runChange} after its `failed` row was written. */
export function isAuditedFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && audited.has(error);
}

/** True when a failed call may still have been applied (the reply was lost or broken). */
function ambiguous(error: unknown): boolean {
  return (error as { ambiguous?: unknown } | null)?.ambiguous !== false;
}

/**
 * Runs one FortiFlex change write-ahead: stores the intent and the `started` row (both, before `change`
 * runs; a failure to store them fails the change unmade), then the outcome row (`succeeded` with the details
 * `change` returns, or `failed` with the error) and deletes the intent. A failure that may have been applied
 * keeps the intent, so the next run of the pool records what really happened.
 */
export async function runChange<T>(
  deps: IntentDeps,
  pool: string,
  spec: ChangeSpec,
  run: ChangeContext,
  now: Date,
  change: () => Promise<{ value: T; details?: Record<string, unknown>; outcome?: AuditEntry['outcome'] }>,
): Promise<T> {
  const at = now.toISOString();
  const intent: ChangeIntent = {
    pool,
    id: `${at}-${randomUUID().slice(0, 8)}`,
    ...spec,
    at,
    runId: run.runId,
    actor: run.actor,
    reason: run.reason,
  };
  await Promise.all([
    deps.store.intents.add(intent),
    deps.store.audit.append(auditRow(intent, run, at, 'started')),
  ]);
  let result: Awaited<ReturnType<typeof change>>;
  try {
    result = await change();
  } catch (error) {
    await auditBestEffort(deps.store, auditRow(intent, run, at, 'failed', { error: errorMessage(error) }));
    if (typeof error === 'object' && error !== null) audited.add(error);
    if (!ambiguous(error)) await deps.store.intents.delete(pool, intent.id).catch(() => undefined);
    throw error;
  }
  const outcome = auditRow(intent, run, at, result.outcome ?? 'succeeded', {
    ...(result.details && { details: result.details }),
  });
  // The intent goes only once the outcome is stored: otherwise the next run writes it from what it finds.
  const stored = await deps.store.audit.append(outcome).then(
    () => true,
    () => false,
  );
  if (stored) await deps.store.intents.delete(pool, intent.id).catch(() => undefined);
  return result.value;
}

/** Creates `count` entitlements for the inventory's pool, write-ahead (the pool's members are the `known`). */
export function createWithIntent(
  deps: IntentDeps,
  inventory: PoolInventory,
  count: number,
  run: ChangeContext,
  now: Date,
): Promise<Entitlement[]> {
  const { pool } = inventory;
  return runChange(
    deps,
    pool.name,
    { action: 'create', count, known: inventory.members.map(serialOf) },
    run,
    now,
    async () => {
      const created = await createForPool(deps, pool, count);
      return { value: created, details: { count, serialNumbers: created.map((e) => e.serialNumber) } };
    },
  );
}

/**
 * Resolves the pool's open intents (see the module comment) and returns how many it closed. Call under the
 * pool lease. `inventory` must be read under that lease; without one, the pool is read when there is
 * anything to resolve.
 */
export async function resolveIntents(
  deps: IntentDeps,
  target: PoolInventory | { policy: Policy; pool: PoolInventory['pool'] },
  run: Omit<ChangeContext, 'reason'>,
  now: Date,
): Promise<number> {
  const poolName = 'members' in target ? target.pool.name : target.pool.name;
  const open = await deps.store.intents.list(poolName);
  if (open.length === 0) return 0;
  const inventory = 'members' in target ? target : await loadInventory(deps, target.policy, target.pool, now);
  const bySerial = new Map(inventory.members.map((member) => [serialOf(member), member]));
  const attributed = new Set<string>();
  const at = now.toISOString();
  for (const intent of open) {
    const context: ChangeContext = { ...run, reason: `interrupted ${intent.action}: ${intent.reason}` };
    const row = (outcome: AuditEntry['outcome'], details: Record<string, unknown>, error?: string) =>
      auditRow(intent, context, at, outcome, {
        details: { interruptedRun: intent.runId, startedAt: intent.at, ...details },
        ...(error !== undefined && { error }),
      });
    let entry: AuditEntry;
    if (intent.action === 'create') {
      const known = new Set(intent.known ?? []);
      const found = inventory.members
        .filter(
          (m) =>
            hasPoolMarker(m.entitlement.description, inventory.pool.name) &&
            !known.has(serialOf(m)) &&
            !attributed.has(serialOf(m)),
        )
        .map(serialOf)
        .slice(0, intent.count ?? 1);
      for (const serial of found) attributed.add(serial);
      const count = intent.count ?? 1;
      const details = { count, serialNumbers: found };
      entry =
        found.length === count
          ? row('succeeded', details)
          : found.length === 0
            ? row('failed', details, 'not done: no new member with the pool marker')
            : row('unknown', details, `found ${found.length} of ${count} new members`);
    } else {
      const member = intent.serialNumber === undefined ? undefined : bySerial.get(intent.serialNumber);
      const status = member?.entitlement.status ?? 'not listed';
      const state = {
        status,
        ...(member && { tokenStatus: member.entitlement.tokenStatus }),
        ...(member?.record?.lastAction && { lastAction: member.record.lastAction }),
      };
      const wanted =
        intent.action === 'stop' ? 'STOPPED' : intent.action === 'reactivate' ? 'ACTIVE' : undefined;
      const before =
        intent.action === 'stop' ? 'ACTIVE' : intent.action === 'reactivate' ? 'STOPPED' : undefined;
      if (member && wanted !== undefined && status === wanted) {
        // Made: the record the step would have written, unless it got there.
        const action = intent.action === 'stop' ? POOL_ACTIONS.poolStop : POOL_ACTIONS.poolReactivate;
        if (member.record?.lastAction !== action) {
          await writeMemberRecord(deps.store, inventory.pool, member.record, intent.serialNumber!, {
            lastAction: action,
            lastActionAt: intent.at,
            lastReason: intent.reason,
            stoppedByScaler: intent.action === 'stop',
            previousStatus: before,
          });
        }
        entry = row('succeeded', state);
      } else if (member && before !== undefined && status === before) {
        entry = row('failed', state, `not done: found ${status}`);
      } else if (
        member &&
        (intent.action === 'markRelease' || intent.action === 'moveRelease') &&
        member.record?.lastAction === POOL_ACTIONS.poolRelease
      ) {
        entry = row('succeeded', state);
      } else {
        entry = row('unknown', state, `found ${status}`);
      }
    }
    const written = await deps.store.audit.append(entry).then(
      () => true,
      () => false,
    );
    if (written) await deps.store.intents.delete(poolName, intent.id);
  }
  return open.length;
}
