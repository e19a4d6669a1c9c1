/**
 * Azure resource events (Event Grid, resource-group system topic) as "sync now" hints for pools with licence
 * delivery: a write or delete of a scale set, one of its Uniform instances, or a VM or NIC in the scale set's
 * resource group (Flexible members are ordinary VMs there) queues one `sync` for each such pool. Events are
 * hints only: what the sync lists decides, so an event for an unrelated VM costs one idempotent sync.
 * Bursts coalesce: the first event of a pool queues a sync delayed by {@link EVENT_COALESCE_SECONDS}, and the
 * events that follow within that window ride on it (its listing comes after them).
 */
import type { Policy, Pool } from '../../lib/rules';
import type { PoolDeps } from './deps';
import { syncMessage } from './message';

/** Window in which one pool's events share one sync. */
export const EVENT_COALESCE_SECONDS = 5;

/** Event types that may change a scale set's instances. */
const RELEVANT_TYPES = new Set([
  'microsoft.resources.resourcewritesuccess',
  'microsoft.resources.resourcedeletesuccess',
  'microsoft.resources.resourceactionsuccess',
]);

/** The part of an Event Grid event this module reads. */
export interface ResourceEvent {
  id?: string;
  subject?: string;
  eventType?: string;
  data?: unknown;
}

/** The resource an event is about: `data.resourceUri`, else the subject, lower case. */
function resourceOf(event: ResourceEvent): string | undefined {
  const data = event.data as { resourceUri?: unknown } | undefined;
  const uri = typeof data?.resourceUri === 'string' ? data.resourceUri : event.subject;
  const lower = typeof uri === 'string' ? uri.toLowerCase() : '';
  return lower.startsWith('/subscriptions/') ? lower : undefined;
}

/** The pools with licence delivery that an event may concern. Pure. */
export function poolsForResourceEvent(policy: Policy, event: ResourceEvent): Pool[] {
  if (!RELEVANT_TYPES.has((event.eventType ?? '').toLowerCase())) return [];
  const resource = resourceOf(event);
  if (!resource) return [];
  return policy.pools.filter((pool) => {
    if (!pool.fortigate || !pool.scaleSet) return false;
    const set = pool.scaleSet.resourceId.toLowerCase().replace(/\/+$/, '');
    if (resource === set || resource.startsWith(`${set}/`)) return true;
    const group = set.split('/providers/')[0]!;
    return (
      resource.startsWith(`${group}/providers/microsoft.compute/virtualmachines/`) ||
      resource.startsWith(`${group}/providers/microsoft.network/networkinterfaces/`)
    );
  });
}

/** What handling one event did. */
export interface EventOutcome {
  /** Pools a sync was queued for. */
  queued: string[];
  /** Pools whose sync an earlier event of the window already queued. */
  coalesced: string[];
}

/** Queues (coalesced) syncs for the pools an event concerns. Throws when storage fails (Event Grid retries). */
export async function handleResourceEvent(
  deps: Pick<PoolDeps, 'loadPolicy' | 'store' | 'now'>,
  event: ResourceEvent,
): Promise<EventOutcome> {
  const policy = await deps.loadPolicy();
  const now = deps.now();
  const outcome: EventOutcome = { queued: [], coalesced: [] };
  for (const pool of poolsForResourceEvent(policy, event)) {
    const first = await deps.store.events.remember(
      `delivery-event:${pool.name}`,
      EVENT_COALESCE_SECONDS * 1000,
      now,
    );
    if (!first) {
      outcome.coalesced.push(pool.name);
      continue;
    }
    const reason = `${event.eventType ?? 'event'} ${(resourceOf(event) ?? '').split('/').slice(-2).join('/')}`;
    await deps.store.queue.send(syncMessage(pool.name, 'event', reason, now), {
      delaySeconds: EVENT_COALESCE_SECONDS,
    });
    outcome.queued.push(pool.name);
  }
  return outcome;
}
