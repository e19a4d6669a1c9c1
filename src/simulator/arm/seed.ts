/**
 * The ARM keys of the simulator seed: their validation schema (merged into the seed schema) and the
 * built-in Azure world that goes with the default FortiFlex seed.
 */
import { z } from 'zod';
import type { SeedEntitlement } from '../types';
import type { ArmSeed, SeedVirtualMachine } from './types';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/, {
  message: 'expected an Azure resource name (letters, digits, _ . -)',
});
const tags = z.record(z.string(), z.string());
const power = z.enum(['running', 'stopped', 'deallocated']);
const common = {
  subscriptionId: z.string().regex(/^[0-9a-fA-F-]{8,}$/, { message: 'expected a subscription id (a GUID)' }),
  resourceGroup: name,
  name,
  location: z.string().min(1).optional(),
  tags: tags.optional(),
};

/** Zod shape of the ARM seed keys, spread into the simulator seed schema. */
export const armSeedShape = {
  virtualMachines: z
    .array(z.object({ ...common, powerState: power.optional(), privateIp: z.ipv4().optional() }))
    .optional(),
  scaleSets: z
    .array(
      z.object({
        ...common,
        mode: z.enum(['Uniform', 'Flexible']),
        instances: z
          .array(
            z.object({ powerState: power.optional(), privateIp: z.ipv4().optional(), tags: tags.optional() }),
          )
          .optional(),
      }),
    )
    .optional(),
};

/** The subscription of the built-in world. */
export const DEFAULT_SUBSCRIPTION = '3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6f';

const LOCATIONS: Record<string, string> = {
  emea: 'westeurope',
  americas: 'eastus',
  apac: 'japaneast',
  lab: 'westeurope',
};

/**
 * The built-in Azure world for the default FortiFlex seed: one FortiGate VM per branch and lab entitlement
 * (not the EXPIRED one), tagged `fortiflex-serial` with its serial, running when the entitlement is ACTIVE
 * and deallocated when STOPPED, in resource groups `rg-branches` and `rg-lab`; an untagged `jumpbox-01`; and
 * in `rg-pools` the Uniform scale set `vmss-fgt` (4 running instances, like the pool's 4 ACTIVE licences)
 * and the Flexible scale set `vmss-fgt-flex` (2 running instances).
 */
export function defaultArmWorld(entitlements: readonly SeedEntitlement[]): Required<ArmSeed> {
  const virtualMachines: SeedVirtualMachine[] = [];
  for (const e of entitlements) {
    if (e.status !== 'ACTIVE' && e.status !== 'STOPPED') continue;
    const region =
      /^My Assets\/branches\/(\w+)/.exec(e.folderPath ?? '')?.[1] ??
      (e.folderPath === 'My Assets/lab' ? 'lab' : undefined);
    if (region === undefined) continue;
    virtualMachines.push({
      subscriptionId: DEFAULT_SUBSCRIPTION,
      resourceGroup: region === 'lab' ? 'rg-lab' : 'rg-branches',
      name: `fgt-${e.description}`,
      location: LOCATIONS[region]!,
      tags: { 'fortiflex-serial': e.serialNumber },
      powerState: e.status === 'ACTIVE' ? 'running' : 'deallocated',
    });
  }
  virtualMachines.push({
    subscriptionId: DEFAULT_SUBSCRIPTION,
    resourceGroup: 'rg-branches',
    name: 'jumpbox-01',
  });
  const running = (count: number) =>
    Array.from({ length: count }, () => ({ powerState: 'running' as const }));
  return {
    virtualMachines,
    scaleSets: [
      {
        subscriptionId: DEFAULT_SUBSCRIPTION,
        resourceGroup: 'rg-pools',
        name: 'vmss-fgt',
        mode: 'Uniform',
        instances: running(4),
      },
      {
        subscriptionId: DEFAULT_SUBSCRIPTION,
        resourceGroup: 'rg-pools',
        name: 'vmss-fgt-flex',
        mode: 'Flexible',
        instances: running(2),
      },
    ],
  };
}
