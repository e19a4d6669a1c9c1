/**
 * A licensing world for tests: the FortiFlex simulator plus a fleet of simulated FortiGates that license
 * themselves against it, and FortiOS clients bound to the devices. Each test file passes its own
 * `firstAddress` so files running in parallel never share loopback addresses.
 */
import type { Entitlement } from '../../src/lib/fortiflex';
import { FortiOsClient, type FortiOsClientOptions } from '../../src/lib/fortios';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import {
  startFortiGates,
  type FortiGateFleet,
  type FortiGateFleetOptions,
  type FortiGateHandle,
} from '../../src/simulator/fortigate';
import { connect, type Reply } from '../simulator/helpers';

export interface LicensingWorld {
  flex: SimulatorHandle;
  fleet: FortiGateFleet;
  /** Calls a FortiFlex v2 endpoint of the simulator. */
  api(endpoint: string, body?: unknown): Promise<Reply>;
  /** The next PENDING entitlement with an unused token (the default seed has eight). */
  takePending(): Entitlement;
  /** A client for `device` with the fleet's key and port (TOFU unless `options` says otherwise). */
  client(device: FortiGateHandle, options?: Partial<FortiOsClientOptions>): FortiOsClient;
  stop(): Promise<void>;
}

export async function startLicensingWorld(
  options: Omit<FortiGateFleetOptions, 'authority'>,
): Promise<LicensingWorld> {
  const flex = await startSimulator();
  const fleet = await startFortiGates({ rebootMs: 150, ...options, authority: flex });
  const api = await connect(flex);
  const taken = new Set<string>();
  return {
    flex,
    fleet,
    api,
    takePending: () => {
      const next = flex
        .entitlements()
        .find((e) => e.status === 'PENDING' && e.tokenStatus === 'NOTUSED' && !taken.has(e.serialNumber));
      if (!next) throw new Error('takePending: no PENDING entitlement left in the seed');
      taken.add(next.serialNumber);
      return next;
    },
    client: (device, overrides = {}) =>
      new FortiOsClient({
        address: device.address,
        port: fleet.port,
        protocol: fleet.protocol,
        apiKey: fleet.apiKey,
        ...overrides,
      }),
    stop: async () => {
      await fleet.stop();
      await flex.stop();
    },
  };
}

/** The thrown value of a promise that must reject. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}
