/**
 * What the pool use cases depend on. The app's composition root (`createAppDependencies`) satisfies it, the
 * CLI passes the same, and tests build their own over the simulator and Azurite.
 */
import type { FortiFlexClient } from '../../lib/fortiflex';
import type { ScaleSetLister } from '../../lib/azure/scale-set-lister';
import type { ComputeClient } from '../../lib/azure/compute';
import type { Policy } from '../../lib/rules';
import type { StateStore } from '../../lib/state';
import type { PoolHints } from './hints';
import type { PoolLeases } from './lease';

/** The FortiFlex calls pools make. */
export type PoolClient = Pick<
  FortiFlexClient,
  | 'listEntitlements'
  | 'createVmEntitlements'
  | 'reactivateEntitlement'
  | 'stopEntitlement'
  | 'regenerateToken'
>;

/** Everything the pool use cases need. */
export interface PoolDeps {
  client: PoolClient;
  store: StateStore;
  loadPolicy(): Policy | Promise<Policy>;
  /** The run's clock (simulated in tests and the demo); read once per use case and passed down. */
  now(): Date;
  /**
   * Wall-clock milliseconds for the age of a claim attempt (how long a process has been readying a license),
   * never the simulated run clock. Default `Date.now`.
   */
  wallClock?: () => number;
  /** This worker's inventory hints for claims; built once per worker (see `hints.ts`). */
  hints: PoolHints;
  /** This worker's pool leases: in-process turns plus the blob lease (see `lease.ts`). */
  leases: PoolLeases;
  /** The webhook's HMAC key, resolved by the composition root (Key Vault or `WEBHOOK_HMAC_KEY`). */
  webhookHmacKey?: () => Promise<string | undefined>;
  /** Scale-set instance lister for the claim sweep; absent = claims expire by `claimTtlMinutes` only. */
  scaleSets?: ScaleSetLister;
  /** Scale-set instances with power state and private IP, for licence delivery (pools with `fortigate`). */
  compute?: Pick<ComputeClient, 'listScaleSetInstances'>;
  /**
   * A secret the pools' FortiGate access names (`apiKeySecret`, `tls.caSecret`): from Key Vault, or for the
   * API key without a vault the setting `FORTIGATE_API_KEY`. Undefined when it is not configured.
   */
  fortigateSecret?: (name: string, use: 'apiKey' | 'ca') => Promise<string | undefined>;
}
