/**
 * Read-only view of a pool's licence deliveries, for the status page and `pool status`: which instances are
 * waiting for their FortiGate, which failed and why, and whether the pool's TLS mode is a warning. Reads the
 * `deliveries` table only (no lease, no FortiOS or FortiFlex call); never holds a token or an API key.
 */
import type { DeliveryState } from '../../lib/state';
import type { PoolDeps } from './deps';
import { resolvePool } from './records';

/** One delivery as the status page shows it. */
export interface DeliveryView {
  instanceId: string;
  state: DeliveryState;
  serialNumber?: string;
  /** The FortiGate's private IP. */
  address?: string;
  /** One line: what happened last, or why it failed. */
  detail: string;
  /** When the scaler first saw the instance, and when the delivery last changed (ISO). */
  firstSeenAt: string;
  updatedAt: string;
  attempts: number;
  /** The certificate check in force: `tofu`, `ca`, `insecure` or `none`. */
  tls?: string;
  /** True once the delivery bound passed without a confirmation. */
  timedOut: boolean;
}

/** A pool's deliveries. */
export interface PoolDeliveries {
  pool: string;
  /** False when the pool has no `fortigate` key (claims by HTTP only). */
  configured: boolean;
  /** `insecure` TLS and similar, one line each. */
  warnings: string[];
  deliveries: DeliveryView[];
}

/**
 * The deliveries of `poolName`, by instance id; `states` narrows them (e.g. `['pending', 'failed']` for a
 * "pending deliveries" list). Throws `UnknownPoolError` for a pool the policy does not define.
 */
export async function listDeliveries(
  deps: Pick<PoolDeps, 'store' | 'loadPolicy'>,
  poolName: string,
  options: { states?: readonly DeliveryState[] } = {},
): Promise<PoolDeliveries> {
  const { pool } = await resolvePool(deps, poolName);
  const warnings: string[] = [];
  if (pool.fortigate?.tls === 'insecure')
    warnings.push('fortigate.tls is insecure: FortiGate certificates are not checked');
  if (!pool.fortigate) return { pool: pool.name, configured: false, warnings, deliveries: [] };
  const rows = await deps.store.deliveries.list(pool.name);
  const deliveries = rows
    .filter((row) => !options.states || options.states.includes(row.state))
    .map((row): DeliveryView => ({
      instanceId: row.instanceId,
      state: row.state,
      ...(row.serialNumber !== undefined && { serialNumber: row.serialNumber }),
      ...(row.privateIp !== undefined && { address: row.privateIp }),
      detail: row.detail,
      firstSeenAt: row.firstSeenAt,
      updatedAt: row.updatedAt,
      attempts: row.attempts,
      ...(row.tls !== undefined && { tls: row.tls }),
      timedOut: row.timedOut === true,
    }));
  return { pool: pool.name, configured: true, warnings, deliveries };
}
