/**
 * The pools part of the status use case (docs/architecture.md §"Status"): per pool its size, the bounds in
 * force, claims, members in use outside claims, every member with its role, pending licence deliveries, and
 * over the status timeline the bounds in force and the releases due. Read-only: inventories are read with
 * `loadInventory` (no lease, no hint updates), reusing the status's own entitlement listing where it covers
 * the pool.
 */
import type { Entitlement } from '../../lib/fortiflex/types';
import { errorMessage } from '../../lib/error-message';
import { holidaysBetween, type Policy, type Pool, type TimelineBand } from '../../lib/rules';
import type { EntitlementRecord } from '../../lib/state';
import type { PendingDelivery, PoolStatus, PoolTimeline, StatusError } from '../../lib/views/status-model';
import type { AppDependencies } from '../dependencies';
import { loadInventory, schedulesOf } from '../pools/inventory';
import { capacityInForce, isMarkedForRelease, releaseDueAt, type PoolInventory } from '../pools/membership';
import { poolScope } from '../pools/records';
import { scopeKey } from './listing';

/**
 * Reads the pending licence deliveries of a pool. The licence-delivery feature supplies the real reader;
 * until then status passes {@link noPendingDeliveries}.
 */
export type PendingDeliveryReader = (pool: Pool) => Promise<PendingDelivery[]>;

/** No delivery is ever pending (no licence-delivery feature configured). */
export const noPendingDeliveries: PendingDeliveryReader = () => Promise.resolve([]);

/** What the pool statuses are read from. */
export interface PoolStatusInput {
  deps: Pick<AppDependencies, 'client' | 'store'>;
  policy: Policy;
  pools: readonly Pool[];
  now: Date;
  /** The status's listing per account+program scope ({@link scopeKey}); a pool in a listed scope reuses it. */
  listed: ReadonlyMap<string, readonly Entitlement[]>;
  records: readonly EntitlementRecord[];
  deliveries: PendingDeliveryReader;
  /** The status timeline's range. */
  range: { from: Date; to: Date };
  errors: StatusError[];
}

function emptyStatus(pool: Pool, error: string): PoolStatus {
  return {
    name: pool.name,
    configId: pool.configId,
    size: 0,
    bounds: { min: 0, max: 0 },
    capacity: pool.capacity,
    claimed: 0,
    inUseOutsideClaims: 0,
    active: 0,
    members: [],
    orphanClaims: [],
    pendingDeliveries: [],
    error,
  };
}

function statusOf(inventory: PoolInventory, deliveries: PendingDelivery[]): PoolStatus {
  const { pool } = inventory;
  return {
    name: pool.name,
    configId: pool.configId,
    size: inventory.size,
    bounds: inventory.bounds,
    capacity: pool.capacity,
    claimed: inventory.claimed,
    inUseOutsideClaims: inventory.inUse,
    active: inventory.active,
    members: inventory.members.map((member) => {
      const { entitlement, record, claim } = member;
      const due =
        isMarkedForRelease(record) && record?.lastActionAt
          ? releaseDueAt(pool, new Date(record.lastActionAt)).toISOString()
          : undefined;
      // Built field by field: the entitlement's token never reaches the status answer.
      return {
        serialNumber: entitlement.serialNumber,
        status: entitlement.status,
        role: member.role,
        ...(claim && { instanceId: claim.instanceId, claimedAt: claim.claimedAt }),
        ...(claim?.expiresAt !== undefined && { claimExpiresAt: claim.expiresAt }),
        ...(due !== undefined && { releaseDueAt: due }),
        ...(record?.lastAction !== undefined && { lastAction: record.lastAction }),
        ...(record?.lastActionAt !== undefined && { lastActionAt: record.lastActionAt }),
        ...(record?.lastError !== undefined && { lastError: record.lastError }),
        ...(record?.lastErrorAt !== undefined && { lastErrorAt: record.lastErrorAt }),
      };
    }),
    orphanClaims: inventory.orphanClaims.map((c) => ({
      instanceId: c.instanceId,
      serialNumber: c.serialNumber,
    })),
    pendingDeliveries: deliveries,
  };
}

/** The bounds in force over [from, to), as consecutive stretches (a change at every capacity schedule edge). */
export function boundsOver(policy: Policy, pool: Pool, from: Date, to: Date): PoolTimeline['bounds'] {
  const schedules = schedulesOf(policy);
  const edges = new Set<number>([from.getTime()]);
  for (const entry of pool.capacity) {
    const schedule = entry.schedule === undefined ? undefined : schedules.get(entry.schedule);
    let cursor = from;
    for (let guard = 0; schedule && guard < 200; guard++) {
      const next = schedule.nextTransition(cursor, 14);
      if (!next || next.at.getTime() >= to.getTime()) break;
      edges.add(next.at.getTime());
      cursor = next.at;
    }
  }
  const sorted = [...edges].sort((a, b) => a - b);
  const out: PoolTimeline['bounds'] = [];
  sorted.forEach((start, i) => {
    const end = sorted[i + 1] ?? to.getTime();
    const bounds = capacityInForce(pool, schedules, new Date(start));
    const last = out[out.length - 1];
    if (last && last.min === bounds.min && last.max === bounds.max && last.schedule === bounds.schedule) {
      last.end = new Date(end).toISOString();
      return;
    }
    out.push({ start: new Date(start).toISOString(), end: new Date(end).toISOString(), ...bounds });
  });
  return out;
}

function timelineOf(input: PoolStatusInput, pool: Pool, status: PoolStatus): PoolTimeline {
  const { from, to } = input.range;
  const within = (at: string | undefined): at is string =>
    at !== undefined && Date.parse(at) >= from.getTime() && Date.parse(at) < to.getTime();
  const bands: TimelineBand[] = [];
  const seen = new Set<string>();
  for (const entry of pool.capacity) {
    const def = entry.schedule === undefined ? undefined : input.policy.schedules[entry.schedule];
    if (!def) continue;
    for (const day of holidaysBetween(def.holidays, def.timezone, from, to)) {
      if (seen.has(day.start)) continue;
      seen.add(day.start);
      bands.push({
        kind: 'holiday',
        start: new Date(Math.max(Date.parse(day.start), from.getTime())).toISOString(),
        end: new Date(Math.min(Date.parse(day.end), to.getTime())).toISOString(),
        label: `holiday ${day.date} (${def.timezone}, schedule ${entry.schedule})`,
      });
    }
  }
  const markers: PoolTimeline['markers'] = [];
  for (const member of status.members) {
    if (within(member.releaseDueAt)) {
      markers.push({
        kind: 'releaseDue',
        at: member.releaseDueAt,
        label: `${member.serialNumber}: stop due (released by scale-in)`,
      });
    }
    if (within(member.claimExpiresAt)) {
      markers.push({
        kind: 'claimExpires',
        at: member.claimExpiresAt,
        label: `${member.serialNumber}: claim of ${member.instanceId ?? '?'} expires unless renewed`,
      });
    }
  }
  for (const delivery of status.pendingDeliveries) {
    if (within(delivery.nextAttemptAt)) {
      markers.push({
        kind: 'delivery',
        at: delivery.nextAttemptAt,
        label: `${delivery.serialNumber} to ${delivery.instanceId}: next delivery attempt`,
      });
    }
  }
  markers.sort((a, b) => a.at.localeCompare(b.at));
  return { pool: pool.name, bounds: boundsOver(input.policy, pool, from, to), bands, markers };
}

/**
 * Reads the status of each pool and its timeline. A pool that cannot be read is reported (stage `pool`) with
 * its error and zero numbers; the others are unaffected.
 */
export async function readPoolStatuses(
  input: PoolStatusInput,
): Promise<{ pools: PoolStatus[]; timelines: PoolTimeline[] }> {
  const results = await Promise.all(
    input.pools.map(async (pool) => {
      try {
        const listed = input.listed
          .get(scopeKey(pool.fortiflex))
          ?.filter((e) => e.configId === pool.configId);
        const [inventory, deliveries] = await Promise.all([
          loadInventory(input.deps, input.policy, pool, input.now, {
            entitlements: listed
              ? Promise.resolve([...listed])
              : input.deps.client.listEntitlements(poolScope(pool)),
            records: Promise.resolve([...input.records]),
            claims: input.deps.store.claims.list(pool.name),
          }),
          input.deliveries(pool),
        ]);
        return statusOf(inventory, deliveries);
      } catch (error) {
        const message = errorMessage(error);
        input.errors.push({ stage: 'pool', message: `pool ${pool.name}: ${message}` });
        return emptyStatus(pool, message);
      }
    }),
  );
  return {
    pools: results,
    timelines: results.map((status, i) => timelineOf(input, input.pools[i]!, status)),
  };
}
