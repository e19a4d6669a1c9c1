/**
 * Licence delivery at scale-out: one pool sync for 20 new instances against the critical path of one
 * instance, measured in the same run. Every service answers after 50 ms of simulated latency (FortiFlex,
 * ARM, each FortiGate), boot delay 0, state in Azurite. Both pools start empty, so each sync lists the set,
 * reads the new FortiGates, creates the licences, claims them and sends the tokens; the confirmation pass
 * (after the licence reboot) is timed the same way.
 *
 * Baseline: a sync of a second pool whose scale set gets one new instance (the same steps for one FortiGate:
 * its critical path). Target: sync(20) / sync(1) ≤ 1.5. Loopback addresses 127.0.30.x.
 */
import type { PoolDeps } from '../src/app/pools/deps';
import { PoolHints } from '../src/app/pools/hints';
import { PoolLeases } from '../src/app/pools/lease';
import { syncPool, type SyncReport } from '../src/app/pools/sync';
import { startAzurite } from '../src/dev/azurite';
import { createComputeClient } from '../src/lib/azure/compute';
import { staticTokenCredential } from '../src/lib/azure/credential';
import { FortiFlexClient } from '../src/lib/fortiflex';
import { validatePolicy } from '../src/lib/rules';
import { createStateStore } from '../src/lib/state';
import { defaultSeed, startSimulator } from '../src/simulator';
import { startFortiGates, type LicenseAuthority } from '../src/simulator/fortigate';

const LATENCY_MS = 50;
const MANY = 20;
const SUBSCRIPTION = '0b3e8f6a-2c1d-4e5f-8a9b-7c6d5e4f3a2b';
const setId = (name: string): string =>
  `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-bench/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;

export async function run(log: (line: string) => void): Promise<void> {
  const azurite = await startAzurite();
  let flex: Awaited<ReturnType<typeof startSimulator>> | undefined;
  const authority: LicenseAuthority = {
    activateToken: (token) => flex!.activateToken(token),
    entitlementStatus: (serial) => flex?.entitlementStatus(serial),
  };
  const fleet = await startFortiGates({
    count: MANY + 1,
    firstAddress: '127.0.30.2',
    authority,
    latencyMs: LATENCY_MS,
    bootDelayMs: 0,
    rebootMs: 100,
  });
  try {
    const seed = defaultSeed();
    seed.entitlements = seed.entitlements.filter((e) => e.configId !== 2200);
    seed.virtualMachines = [];
    seed.scaleSets = ['vmss-one', 'vmss-many'].map((name) => ({
      subscriptionId: SUBSCRIPTION,
      resourceGroup: 'rg-bench',
      name,
      mode: 'Uniform' as const,
      instances: [],
    }));
    flex = await startSimulator({ seed, arm: true });
    const arm = flex.arm!;
    const pool = (name: string, set: string) => ({
      name,
      configId: 2200,
      capacity: [{ min: 0, max: 50 }],
      scaleSet: { resourceId: setId(set) },
      fortigate: { port: fleet.port, protocol: fleet.protocol },
    });
    const policy = validatePolicy({
      fortiflex: { accountId: 12345, programSerialNumber: 'ELAVMR0000000519' },
      pools: [pool('one', 'vmss-one'), pool('many', 'vmss-many')],
    });
    const store = await createStateStore(
      { kind: 'connectionString', connectionString: azurite.connectionString },
      { prefix: 'benchdelivery' },
    );
    const sim = flex;
    const deps: PoolDeps = {
      client: new FortiFlexClient({
        apiUrl: sim.apiUrl,
        authUrl: sim.authUrl,
        credentials: { get: async () => sim.credentials },
        rateLimit: { perMinute: Infinity, perHour: Infinity },
      }),
      store,
      loadPolicy: () => policy,
      now: () => sim.clock.now(),
      hints: new PoolHints(),
      leases: new PoolLeases(store),
      compute: createComputeClient({
        credential: staticTokenCredential(arm.token),
        endpoint: arm.endpoint,
        tlsCa: arm.caCertificate,
      }),
      fortigateSecret: async (_name, use) => (use === 'apiKey' ? fleet.apiKey : undefined),
    };
    const sync = (name: string): Promise<SyncReport> => syncPool(deps, name, { runId: `bench-${name}` });
    const timed = async (name: string): Promise<{ ms: number; report: SyncReport }> => {
      const started = performance.now();
      const report = await sync(name);
      return { ms: performance.now() - started, report };
    };
    const expectAll = (report: SyncReport, count: number, state: string, what: string): void => {
      const ok = report.instances.filter((i) => i.state === state).length;
      if (ok !== count || report.error)
        throw new Error(
          `${what}: ${ok} of ${count} ${state} (${report.error ?? report.instances[0]?.detail})`,
        );
    };

    // Warm-up without latency: SDKs loaded, tables and queues created, a FortiFlex session.
    await sync('one');
    await sync('many');
    sim.setLatency(LATENCY_MS);
    arm.setLatency(LATENCY_MS);

    const addresses = fleet.devices.map((d) => d.address);
    arm.addInstances('vmss-one', 1, { privateIps: addresses.slice(0, 1) });
    arm.addInstances('vmss-many', MANY, { privateIps: addresses.slice(1) });
    sim.resetStats();
    const one = await timed('one');
    expectAll(one.report, 1, 'pending', 'one instance, first sync');
    const creates = sim.stats().requests['entitlements/vm/create'] ?? 0;
    const many = await timed('many');
    expectAll(many.report, MANY, 'pending', `${MANY} instances, first sync`);
    const manyCreates = (sim.stats().requests['entitlements/vm/create'] ?? 0) - creates;

    await Promise.all(
      fleet.devices.map(async (device) => {
        while (device.licensedSerial() === undefined || device.phase() !== 'running')
          await new Promise((resolve) => setTimeout(resolve, 20));
      }),
    );
    const confirmOne = await timed('one');
    expectAll(confirmOne.report, 1, 'licensed', 'one instance, confirmation');
    const confirmMany = await timed('many');
    expectAll(confirmMany.report, MANY, 'licensed', `${MANY} instances, confirmation`);

    log(`${LATENCY_MS} ms latency on FortiFlex, ARM and every FortiGate; boot delay 0; pools empty at start`);
    log(
      `licence pass (list, read FortiGates, create, claim, send token): 1 instance ${one.ms.toFixed(0)} ms, ` +
        `${MANY} instances ${many.ms.toFixed(0)} ms: ratio ${(many.ms / one.ms).toFixed(2)} (target ≤ 1.5); ` +
        `create calls: ${creates} for 1, ${manyCreates} for ${MANY}`,
    );
    log(
      `confirmation pass (system/status + license/status): 1 instance ${confirmOne.ms.toFixed(0)} ms, ` +
        `${MANY} instances ${confirmMany.ms.toFixed(0)} ms: ratio ${(confirmMany.ms / confirmOne.ms).toFixed(2)}`,
    );
    log(
      `whole delivery (both passes): ratio ${((many.ms + confirmMany.ms) / (one.ms + confirmOne.ms)).toFixed(2)}`,
    );
  } finally {
    await fleet.stop();
    await flex?.stop();
    await azurite.stop();
  }
}
