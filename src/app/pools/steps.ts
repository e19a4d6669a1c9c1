/**
 * Applies planned pool steps (`plan.ts`) one by one. Each failure is isolated, recorded on the member's
 * record and audited, and the rest still run. Before it marks, moves a release to or reactivates a member
 * whose token was used by an instance the scaler released, it regenerates the token, so a used token on an
 * unclaimed member always means use outside claims (the invariant of `membership.ts`).
 */
import { errorMessage } from '../../lib/error-message';
import type { AuditEntry, EntitlementRecord, RecordAction } from '../../lib/state';
import type { PoolDeps } from './deps';
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
import { auditBestEffort, createForPool, poolScope, writeMemberRecord } from './records';

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
  /** Audits a step that succeeded on `serialNumber`. */
  const succeeded = (action: PoolStep['kind'], serialNumber: string, extra: Partial<AuditEntry> = {}) =>
    auditBestEffort(deps.store, row(action, 'succeeded', { serialNumber, ...extra }));
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
  for (const step of steps) {
    try {
      switch (step.kind) {
        case 'cancelRelease': {
          await recordAction(step.serialNumber, POOL_ACTIONS.poolCancelRelease);
          await succeeded('cancelRelease', step.serialNumber);
          break;
        }
        case 'markRelease': {
          const member = bySerial.get(step.serialNumber);
          assertReleasable(member, step.serialNumber);
          if (hasReleasedToken(member))
            await deps.client.regenerateToken({ serialNumber: step.serialNumber });
          await recordAction(step.serialNumber, POOL_ACTIONS.poolRelease);
          const dueAt = releaseDueAt(pool, now).toISOString();
          await auditBestEffort(
            deps.store,
            row('markRelease', 'planned', { serialNumber: step.serialNumber, details: { dueAt } }),
          );
          break;
        }
        case 'moveRelease': {
          const target = bySerial.get(step.to);
          assertReleasable(target, step.to);
          if (hasReleasedToken(target)) await deps.client.regenerateToken({ serialNumber: step.to });
          await recordAction(step.from, POOL_ACTIONS.poolCancelRelease, {
            lastReason: `release moved to ${step.to}`,
          });
          await recordAction(step.to, POOL_ACTIONS.poolRelease, {
            lastReason: `release moved from ${step.from}, still claimed`,
          });
          await succeeded('moveRelease', step.to, { details: { from: step.from } });
          break;
        }
        case 'reactivate': {
          const member = bySerial.get(step.serialNumber);
          // A new token before reactivating: the spare then reads as unused (ACTIVE, NOTUSED), and a FortiGate
          // still holding the old token is not licensed again by accident. Regeneration works on STOPPED.
          if (member?.entitlement.tokenStatus === 'USED') {
            await deps.client.regenerateToken({ serialNumber: step.serialNumber });
          }
          await deps.client.reactivateEntitlement({ serialNumber: step.serialNumber, scope });
          await recordAction(step.serialNumber, POOL_ACTIONS.poolReactivate, {
            stoppedByScaler: false,
            previousStatus: member?.entitlement.status,
          });
          await succeeded('reactivate', step.serialNumber);
          break;
        }
        case 'stop': {
          const member = bySerial.get(step.serialNumber);
          assertReleasable(member, step.serialNumber);
          // The inventory is a few calls old and claims take held members without the lease: look again
          // right before the one step that unlicenses a firewall.
          const [claim, listed] = await Promise.all([
            deps.store.claims.findBySerial(pool.name, step.serialNumber),
            deps.client.listEntitlements(scope, { serialNumber: step.serialNumber }),
          ]);
          const current = listed.find((e) => e.serialNumber === step.serialNumber);
          if (claim || member?.claim) throw new Error(`refusing to stop ${step.serialNumber}: it is claimed`);
          if (current && isInUseOutsideClaims(current, member?.record)) {
            throw new Error(`refusing to stop ${step.serialNumber}: its license is in use outside claims`);
          }
          await deps.client.stopEntitlement({ serialNumber: step.serialNumber, scope });
          await recordAction(step.serialNumber, POOL_ACTIONS.poolStop, {
            stoppedByScaler: true,
            previousStatus: 'ACTIVE',
          });
          await succeeded('stop', step.serialNumber);
          break;
        }
        case 'create': {
          const created = await createForPool(deps, pool, step.count);
          report.created.push(...created.map((entitlement) => entitlement.serialNumber));
          await auditBestEffort(
            deps.store,
            row('create', 'succeeded', {
              details: { count: step.count, serialNumbers: created.map((e) => e.serialNumber) },
            }),
          );
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
      await auditBestEffort(deps.store, row(step.kind, 'failed', { serialNumber, error: message }));
    }
  }
  // Claims of this worker must not keep choosing members from before the change.
  if (steps.length > 0) deps.hints.forget(pool);
  return report;
}
