/**
 * FortiFlex client overhead: 1,000 `entitlements/list` and 1,000 stop/reactivate calls against the simulator
 * at zero latency, through `FortiFlexClient` and through a bare node-fetch loop (same keep-alive agent, same
 * requests, one token, no parsing, retries or rate limiting) in the same run. Prints requests per second and
 * the overhead ratio (client time / bare time; target ≤ 1.3). Runs sequentially and with 4 calls in flight.
 */
import * as http from 'node:http';
import { mapWithConcurrency } from '../src/lib/concurrency';
import { FortiFlexClient } from '../src/lib/fortiflex';
import { startSimulator, type SimulatorHandle } from '../src/simulator';

const LISTS = 1000;
const TRANSITIONS = 1000;
const CONFIG_ID = 2198;
const ROUNDS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

type NodeFetch = (typeof import('node-fetch', { with: { 'resolution-mode': 'import' } }))['default'];

interface Workload {
  list(): Promise<unknown>;
  stop(serial: string): Promise<unknown>;
  reactivate(serial: string): Promise<unknown>;
}

/** The requests of the workload, `concurrency` at a time; each lane toggles its own ACTIVE serial. */
async function drive(
  workload: Workload,
  serials: readonly string[],
  concurrency: number,
): Promise<{ ms: number; cpuMs: number }> {
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const lists = await mapWithConcurrency(
    Array.from({ length: LISTS }, (_, i) => i),
    concurrency,
    () => workload.list(),
  );
  const pairsPerLane = TRANSITIONS / concurrency / 2;
  const transitions = await mapWithConcurrency(serials.slice(0, concurrency), concurrency, async (serial) => {
    for (let i = 0; i < pairsPerLane; i += 1) {
      await workload.stop(serial);
      await workload.reactivate(serial);
    }
  });
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuStart);
  const failed = [...lists, ...transitions].find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return { ms: elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function bareWorkload(sim: SimulatorHandle, fetch: NodeFetch): Promise<Workload> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const login = await fetch(sim.authUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...sim.credentials, client_id: 'flexvm', grant_type: 'password' }),
    agent,
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const post = async (path: string, body: unknown): Promise<unknown> => {
    const response = await fetch(sim.apiUrl + path, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify(body),
      agent,
    });
    const envelope = (await response.json()) as { status: number };
    if (envelope.status !== 0) throw new Error(`${path}: status ${envelope.status}`);
    return envelope;
  };
  return {
    list: () => post('entitlements/list', { configId: CONFIG_ID }),
    stop: (serialNumber) => post('entitlements/stop', { serialNumber }),
    reactivate: (serialNumber) => post('entitlements/reactivate', { serialNumber }),
  };
}

function clientWorkload(sim: SimulatorHandle): { workload: Workload; client: FortiFlexClient } {
  const client = new FortiFlexClient({
    apiUrl: sim.apiUrl,
    authUrl: sim.authUrl,
    credentials: { get: () => Promise.resolve(sim.credentials) },
    // The benchmark measures client overhead, not the request budget.
    rateLimit: { perMinute: Infinity, perHour: Infinity },
  });
  return {
    client,
    workload: {
      list: () => client.listEntitlements({ configId: CONFIG_ID }),
      stop: (serialNumber) => client.stopEntitlement({ serialNumber }),
      reactivate: (serialNumber) => client.reactivateEntitlement({ serialNumber }),
    },
  };
}

/** Runs the benchmark and prints its figures through `log`. */
export async function run(log: (line: string) => void): Promise<void> {
  const { default: fetch } = await import('node-fetch');

  /** One measurement on a fresh simulator, so state the previous run left behind (ledger) cannot skew it. */
  const measure = async (
    which: 'bare' | 'client',
    concurrency: number,
  ): Promise<{ ms: number; cpuMs: number; calls: number }> => {
    const sim = await startSimulator({ latencyMs: 0 });
    try {
      const serials = sim
        .entitlements()
        .filter((e) => e.configId === CONFIG_ID && e.status === 'ACTIVE')
        .map((e) => e.serialNumber);
      if (serials.length < 4) throw new Error('the default seed needs 4 ACTIVE entitlements in config 2198');
      const client = which === 'client' ? clientWorkload(sim) : undefined;
      const workload = client ? client.workload : await bareWorkload(sim, fetch);
      // Warm up (JIT, sockets, login) before measuring.
      for (let i = 0; i < 50; i += 1) await workload.list();
      const callsBefore = client?.client.stats().calls ?? 0;
      const { ms, cpuMs } = await drive(workload, serials, concurrency);
      return {
        ms,
        cpuMs,
        calls: (client?.client.stats().calls ?? callsBefore + LISTS + TRANSITIONS) - callsBefore,
      };
    } finally {
      await sim.stop();
    }
  };

  for (const concurrency of [1, 4]) {
    // Alternate which path goes first and take medians, so warm-up and GC drift hit both alike.
    const times = { client: [] as number[], bare: [] as number[] };
    const cpu = { client: [] as number[], bare: [] as number[] };
    let clientCalls = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = round % 2 === 0 ? (['bare', 'client'] as const) : (['client', 'bare'] as const);
      for (const which of order) {
        const { ms, cpuMs, calls } = await measure(which, concurrency);
        times[which].push(ms);
        cpu[which].push(cpuMs);
        if (which === 'client') clientCalls = calls;
      }
    }
    const clientMs = median(times.client);
    const bareMs = median(times.bare);
    const bestRatio = Math.min(...times.client) / Math.min(...times.bare);
    // CPU time of the whole process (simulator included) is less disturbed by other load on the machine.
    const cpuRatio = median(cpu.client) / median(cpu.bare);
    const requests = LISTS + TRANSITIONS;
    const rate = (ms: number): string => ((requests / ms) * 1000).toFixed(0);
    log(
      `concurrency ${concurrency}: ${requests} requests (${LISTS} list + ${TRANSITIONS} stop/reactivate), median of ${ROUNDS}` +
        ` — client ${clientMs.toFixed(0)} ms (${rate(clientMs)} req/s), bare node-fetch ${bareMs.toFixed(0)} ms` +
        ` (${rate(bareMs)} req/s), overhead ratio ${(clientMs / bareMs).toFixed(2)} (target ≤ 1.30)` +
        ` (best-of-${ROUNDS} ratio ${bestRatio.toFixed(2)}, CPU-time ratio ${cpuRatio.toFixed(2)}) [client HTTP calls: ${clientCalls}]`,
    );
  }
}
