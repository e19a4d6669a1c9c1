/**
 * A FortiOS REST subset for tests and the demo: simulated FortiGate-VMs, one per loopback address
 * (127.0.0.2, 127.0.0.3, …; Linux routes all of 127/8 to `lo`), so instances are told apart by IP as in
 * Azure. Each serves HTTPS with its own certificate from one local CA (or plain HTTP), authenticates a REST
 * API key with FortiOS's lockout, and licenses itself with a FortiFlex token checked against the FortiFlex
 * simulator in the same process, rebooting afterwards. See `device.ts` for the time model and `api.ts` and
 * `license.ts` for the assumed FortiOS behaviours.
 *
 * ```ts
 * const flex = await startSimulator();
 * const fleet = await startFortiGates({ count: 3, authority: flex, rebootMs: 200 });
 * // fleet.devices[0].url === 'https://127.0.0.2:<port>', fleet.apiKey, fleet.ca (PEM) …
 * await fleet.stop();
 * ```
 */
import { randomBytes } from 'node:crypto';
import { createLocalCa, type KeyPair } from '../tls';
import { checkLoopbackAddress, freePort, SimFortiGate } from './device';
import type { FortiGateHandle, FortiGateOptions } from './types';

export type * from './types';
export { DEFAULT_LOCKOUT_MS, DEFAULT_LOCKOUT_THRESHOLD } from './lockout';

/** Largest fleet: keeps tests bounded (and inside one /24 of loopback addresses by default). */
const MAX_FLEET = 250;
/** Attempts to find one port free on every address of the fleet. */
const PORT_ATTEMPTS = 5;

/** A 30-character API key, the length FortiOS generates. Simulator-only. */
export function generateApiKey(): string {
  return randomBytes(15).toString('hex');
}

/** Starts one simulated FortiGate. */
export function startFortiGate(options: FortiGateOptions): Promise<FortiGateHandle> {
  return SimFortiGate.start(options);
}

/** Options of {@link startFortiGates}: the device options shared by every device, plus the fleet's own. */
export interface FortiGateFleetOptions extends Omit<
  FortiGateOptions,
  'address' | 'port' | 'apiKey' | 'ca' | 'evaluationSerial' | 'licensedSerial'
> {
  /** How many devices. */
  count: number;
  /** Address of the first device; the others follow (127.0.0.2 → 127.0.0.3 …). @default '127.0.0.2' */
  firstAddress?: string;
  /** One port for every device, as a pool has one `port`; 0 or omitted picks one free on every address. */
  port?: number;
  /** The API key every device accepts. @default a random 30-character key */
  apiKey?: string;
  /** CA issuing every device certificate; generated when omitted (HTTPS only). */
  ca?: KeyPair;
  /** Per-device overrides, e.g. `(i) => (i === 0 ? { bootDelayMs: 500 } : {})`. */
  perDevice?: (index: number, address: string) => Partial<Omit<FortiGateOptions, 'address' | 'port' | 'ca'>>;
}

/** A running fleet. */
export interface FortiGateFleet {
  devices: FortiGateHandle[];
  /** The port every device listens on. */
  port: number;
  protocol: 'https' | 'http';
  /** The API key (simulator-only). */
  apiKey: string;
  /** PEM of the CA that issued the device certificates (undefined over HTTP). */
  ca: string | undefined;
  /** The device at `address`, if any. */
  byAddress(address: string): FortiGateHandle | undefined;
  stop(): Promise<void>;
}

/** The `count` consecutive IPv4 addresses from `first`, all inside 127/8. */
export function consecutiveAddresses(first: string, count: number): string[] {
  checkLoopbackAddress(first, 'firstAddress');
  const start = first.split('.').reduce((value, part) => value * 256 + Number(part), 0);
  return Array.from({ length: count }, (_, i) => {
    const n = start + i;
    const address = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    return checkLoopbackAddress(address, `firstAddress (device ${i + 1} of ${count})`);
  });
}

/**
 * Starts `count` FortiGates on consecutive loopback addresses, all on the same port with certificates
 * from one CA and one API key. Stop them with `fleet.stop()`.
 */
export async function startFortiGates(options: FortiGateFleetOptions): Promise<FortiGateFleet> {
  const { count, firstAddress = '127.0.0.2', perDevice, ...shared } = options;
  if (!Number.isInteger(count) || count < 1 || count > MAX_FLEET)
    throw new Error(`count: ${count} is not valid; expected an integer 1..${MAX_FLEET}`);
  const addresses = consecutiveAddresses(firstAddress, count);
  const protocol = options.protocol ?? 'https';
  const apiKey = options.apiKey ?? generateApiKey();
  const ca =
    protocol === 'https' ? (options.ca ?? (await createLocalCa('FortiGate simulator CA'))) : undefined;

  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
    const port = options.port || (await freePort(addresses[0]!));
    const started = await Promise.allSettled(
      addresses.map((address, i) =>
        SimFortiGate.start({ ...shared, apiKey, ...perDevice?.(i, address), address, port, ca }),
      ),
    );
    const devices = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failed) {
      return {
        devices,
        port,
        protocol,
        apiKey,
        ca: ca?.cert,
        byAddress: (address) => devices.find((device) => device.address === address),
        stop: async () => {
          await Promise.all(devices.map((device) => device.stop()));
        },
      };
    }
    await Promise.all(devices.map((device) => device.stop()));
    lastError = failed.reason;
    // Only a port taken on one of the addresses is worth another try with another port.
    if (options.port || (failed.reason as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
  }
  throw lastError;
}
