/**
 * Seeds: the simulator's initial world. `defaultSeed()` is the one source of truth for the built-in world
 * (used by tests, the demo and `simulator` without `--seed`); `parseSeed()` validates a JSON seed file.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Config, ConfigParameter } from '../lib/fortiflex/types';
import { armSeedShape, defaultArmWorld } from './arm/seed';
import type { SeedEntitlement, SimulatorSeed } from './types';

/** The default simulator-only API user (not a real FortiCloud credential). */
export const DEFAULT_USER = {
  username: '5F0C8A2E-3B7D-4C1A-9E62-7D3B1A0C4F85',
  password: 'sim-password-local-only',
};

const id = z.number().int().nonnegative();
const timestamp = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/, {
  message: 'expected an ISO timestamp without offset, e.g. 2026-03-02T08:00:00',
});

const seedSchema = z.object({
  now: z.iso.datetime({ offset: true, local: true }).optional(),
  users: z
    .array(z.object({ username: z.string().min(1), password: z.string().min(1) }))
    .min(1)
    .optional(),
  programs: z.array(
    z.object({
      serialNumber: z
        .string()
        .regex(/^ELAVM[RS]\w+$/, { message: 'expected a program serial like ELAVMR0000000519' }),
      accountId: id,
      startDate: timestamp,
      endDate: timestamp,
      hasSupportCoverage: z.boolean(),
      pointBalance: z.number().optional(),
    }),
  ),
  configs: z.array(
    z.object({
      id,
      name: z.string().min(1),
      programSerialNumber: z.string().min(1),
      accountId: id,
      status: z.enum(['ACTIVE', 'DISABLED']),
      productType: z.object({ id, name: z.string() }),
      parameters: z.array(z.object({ id, name: z.string().optional(), value: z.string() })),
    }),
  ),
  entitlements: z.array(
    z.object({
      serialNumber: z.string().min(1),
      description: z.string(),
      configId: id,
      accountId: id,
      startDate: timestamp,
      endDate: timestamp,
      status: z.enum(['PENDING', 'ACTIVE', 'STOPPED', 'EXPIRED', 'GRACE_PERIOD']),
      token: z.string(),
      tokenStatus: z.enum(['NOTUSED', 'USED', '']),
      folderPath: z.string().min(1).optional(),
    }),
  ),
  rates: z
    .record(z.string().regex(/^\d+$/, { message: 'expected a configId' }), z.number().nonnegative())
    .optional(),
  ...armSeedShape,
});

/**
 * Validates a seed (parsed JSON) and returns it typed. Throws an Error with one line naming the first bad
 * field, e.g. `seed.entitlements[3].status: Invalid option: expected one of "PENDING"|...`.
 */
export function parseSeed(value: unknown): SimulatorSeed {
  const result = seedSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path
      .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
      .join('');
    throw new Error(`seed${path}: ${issue.message}`);
  }
  const { rates, ...rest } = result.data;
  const seed: SimulatorSeed = rest;
  if (rates) seed.rates = Object.fromEntries(Object.entries(rates).map(([key, rate]) => [Number(key), rate]));
  return seed;
}

/** A deterministic 20-hex license token for seeded entitlements (reproducible demos and fixtures). */
export function seededToken(serialNumber: string): string {
  return createHash('sha256').update(`token:${serialNumber}`).digest('hex').slice(0, 20).toUpperCase();
}

function fgtParameters(cpu: number, pack: string): ConfigParameter[] {
  return [
    { id: 1, name: 'CPU', value: String(cpu) },
    { id: 2, name: 'SERVICEPACK', value: pack },
    { id: 10, name: 'VDOM', value: '0' },
    { id: 43, name: 'SERVICEPACK', value: 'NONE' },
    { id: 44, name: 'SERVICEPACK', value: 'NONE' },
    { id: 45, name: 'SERVICEPACK', value: 'NONE' },
  ];
}

/**
 * The built-in world: one prepaid program (ELAVMR0000000519, account 12345), three FortiGate-VM configs
 * (2198 branch-2cpu-ent, 2199 branch-1cpu-fc for off-hours, 2200 pool-4cpu-utp for a scale set) and 36
 * entitlements in mixed states (branches, lab, a scale-set pool with PENDING spares, one EXPIRED), and the
 * Azure VMs and scale sets of `defaultArmWorld` paired with them by the `fortiflex-serial` tag.
 * The clock starts on Monday 2026-03-02 08:00 PST.
 */
export function defaultSeed(): SimulatorSeed {
  const program = 'ELAVMR0000000519';
  const accountId = 12345;
  const config = (configId: number, name: string, cpu: number, pack: string): Config => ({
    id: configId,
    name,
    programSerialNumber: program,
    accountId,
    status: 'ACTIVE',
    productType: { id: 1, name: 'FortiGate-VM' },
    parameters: fgtParameters(cpu, pack),
  });
  const pad = (n: number): string => String(n).padStart(2, '0');
  let next = 101;
  const entitlement = (
    configId: number,
    description: string,
    folderPath: string,
    status: 'ACTIVE' | 'STOPPED' | 'PENDING' | 'EXPIRED',
    endDate = '2027-05-31T00:00:00',
  ): SeedEntitlement => {
    const serialNumber = `FGVMMLTM25${String(next++).padStart(6, '0')}`;
    return {
      serialNumber,
      description,
      configId,
      accountId,
      // Varied but deterministic creation times between June and November 2025.
      startDate: `2025-${pad(6 + (next % 6))}-${pad(10 + (next % 18))}T09:${pad(next % 60)}:12.${100 + (next % 900)}`,
      endDate,
      status,
      token: seededToken(serialNumber),
      tokenStatus: status === 'PENDING' ? 'NOTUSED' : 'USED',
      folderPath,
    };
  };
  const branches: Array<[string, string, 'ACTIVE' | 'STOPPED']> = [
    ['branch-berlin-01', 'emea', 'ACTIVE'],
    ['branch-berlin-02', 'emea', 'ACTIVE'],
    ['branch-munich-01', 'emea', 'ACTIVE'],
    ['branch-hamburg-01', 'emea', 'STOPPED'],
    ['branch-paris-01', 'emea', 'ACTIVE'],
    ['branch-london-01', 'emea', 'ACTIVE'],
    ['branch-madrid-01', 'emea', 'STOPPED'],
    ['branch-vienna-01', 'emea', 'ACTIVE'],
    ['branch-zurich-01', 'emea', 'ACTIVE'],
    ['store-newyork-01', 'americas', 'ACTIVE'],
    ['store-chicago-01', 'americas', 'ACTIVE'],
    ['store-seattle-01', 'americas', 'STOPPED'],
    ['store-saopaulo-01', 'americas', 'ACTIVE'],
    ['apac-tokyo-01', 'apac', 'ACTIVE'],
    ['apac-sydney-01', 'apac', 'ACTIVE'],
  ];
  const entitlements: SeedEntitlement[] = branches.map(([name, region, status]) =>
    entitlement(2198, name, `My Assets/branches/${region}`, status),
  );
  entitlements.push(
    entitlement(2198, 'branch-lisbon-01', 'My Assets/branches/emea', 'EXPIRED', '2026-01-31T00:00:00'),
  );
  for (let i = 1; i <= 6; i += 1) {
    entitlements.push(entitlement(2199, `lab-dev-0${i}`, 'My Assets/lab', i <= 2 ? 'ACTIVE' : 'STOPPED'));
  }
  for (let i = 1; i <= 14; i += 1) {
    const status = i <= 4 ? 'ACTIVE' : i <= 6 ? 'STOPPED' : 'PENDING';
    // Pool licenses carry the pool marker the scaler writes when it creates them for pool vmss-fgt.
    entitlements.push(
      entitlement(2200, 'fortiflex-scaler pool vmss-fgt', 'My Assets/pools/vmss-fgt', status),
    );
  }
  return {
    now: '2026-03-02T08:00:00-08:00',
    users: [{ ...DEFAULT_USER }],
    programs: [
      {
        serialNumber: program,
        accountId,
        startDate: '2025-06-01T00:00:00',
        endDate: '2027-05-31T00:00:00',
        hasSupportCoverage: true,
        pointBalance: 50000,
      },
    ],
    configs: [
      config(2198, 'branch-2cpu-ent', 2, 'ENT'),
      config(2199, 'branch-1cpu-fc', 1, 'FC'),
      config(2200, 'pool-4cpu-utp', 4, 'UTP'),
    ],
    entitlements,
    ...defaultArmWorld(entitlements),
  };
}
