/**
 * The pool step planner (pure): which changes bring a pool to a size, and which are due at an instant.
 *
 * Scale out (in this order, cheapest first): cancel pending releases (a license still ACTIVE and unassigned
 * is reused at zero cost), reactivate STOPPED members (token regenerated first when it was used), unpark
 * PENDING members (unused tokens, free until used), then create entitlements named after the pool. Scale in
 * marks surplus members for release, unclaimed ACTIVE ones first (they cost points), then unclaimed PENDING
 * ones (parked, free), then claimed ones (a debt that moves to the next member an instance frees). Members in
 * use outside claims are never marked, moved to or stopped: they count toward the size but only an operator
 * gives them back. A marked ACTIVE member is stopped when due: just before the next PT midnight, because the
 * current PT day is already paid.
 */
import type { CapacityChange } from './message';
import {
  freeMembers,
  isActive,
  releaseDueAt,
  serialOf,
  type PoolInventory,
  type PoolMember,
} from './membership';

/** One planned change to a pool member (or a creation). */
export type PoolStep =
  | { kind: 'cancelRelease'; serialNumber: string }
  | { kind: 'reactivate'; serialNumber: string }
  | { kind: 'create'; count: number }
  | { kind: 'markRelease'; serialNumber: string }
  | { kind: 'moveRelease'; from: string; to: string }
  | { kind: 'stop'; serialNumber: string };

/** The size a change asks for, clamped to the bounds in force. */
export function targetSize(inventory: PoolInventory, change: CapacityChange): number {
  const wanted = 'desired' in change ? change.desired : inventory.size + change.delta;
  return Math.min(inventory.bounds.max, Math.max(inventory.bounds.min, wanted));
}

const isPending = (member: PoolMember): boolean => member.entitlement.status === 'PENDING';
const byNewestClaim = (a: PoolMember, b: PoolMember): number =>
  (b.claim?.claimedAt ?? '').localeCompare(a.claim?.claimedAt ?? '');
const cancel = (member: PoolMember): PoolStep => ({ kind: 'cancelRelease', serialNumber: serialOf(member) });

/** Steps that bring the pool's size to `target`. */
export function planResize(inventory: PoolInventory, target: number): PoolStep[] {
  const steps: PoolStep[] = [];
  const { members } = inventory;
  if (target > inventory.size) {
    let need = target - inventory.size;
    const releasing = members.filter((member) => member.role === 'releasing');
    const order: PoolStep[] = [
      // A claimed member marked for release is a scale-in debt: cancelling it is free.
      ...releasing.filter((member) => member.claim).map(cancel),
      ...releasing.filter((member) => !member.claim && isActive(member)).map(cancel),
      ...members
        .filter((member) => member.role === 'reserve')
        .map((member): PoolStep => ({ kind: 'reactivate', serialNumber: serialOf(member) })),
      ...releasing.filter((member) => !member.claim && isPending(member)).map(cancel),
    ];
    for (const step of order) {
      if (need === 0) break;
      steps.push(step);
      need -= 1;
    }
    if (need > 0) steps.push({ kind: 'create', count: need });
  } else if (target < inventory.size) {
    const claimed = members.filter((member) => member.role === 'held' && member.claim);
    const order = [...freeMembers(inventory), ...claimed.sort(byNewestClaim)];
    for (const member of order.slice(0, inventory.size - target)) {
      steps.push({ kind: 'markRelease', serialNumber: serialOf(member) });
    }
  }
  return steps;
}

/**
 * Steps due at `now`: move scale-in debts from claimed members to members nobody holds, then stop marked
 * ACTIVE members whose release is due. Marked PENDING members cost nothing and stay parked.
 */
export function planDue(inventory: PoolInventory, now: Date): PoolStep[] {
  const steps: PoolStep[] = [];
  const debts = inventory.members.filter((member) => member.role === 'releasing' && member.claim);
  const free = freeMembers(inventory);
  const moved = new Set<string>();
  for (const [index, debt] of debts.entries()) {
    const target = free[index];
    if (!target) break;
    steps.push({ kind: 'moveRelease', from: serialOf(debt), to: serialOf(target) });
    moved.add(serialOf(target));
  }
  for (const member of inventory.members) {
    const markedNow = moved.has(serialOf(member));
    if (!isActive(member) || member.claim) continue;
    if (!markedNow && member.role !== 'releasing') continue;
    const markedAt = markedNow ? now : new Date(member.record?.lastActionAt ?? now.toISOString());
    if (releaseDueAt(inventory.pool, markedAt).getTime() <= now.getTime()) {
      steps.push({ kind: 'stop', serialNumber: serialOf(member) });
    }
  }
  return steps;
}
