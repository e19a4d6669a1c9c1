/**
 * Event Grid trigger (`scaleSetEvents`): resource events of the resource groups that hold the pools' scale
 * sets (a resource-group system topic, see infra/modules/delivery.bicep). An event about a scale set, its
 * instances, or a VM or NIC next to it queues a coalesced `sync` of each pool with licence delivery; the
 * queue worker runs it under the pool lease. Events are hints: nothing is decided from their content. A
 * storage failure throws, so Event Grid delivers the event again.
 */
import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import type { PoolDeps } from '../app/pools/deps';
import { errorMessage } from '../lib/error-message';
import { fromEnvironment, loggable, type DependencyResolver } from './http';

/** Builds the handler over `resolve` (tests pass their own dependencies). */
export function createScaleSetEventsHandler(resolve: DependencyResolver<PoolDeps> = fromEnvironment) {
  return async function scaleSetEvents(event: EventGridEvent, context: InvocationContext): Promise<void> {
    const [{ handleResourceEvent }, deps] = await Promise.all([import('../app/pools/events.js'), resolve()]);
    try {
      const outcome = await handleResourceEvent(deps, event);
      if (outcome.queued.length > 0 || outcome.coalesced.length > 0) {
        context.log(
          `scaleSetEvents ${loggable(event.eventType)} ${loggable(event.subject)}: sync queued for ` +
            `[${outcome.queued.join(', ')}], coalesced [${outcome.coalesced.join(', ')}]`,
        );
      }
    } catch (error) {
      context.warn(`scaleSetEvents ${loggable(event.id)}: ${errorMessage(error)}`);
      throw error;
    }
  };
}

/** The registered handler. */
export const scaleSetEvents = createScaleSetEventsHandler();

app.eventGrid('scaleSetEvents', { handler: scaleSetEvents });
