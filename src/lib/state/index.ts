/**
 * Scaler state in Azure Storage (Azurite locally): tables for entitlement records, the audit trail, webhook
 * dedupe keys, license claims and pool change intents; blob leases for exclusive runs and pools; the `scaler-work` queue.
 */
import type { TokenCredential } from '@azure/identity';
import { auditStore } from './audit';
import { claimsStore } from './claims';
import { createStorageClients } from './clients';
import { deliveriesStore } from './deliveries';
import { eventsStore } from './events';
import { intentsStore } from './intents';
import { once } from './keys';
import { leasesStore } from './leases';
import { queueStore } from './queue';
import { recordsStore } from './records';
import { sharedTokenStore } from './shared-token';
import type { SharedTokenStore } from '../fortiflex/shared-token';
import type { StateStore, StorageSettings } from './types';

export * from './types';
export { decodeMessage, encodeMessage } from './queue';

/** Base names; a store prefix is prepended to each. */
export const STATE_NAMES = Object.freeze({
  records: 'records',
  audit: 'audit',
  events: 'events',
  claims: 'claims',
  intents: 'intents',
  leaseContainer: 'scaler-leases',
  tokenContainer: 'scaler-tokens',
  workQueue: 'scaler-work',
  poisonQueue: 'scaler-work-poison',
  deliveries: 'deliveries',
});

/** Options for {@link createStateStore}. */
export interface StateStoreOptions {
  /** Prefix for every table, container and queue name (a lowercase letter, then letters and digits), for tests. */
  prefix?: string;
  /** Identity for the service-URI form; default `ManagedIdentityCredential(clientId)` or `DefaultAzureCredential`. */
  credential?: TokenCredential;
  /** Clock for audit queries without `until`. */
  now?: () => Date;
}

/**
 * Builds the store. Nothing is contacted here: each table, the lease container and the queues are created
 * (idempotently) on first use, once per store.
 */
export async function createStateStore(
  storage: StorageSettings,
  options: StateStoreOptions = {},
): Promise<StateStore> {
  const prefix = options.prefix ?? '';
  if (!/^([a-z][a-z0-9]{0,29})?$/.test(prefix)) {
    throw new RangeError(
      `state store prefix "${prefix}" — expected a lowercase letter then up to 29 letters or digits`,
    );
  }
  const clients = createStorageClients(storage, options.credential);
  const table = (name: string) => {
    const client = clients.table(`${prefix}${name}`);
    return { client, ensure: once(() => client.createTable()) };
  };
  const records = table(STATE_NAMES.records);
  const audit = table(STATE_NAMES.audit);
  const events = table(STATE_NAMES.events);
  const claims = table(STATE_NAMES.claims);
  const intents = table(STATE_NAMES.intents);
  const container = clients.container(`${prefix}${STATE_NAMES.leaseContainer}`);
  const work = clients.queue(`${prefix}${STATE_NAMES.workQueue}`);
  const poison = clients.queue(`${prefix}${STATE_NAMES.poisonQueue}`);
  const ensureQueues = once(() => Promise.all([work.createIfNotExists(), poison.createIfNotExists()]));
  const deliveries = table(STATE_NAMES.deliveries);

  return {
    records: recordsStore(records.client, records.ensure),
    audit: auditStore(audit.client, audit.ensure, options.now),
    events: eventsStore(events.client, events.ensure),
    claims: claimsStore(claims.client, claims.ensure),
    intents: intentsStore(intents.client, intents.ensure),
    leases: leasesStore(
      container,
      once(() => container.createIfNotExists()),
    ),
    queue: queueStore(work, poison, ensureQueues),
    deliveries: deliveriesStore(deliveries.client, deliveries.ensure),
  };
}

/**
 * The FortiFlex client's shared token store in the same storage (container `scaler-tokens`, created on first
 * use), so every process of the app uses one FortiFlex session. Nothing is contacted here.
 */
export function createSharedTokenStore(
  storage: StorageSettings,
  options: Pick<StateStoreOptions, 'prefix' | 'credential'> = {},
): SharedTokenStore {
  const container = createStorageClients(storage, options.credential).container(
    `${options.prefix ?? ''}${STATE_NAMES.tokenContainer}`,
  );
  return sharedTokenStore(
    container,
    once(() => container.createIfNotExists()),
  );
}
