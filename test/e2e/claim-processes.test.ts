/**
 * Claims from several worker processes at once, with FortiFlex failing about 30 % of every call a claim
 * makes (logins, lists, token regenerations, reactivations, creates; before and after taking effect), and
 * every instance asking from every process: each instance is told exactly one serial and one token, that
 * token was unused and still works at the end, nothing is left in use outside claims, and the pool creates
 * only the licenses it lacked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/app/pools/inventory';
import { POOL, poolPolicyDocument, startPoolWorld, type PoolWorld } from '../app/pools/support';
import { startTsx } from '../support/processes';

let world: PoolWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

/**
 * Kept small for `npm test`; more with e.g.
 * `CLAIM_WORKERS=6 CLAIM_INSTANCES=40 npx vitest run test/e2e/claim-processes.test.ts`.
 */
const WORKERS = Number(process.env.CLAIM_WORKERS ?? 3);
const INSTANCES = Number(process.env.CLAIM_INSTANCES ?? 14);

/** A seeded shuffle, so each worker asks in its own order. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i -= 1) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Answer {
  instanceId: string;
  status: number;
  body?: { serialNumber: string; token: string; status: string };
  statuses: number[];
}

describe('claims from several worker processes under injected FortiFlex failures', () => {
  it('tells each instance one serial and one unused token, leaks nothing and creates only what is missing', async () => {
    // Spares of every kind: ACTIVE unused, STOPPED with the previous VM's token, PENDING, and ACTIVE with the
    // used token of an instance the scaler released.
    world = await startPoolWorld({
      seed: { active: 2, stopped: 4, pending: 2, inUse: 2 },
      // Each worker here logs in with its own client (no shared session), so the simulator keeps every
      // token valid: the failures under test are the injected ones.
      sim: { invalidatePreviousTokens: false, faultSeed: 20261202 },
    });
    for (const released of world.members().filter((e) => e.status === 'ACTIVE' && e.tokenStatus === 'USED')) {
      await world.store.records.upsert({
        serialNumber: released.serialNumber,
        stoppedByScaler: false,
        pool: POOL,
        lastAction: 'claimRelease',
      });
    }
    const seeded = world.members().length;
    const http500 = { kind: 'http', status: 500 } as const;
    for (const endpoint of ['entitlements/vm/token', 'entitlements/reactivate', 'entitlements/vm/create']) {
      world.sim.faults.add({ endpoint, times: Infinity, probability: 0.15, when: 'after', fault: http500 });
      world.sim.faults.add({ endpoint, times: Infinity, probability: 0.15, fault: { kind: 'reset' } });
    }
    world.sim.faults.add({
      endpoint: 'entitlements/list',
      times: Infinity,
      probability: 0.3,
      fault: http500,
    });
    world.sim.faults.add({ endpoint: 'oauth/token', times: Infinity, probability: 0.3, fault: http500 });

    const instances = Array.from({ length: INSTANCES }, (_, i) => `fgt-vmss_${i}`);
    const workers = Array.from({ length: WORKERS }, (_, w) =>
      startTsx('test/support/claim-worker.ts', {
        SIM_API_URL: world!.sim.apiUrl,
        SIM_AUTH_URL: world!.sim.authUrl,
        SIM_USERNAME: world!.sim.credentials.username,
        SIM_PASSWORD: world!.sim.credentials.password,
        STORAGE: world!.connectionString,
        PREFIX: world!.prefix,
        POLICY: JSON.stringify(poolPolicyDocument()),
        NOW: world!.sim.clock.now().toISOString(),
        REQUESTS: JSON.stringify(shuffled([...instances, ...instances], w + 1)),
        PARALLEL: '5',
        // No retries inside the client: every injected failure reaches the claim itself.
        RETRIES: '0',
      }),
    );
    const exits = await Promise.all(workers.map((worker) => worker.exited));
    for (const [i, exit] of exits.entries())
      expect(exit, workers[i]!.stderr()).toEqual({ code: 0, signal: null });
    const answers = workers.flatMap((worker) =>
      worker.lines.map((line) => JSON.parse(line) as Answer | { done: true }).filter((a) => !('done' in a)),
    ) as Answer[];
    world.sim.faults.clear();

    // Every request was answered 200 in the end (after 503s only), once per request.
    expect(answers).toHaveLength(WORKERS * INSTANCES * 2);
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer)).toBe(200);
      expect(answer.statuses.slice(0, -1).every((s) => s === 503)).toBe(true);
    }
    const retried = answers.reduce((n, a) => n + a.statuses.length - 1, 0);
    expect(retried).toBeGreaterThan(0); // the failures really hit the claims

    // One serial and one token per instance, over every process and repeat; no serial shared.
    const told = new Map<string, { serialNumber: string; token: string }>();
    for (const { instanceId, body } of answers) {
      const first = told.get(instanceId);
      if (first) expect({ instanceId, ...body }).toMatchObject({ instanceId, ...first });
      else told.set(instanceId, { serialNumber: body!.serialNumber, token: body!.token });
    }
    expect(told.size).toBe(INSTANCES);
    expect(new Set([...told.values()].map((t) => t.serialNumber)).size).toBe(INSTANCES);

    // Every claim is complete, nothing is in use outside claims, and only the missing licenses were made.
    const claims = await world.store.claims.list(POOL);
    expect(claims).toHaveLength(INSTANCES);
    expect(claims.every((c) => c.complete !== false)).toBe(true);
    const inventory = await loadInventory(
      world.deps,
      world.policy,
      world.policy.pools[0]!,
      world.sim.clock.now(),
    );
    expect(inventory.inUse).toBe(0);
    expect(inventory.claimed).toBe(INSTANCES);
    expect(world.members()).toHaveLength(Math.max(seeded, INSTANCES));

    // Each token is the entitlement's current one and unused: every instance can license its FortiGate.
    for (const [instanceId, { serialNumber, token }] of told) {
      expect(world.sim.activateToken(token), instanceId).toEqual({ ok: true, serialNumber });
    }
    console.info(
      `claim processes: ${WORKERS} workers, ${answers.length} claims for ${INSTANCES} instances, ` +
        `${retried} retries after 503, ${world.members().length - seeded} created`,
    );
  }, 90_000);
});
