/**
 * Paired VMs going off-hours: 200 running VMs deallocated through the compute adapter (real
 * `@azure/arm-compute` against the ARM simulator over HTTPS), 8 operations in flight, each operation taking
 * 2 s of simulated time. Prints, from one run:
 *
 * - ARM calls per VM, split into actions, status polls and the SDK's final GETs (target: one action plus
 *   the polls Retry-After asks for — here one poll, since the 202 says how long the operation takes);
 * - wall time against the ideal ceil(200 / 8) × 2 s (target ratio ≤ 1.3).
 *
 * Time scale: the simulator runs operations on the wall clock at `BENCH_COMPUTE_TIME_SCALE` (default 4)
 * simulated seconds per wall second, so a 2 s operation takes 0.5 s and the run takes ~13 s instead of
 * ~50 s. Retry-After is sent in wall milliseconds (`retry-after-ms`), so the adapter's waits shrink with
 * it. The per-operation overhead (three HTTPS round trips, SDK and adapter work) does not shrink, so it
 * weighs 4× more against the scaled baseline: the ratio measured here is an upper bound of the unscaled one
 * (set the variable to 1 to measure that directly).
 */
import { mapWithConcurrency } from '../src/lib/concurrency';
import { createComputeClient } from '../src/lib/azure/compute';
import { staticTokenCredential } from '../src/lib/azure/credential';
import { startArmSimulator } from '../src/simulator/arm';

const VMS = 200;
const CONCURRENCY = 8;
const OPERATION_MS = 2_000;
const SUBSCRIPTION = '0b3e8f6a-2c1d-4e5f-8a9b-7c6d5e4f3a2b';

export async function run(log: (line: string) => void): Promise<void> {
  const timeScale = Number(process.env.BENCH_COMPUTE_TIME_SCALE ?? 4);
  if (!Number.isFinite(timeScale) || timeScale <= 0) {
    throw new Error(
      `BENCH_COMPUTE_TIME_SCALE: "${process.env.BENCH_COMPUTE_TIME_SCALE}" is not valid; expected a number > 0`,
    );
  }
  const arm = await startArmSimulator(
    { timing: 'wall', timeScale, durations: { deallocate: OPERATION_MS } },
    {
      seed: {
        virtualMachines: Array.from({ length: VMS }, (_, i) => ({
          subscriptionId: SUBSCRIPTION,
          resourceGroup: `rg-branch-${i % 10}`,
          name: `fgt-${String(i).padStart(3, '0')}`,
          tags: { 'fortiflex-serial': `FGVMBENCH${String(i).padStart(6, '0')}` },
        })),
      },
    },
  );
  try {
    const compute = createComputeClient({
      credential: staticTokenCredential(arm.token),
      endpoint: arm.endpoint,
      tlsCa: arm.caCertificate,
    });
    // The listing the use case starts with; it also loads the SDK and opens connections before timing.
    const vms = await compute.listVirtualMachines([`/subscriptions/${SUBSCRIPTION}`]);
    if (vms.length !== VMS || vms.some((vm) => vm.powerState !== 'running')) {
      throw new Error(`expected ${VMS} running VMs, listed ${vms.length}`);
    }
    log(
      `listing ${VMS} VMs with tags and power state: ${arm.requests().length} ARM calls (2 listings, 100 per page)`,
    );
    arm.clearRequests();

    const started = performance.now();
    const results = await mapWithConcurrency(vms, CONCURRENCY, (vm) =>
      compute.runPowerOperation(vm.id, 'deallocate', { budgetMs: 60_000 }),
    );
    const wallMs = performance.now() - started;

    const failed = results.filter((r) => r.status === 'rejected' || r.value.outcome !== 'succeeded');
    if (failed.length > 0) throw new Error(`${failed.length} deallocations did not succeed`);
    const off = arm.machines().filter((m) => m.powerState === 'deallocated').length;
    if (off !== VMS) throw new Error(`${off} of ${VMS} VMs are deallocated`);

    const count = (operation: string): number => arm.requests({ operation }).length;
    const actions = count('vm.deallocate');
    const polls = count('operation.status');
    const finals = count('operation.result');
    const total = arm.requests().length;
    const idealMs = (Math.ceil(VMS / CONCURRENCY) * OPERATION_MS) / timeScale;
    log(
      `${VMS} deallocations, ${OPERATION_MS / 1000} s each (simulated), ${CONCURRENCY} in flight, time scale ${timeScale}×`,
    );
    log(
      `ARM calls per VM: ${(total / VMS).toFixed(2)} = ${(actions / VMS).toFixed(2)} action + ${(polls / VMS).toFixed(2)} status polls (as Retry-After asked) + ${(finals / VMS).toFixed(2)} final GET (the SDK's, on the Location URL)`,
    );
    log(
      `wall time: ${(wallMs / 1000).toFixed(2)} s vs ideal ceil(${VMS}/${CONCURRENCY}) × ${OPERATION_MS / 1000} s / ${timeScale} = ${(idealMs / 1000).toFixed(2)} s: ratio ${(wallMs / idealMs).toFixed(3)} (target ≤ 1.3)`,
    );
  } finally {
    await arm.stop();
  }
}
