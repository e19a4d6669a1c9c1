/**
 * A worker process for concurrency tests: its own FortiFlex client, state store, hints and leases (as one
 * Functions instance has), claiming licenses through the real `claimLicense` HTTP handler with real
 * `@azure/functions` requests. It retries a 503 as a booting FortiGate does (after a short pause instead of
 * the full `Retry-After`) and prints one JSON line per answered claim, then `{"done":true}`.
 *
 * Run with `node --import tsx test/support/claim-worker.ts`; the environment says where everything is:
 * `SIM_API_URL`, `SIM_AUTH_URL`, `SIM_USERNAME`, `SIM_PASSWORD`, `STORAGE` (connection string), `PREFIX`,
 * `POLICY` (JSON), `NOW` (the simulated instant), `REQUESTS` (JSON list of instance ids, in order),
 * `PARALLEL` (claims in flight at once), `RETRIES` (the FortiFlex client's own retries, default 2).
 */
import { PoolHints } from '../../src/app/pools/hints';
import { PoolLeases } from '../../src/app/pools/lease';
import type { PoolDeps } from '../../src/app/pools/deps';
import { createClaimHandler } from '../../src/functions/claims';
import { FortiFlexClient } from '../../src/lib/fortiflex';
import { validatePolicy } from '../../src/lib/rules';
import { createStateStore } from '../../src/lib/state';
import { createContext, createHttpRequest } from './functions';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`claim-worker: ${name} is not set`);
  return value;
};

const MAX_TRIES = 80;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const policy = validatePolicy(JSON.parse(env('POLICY')) as unknown);
  const pool = policy.pools[0]!.name;
  const now = new Date(env('NOW'));
  const store = await createStateStore(
    { kind: 'connectionString', connectionString: env('STORAGE') },
    { prefix: env('PREFIX') },
  );
  const client = new FortiFlexClient({
    apiUrl: env('SIM_API_URL'),
    authUrl: env('SIM_AUTH_URL'),
    credentials: { get: async () => ({ username: env('SIM_USERNAME'), password: env('SIM_PASSWORD') }) },
    rateLimit: { perMinute: Infinity, perHour: Infinity },
    maxRetries: Number(process.env.RETRIES ?? '2'),
    sleep: (ms) => pause(Math.min(ms, 5)),
  });
  const deps: PoolDeps = {
    client,
    store,
    loadPolicy: () => policy,
    now: () => now,
    hints: new PoolHints(),
    leases: new PoolLeases(store, { sleep: (ms) => pause(Math.min(ms, 20)) }),
  };
  const handler = createClaimHandler(async () => deps);
  const requests = JSON.parse(env('REQUESTS')) as string[];
  let next = 0;
  const one = async (instanceId: string): Promise<void> => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < MAX_TRIES; attempt += 1) {
      const request = createHttpRequest({
        method: 'POST',
        path: `/api/pools/${pool}/claims`,
        params: { pool },
        body: { instanceId },
      });
      const answer = await handler(request, createContext('claimLicense').context);
      statuses.push(answer.status ?? 0);
      if (answer.status === 503) {
        await pause(20 + Math.floor(Math.random() * 30));
        continue;
      }
      const body = answer.jsonBody as Record<string, unknown>;
      process.stdout.write(`${JSON.stringify({ instanceId, status: answer.status, body, statuses })}\n`);
      return;
    }
    process.stdout.write(`${JSON.stringify({ instanceId, status: 503, statuses })}\n`);
  };
  const lanes = Array.from({ length: Number(env('PARALLEL')) }, async () => {
    while (next < requests.length) await one(requests[next++]!);
  });
  await Promise.all(lanes);
  process.stdout.write(`${JSON.stringify({ done: true })}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`claim-worker: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
