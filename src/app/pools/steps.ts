/**
 * Applies planned pool steps (`plan.ts`) one by one. Each failure is isolated, recorded on the member's
 * record and audited, and the rest still run. Before it marks, moves a release to or reactivates a member
 * whose token was used by an instance the scaler released, it regenerates the token, so a used token on an
 * unclaimed member always means use outside claims (the invariant of `membership.ts`). Every step that calls
 * FortiFlex (create, stop, reactivate, a mark or move that regenerates a token) is written ahead through
 * `intents.ts`, so a kill between the call and its audit row leaves an intent the next run resolves.
 */
import { errorMessage } from '../../lib/error-message';
import type { AuditEntry, EntitlementRecord, RecordAction } from '../../lib/state';
import type { PoolDeps } from './deps';
import { createWithIntent, isAuditedFailure, runChange, type ChangeSpec } from './intents';
import {
  isActive,
  isInUseOutsideClaims,
  POOL_ACTIONS,
  releaseDueAt,
  serialOf,
  type PoolInventory,
  type PoolMember,
} from './membership';
import type { PoolStep } from './plan';
import { auditBestEffort, poolScope, writeMemberRecord } from './records';

/** What applying steps did. */
export interface ApplyReport {
  applied: PoolStep[];
  failed: { step: PoolStep; error: string }[];
  created: string[];
}

/** Context of one run, for audit rows. */
export interface RunContext {
  runId: string;
  actor: string;
  reason: string;
}

/** An unclaimed member whose used token belonged to an instance the scaler released. */
const hasReleasedToken = (member: PoolMember | undefined): boolean =>
  member !== undefined && !member.claim && isActive(member) && member.entitlement.tokenStatus === 'USED';

/** Defence in depth: the planners never pick such a member, and no stale plan may either. */
function assertReleasable(member: PoolMember | undefined, serialNumber: string): void {
  if (member?.role === 'inUseOutsideClaims') {
    throw new Error(`refusing to release ${serialNumber}: its license is in use outside claims`);
  }
}

/** Appends `from` to `into`. */
export function mergeReports(into: ApplyReport, from: ApplyReport): void {
  into.applied.push(...from.applied);
  into.failed.push(...from.failed);
  into.created.push(...from.created);
}

/** Applies `steps` planned on `inventory` at `now`; see the module comment. */
export async function applySteps(
  deps: Pick<PoolDeps, 'client' | 'store' | 'hints'>,
  inventory: PoolInventory,
  steps: readonly PoolStep[],
  run: RunContext,
  now: Date,
): Promise<ApplyReport> {
  const { pool } = inventory;
  const at = now.toISOString();
  const bySerial = new Map(inventory.members.map((member) => [serialOf(member), member]));
  const report: ApplyReport = { applied: [], failed: [], created: [] };
  const scope = poolScope(pool);
  const row = (action: string, outcome: AuditEntry['outcome'], extra: Partial<AuditEntry>): AuditEntry => ({
    at,
    runId: run.runId,
    actor: run.actor,
    pool: pool.name,
    action,
    outcome,
    reason: run.reason,
    ...extra,
  });
  /** Records that the scaler did `lastAction` to one member now (for this run's reason unless given). */
  const recordAction = (
    serialNumber: string,
    lastAction: RecordAction,
    fields: Partial<EntitlementRecord> = {},
  ): Promise<void> =>
    writeMemberRecord(deps.store, pool, bySerial.get(serialNumber)?.record, serialNumber, {
      lastAction,
      lastActionAt: at,
      lastReason: run.reason,
      ...fields,
    });
  /** A step's FortiFlex change, written ahead and audited (see `intents.ts`). */
  const change = (
    spec: ChangeSpec,
    fn: () => Promise<void>,
    outcome: { details?: Record<string, unknown>; outcome?: AuditEntry['outcome'] } = {},
  ): Promise<void> =>
    runChange(deps, pool.name, spec, run, now, async () => {
      await fn();
      return { value: undefined, ...outcome };
    });
  for (const step of steps) {
    try {
      switch (step.kind) {
        case 'cancelRelease': {
          await recordAction(step.serialNumber, POOL_ACTIONS.poolCancelRelease);
          await auditBestEffort(
            deps.store,
            row('cancelRelease', 'succeeded', { serialNumber: step.serialNumber }),
          );
          break;
        }
        case 'markRelease': {
          const { serialNumber } = step;
          const member = bySerial.get(serialNumber);
          assertReleasable(member, serialNumber);
          const details = { dueAt: releaseDueAt(pool, now).toISOString() };
          const mark = () => recordAction(serialNumber, POOL_ACTIONS.poolRelease);
          if (hasReleasedToken(member)) {
            const regenerateAndMark = async () => {
              await deps.client.regenerateToken({ serialNumber });
              await mark();
            };
            await change({ action: 'markRelease', serialNumber }, regenerateAndMark, {
              outcome: 'planned',
              details,
            });
          } else {
            await mark();
            await auditBestEffort(deps.store, row('markRelease', 'planned', { serialNumber, details }));
          }
          break;
        }
        case 'moveRelease': {
          const target = bySerial.get(step.to);
          assertReleasable(target, step.to);
          const move = async () => {
            if (hasReleasedToken(target)) await deps.client.regenerateToken({ serialNumber: step.to });
            await recordAction(step.from, POOL_ACTIONS.poolCancelRelease, {
              lastReason: `release moved to ${step.to}`,
            });
            await recordAction(step.to, POOL_ACTIONS.poolRelease, {
              lastReason: `release moved from ${step.from}, still claimed`,
            });
          };
          const details = { from: step.from };
          if (hasReleasedToken(target)) {
            await change({ action: 'moveRelease', serialNumber: step.to }, move, { details });
          } else {
            await move();
            await auditBestEffort(
              deps.store,
              row('moveRelease', 'succeeded', { serialNumber: step.to, details }),
            );
          }
          break;
        }
        case 'reactivate': {
          const { serialNumber } = step;
          const member = bySerial.get(serialNumber);
          await change({ action: 'reactivate', serialNumber }, async () => {
            // A new token before reactivating: the spare then reads as unused (ACTIVE, NOTUSED), and a
            // FortiGate still holding the old token is not licensed again by accident. Regeneration works on
            // STOPPED.
            if (member?.entitlement.tokenStatus === 'USED') {
              await deps.client.regenerateToken({ serialNumber });
            }
            await deps.client.reactivateEntitlement({ serialNumber, scope });
            await recordAction(serialNumber, POOL_ACTIONS.poolReactivate, {
              stoppedByScaler: false,
              previousStatus: member?.entitlement.status,
            });
          });
          break;
        }
        case 'stop': {
          const { serialNumber } = step;
          const member = bySerial.get(serialNumber);
          assertReleasable(member, serialNumber);
          // The inventory is a few calls old and claims take held members without the lease: look again
          // right before the one step that unlicenses a firewall.
          const [claim, listed] = await Promise.all([
            deps.store.claims.findBySerial(pool.name, serialNumber),
            deps.client.listEntitlements(scope, { serialNumber }),
          ]);
          const current = listed.find((e) => e.serialNumber === serialNumber);
          if (claim || member?.claim) throw new Error(`refusing to stop ${serialNumber}: it is claimed`);
          if (current && isInUseOutsideClaims(current, member?.record)) {
            throw new Error(`refusing to stop ${serialNumber}: its license is in use outside claims`);
          }
          await change({ action: 'stop', serialNumber }, async () => {
            await deps.client.stopEntitlement({ serialNumber, scope });
            await recordAction(serialNumber, POOL_ACTIONS.poolStop, {
              stoppedByScaler: true,
              previousStatus: 'ACTIVE',
            });
          });
          break;
        }
        case 'create': {
          const created = await createWithIntent(deps, inventory, step.count, run, now);
          report.created.push(...created.map((entitlement) => entitlement.serialNumber));
          break;
        }
      }
      report.applied.push(step);
    } catch (error) {
      const message = errorMessage(error);
      report.failed.push({ step, error: message });
      const serialNumber = 'serialNumber' in step ? step.serialNumber : undefined;
      if (serialNumber) {
        await writeMemberRecord(deps.store, pool, bySerial.get(serialNumber)?.record, serialNumber, {
          lastError: message,
          lastErrorAt: at,
        }).catch(() => undefined);
      }
      if (!isAuditedFailure(error)) {
        await auditBestEffort(deps.store, row(step.kind, 'failed', { serialNumber, error: message }));
      }
    }
  }
  // Claims of this worker must not keep choosing members from before the change.
  if (steps.length > 0) deps.hints.forget(pool);
  return report;
}
