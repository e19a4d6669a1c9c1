/**
 * Pool membership (pure): which entitlements belong to a pool, what role each member plays, and the pool's
 * size and bounds at an instant. No I/O; `inventory.ts` reads what these functions classify. The state
 * machine is drawn in docs/architecture.md §"Pool state machine".
 *
 * Membership: an entitlement belongs to pool P when its config is P's `configId` and either its FortiFlex
 * description carries the marker `fortiflex-scaler pool <P>` (written when the scaler creates it, visible in
 * the FortiFlex portal and enough to recover the pool if local state is lost) or a record in the `records`
 * table says `pool: P` (written whenever the scaler acts on it). To add existing entitlements to a pool, set
 * their description to the marker.
 *
 * Member roles (the pool state machine), derived from the entitlement's status and token status, its claim
 * and its record:
 * - `inUseOutsideClaims`: ACTIVE, token USED, no claim, and the scaler did not release it. A FortiGate
 *   activated with that token (before the pool was managed, by hand, or with a token another tool handed
 *   out) and may still be running; the scaler cannot know when it is gone. Counts toward the pool's size like
 *   a claimed member, is never claimed, marked for release or stopped. An operator returns it to the pool by
 *   regenerating its token once its VM is gone (it becomes an unused spare).
 * - `held`: ACTIVE or PENDING, not marked for release, and either claimed or unused: PENDING (free until a
 *   VM uses the token), ACTIVE with an unused token (reactivated by the pool, created with skipPending), or
 *   ACTIVE with the used token of an instance the scaler released (record `lastAction: 'claimRelease'`,
 *   written by a release or by the sweep when the instance is gone). Counts toward the pool's size; the
 *   unclaimed ones are what claims take and what scale-in marks.
 * - `releasing`: marked for release by a scale-in (record `lastAction: 'poolRelease'`). An ACTIVE unclaimed
 *   one is stopped when due (just before the next PT midnight by default); a PENDING one costs nothing and
 *   simply stays parked; a claimed one is a scale-in debt that moves to the next member that is freed.
 * - `reserve`: STOPPED; reused (token regenerated, reactivated) on scale-out or claim.
 * - `unusable`: EXPIRED or any other status.
 *
 * The pool keeps one invariant that makes a used token trustworthy: it never leaves an unclaimed member with a
 * used token it did not release. Before it marks, moves a release to or reactivates a member whose token was
 * used, it regenerates the token; a claim regenerates a used token before revealing it and overwrites the
 * `claimRelease` record. So an unclaimed ACTIVE member with a USED token and any other record was activated
 * outside the pool's claims (even one the pool had parked: someone used its token since).
 */
import type { Entitlement } from '../../lib/fortiflex/types';
import { nextPtMidnight, type CompiledSchedule, type Pool } from '../../lib/rules';
import type { ClaimRecord, EntitlementRecord, PoolRecordAction } from '../../lib/state';

/** Role of a pool member (see the module comment). */
export type MemberRole = 'held' | 'inUseOutsideClaims' | 'releasing' | 'reserve' | 'unusable';

/** One pool member with everything known about it. */
export interface PoolMember {
  entitlement: Entitlement;
  record?: EntitlementRecord;
  claim?: ClaimRecord;
  role: MemberRole;
}

/** Capacity bounds in force at an instant. */
export interface CapacityBounds {
  min: number;
  max: number;
  /** Schedule of the matching entry; absent for an unconditional entry or the fallback. */
  schedule?: string;
}

/** A pool's members and derived counts at one instant. */
export interface PoolInventory {
  pool: Pool;
  at: Date;
  members: PoolMember[];
  /** Claims whose serial is not (or no longer) a pool member. */
  orphanClaims: ClaimRecord[];
  bounds: CapacityBounds;
  /** Members held for instances (`held` plus `inUseOutsideClaims`): the pool's size. */
  size: number;
  claimed: number;
  /** Members in use outside claims (see the module comment). */
  inUse: number;
  active: number;
}

/**
 * Record `lastAction` values written by pools (keys equal values, so a call site reads what is stored).
 * `claimRelease`: a claim was released (by its instance, the CLI or the sweep) and its used token left in
 * place, so the token's last user is known gone; only this action makes an unclaimed member with a used token
 * a spare. `claimReleaseNewToken`: released with a regenerated token; the entitlement itself shows the
 * license unused.
 */
export const POOL_ACTIONS = {
  poolRelease: 'poolRelease',
  poolCancelRelease: 'poolCancelRelease',
  poolStop: 'poolStop',
  poolReactivate: 'poolReactivate',
  claimAssign: 'claimAssign',
  claimRelease: 'claimRelease',
  claimReleaseNewToken: 'claimReleaseNewToken',
} as const satisfies { [K in PoolRecordAction]: K };

/** The description marker of a pool's entitlements. */
export function poolMarker(poolName: string): string {
  return `fortiflex-scaler pool ${poolName}`;
}

/** The description given to entitlements the scaler creates for a pool. */
export function poolDescription(pool: Pool): string {
  return pool.description ? `${poolMarker(pool.name)} - ${pool.description}` : poolMarker(pool.name);
}

/** True when `description` carries the marker of `poolName` (exactly, or followed by a space). */
export function hasPoolMarker(description: string, poolName: string): boolean {
  const marker = poolMarker(poolName);
  return description === marker || description.startsWith(`${marker} `);
}

/** True when the entitlement belongs to the pool (config plus description marker or record). */
export function isPoolMember(pool: Pool, entitlement: Entitlement, record?: EntitlementRecord): boolean {
  if (entitlement.configId !== pool.configId) return false;
  return hasPoolMarker(entitlement.description, pool.name) || record?.pool === pool.name;
}

/** True when the record marks the entitlement for release by a scale-in. */
export function isMarkedForRelease(record: EntitlementRecord | undefined): boolean {
  return record?.lastAction === POOL_ACTIONS.poolRelease;
}

/** True when the record says the scaler released the member's claim (the token's last user is gone). */
export function isReleasedByScaler(record: EntitlementRecord | undefined): boolean {
  return record?.lastAction === POOL_ACTIONS.claimRelease;
}

/**
 * True when the member is ACTIVE with a used token, holds no claim and the scaler did not release it: a
 * FortiGate may be running on it that the scaler knows nothing about.
 */
export function isInUseOutsideClaims(
  entitlement: Entitlement,
  record?: EntitlementRecord,
  claim?: ClaimRecord,
): boolean {
  return (
    entitlement.status === 'ACTIVE' &&
    entitlement.tokenStatus === 'USED' &&
    claim === undefined &&
    !isReleasedByScaler(record)
  );
}

/** The role of a member given its entitlement, record and claim (see the module comment). */
export function memberRole(
  entitlement: Entitlement,
  record?: EntitlementRecord,
  claim?: ClaimRecord,
): MemberRole {
  // Before the release mark: a mark never licenses the pool to stop a firewall someone else activated.
  if (isInUseOutsideClaims(entitlement, record, claim)) return 'inUseOutsideClaims';
  switch (entitlement.status) {
    case 'ACTIVE':
    case 'PENDING':
      return isMarkedForRelease(record) ? 'releasing' : 'held';
    case 'STOPPED':
      return 'reserve';
    default:
      return 'unusable';
  }
}

/**
 * When a release marked at `markedAt` is due: just before the next PT midnight (today is already paid), or
 * at once when the pool does not defer. A mark made inside the margin is due immediately, which still
 * saves the next day.
 */
export function releaseDueAt(pool: Pool, markedAt: Date): Date {
  if (!pool.scaleIn.deferUntilBillingDayEnd) return markedAt;
  return new Date(nextPtMidnight(markedAt).getTime() - pool.scaleIn.marginMinutes * 60_000);
}

/**
 * The capacity entry in force: the first whose schedule is active (or that has none). When none matches,
 * the pool may shrink to zero but still grows up to the largest `max` of any entry, because an unlicensed
 * firewall costs more than a day of points.
 */
export function capacityInForce(
  pool: Pool,
  schedules: ReadonlyMap<string, CompiledSchedule>,
  at: Date,
): CapacityBounds {
  for (const entry of pool.capacity) {
    if (entry.schedule === undefined) return { min: entry.min, max: entry.max };
    const schedule = schedules.get(entry.schedule);
    if (schedule?.isActive(at)) return { min: entry.min, max: entry.max, schedule: entry.schedule };
  }
  return { min: 0, max: Math.max(0, ...pool.capacity.map((entry) => entry.max)) };
}

/** Builds the inventory from raw lists; pure. */
export function buildInventory(input: {
  pool: Pool;
  at: Date;
  bounds: CapacityBounds;
  entitlements: readonly Entitlement[];
  records: readonly EntitlementRecord[];
  claims: readonly ClaimRecord[];
}): PoolInventory {
  const { pool } = input;
  const records = new Map(input.records.map((record) => [record.serialNumber, record]));
  const claims = new Map(input.claims.map((claim) => [claim.serialNumber, claim]));
  const members: PoolMember[] = [];
  for (const entitlement of input.entitlements) {
    const record = records.get(entitlement.serialNumber);
    if (!isPoolMember(pool, entitlement, record)) continue;
    const claim = claims.get(entitlement.serialNumber);
    members.push({ entitlement, record, claim, role: memberRole(entitlement, record, claim) });
  }
  members.sort((a, b) => a.entitlement.serialNumber.localeCompare(b.entitlement.serialNumber));
  const memberSerials = new Set(members.map((member) => member.entitlement.serialNumber));
  return {
    pool,
    at: input.at,
    members,
    orphanClaims: input.claims.filter((claim) => !memberSerials.has(claim.serialNumber)),
    bounds: input.bounds,
    size: members.filter((m) => m.role === 'held' || m.role === 'inUseOutsideClaims').length,
    claimed: members.filter((member) => member.claim).length,
    inUse: members.filter((member) => member.role === 'inUseOutsideClaims').length,
    active: members.filter((member) => member.entitlement.status === 'ACTIVE').length,
  };
}

/** True when the member's entitlement is ACTIVE (already paid for the current Pacific day). */
export const isActive = (member: PoolMember): boolean => member.entitlement.status === 'ACTIVE';

/** The member's serial number. */
export const serialOf = (member: PoolMember): string => member.entitlement.serialNumber;

/**
 * Unclaimed members the pool holds for instances, ACTIVE (already paid) before PENDING: what claims take
 * first and scale-in marks first. Members in use outside claims have their own role, so they are never here.
 */
export function freeMembers(inventory: PoolInventory): PoolMember[] {
  const free = inventory.members.filter((member) => member.role === 'held' && !member.claim);
  return [...free.filter(isActive), ...free.filter((member) => !isActive(member))];
}

/** Every license the pool may hold is taken by a claim or by a FortiGate outside claims. */
export function atMax(inventory: PoolInventory): boolean {
  return inventory.claimed + inventory.inUse >= inventory.bounds.max;
}

/** The pool's numbers, as a 409 answer and `pool status` show them. */
export interface PoolNumbers {
  pool: string;
  min: number;
  max: number;
  claimed: number;
  /** Licenses in use outside claims; they count against `max` like claims. */
  inUse: number;
  active: number;
}

/** The numbers of an inventory. */
export function poolNumbers(inventory: PoolInventory): PoolNumbers {
  return {
    pool: inventory.pool.name,
    min: inventory.bounds.min,
    max: inventory.bounds.max,
    claimed: inventory.claimed,
    inUse: inventory.inUse,
    active: inventory.active,
  };
}
