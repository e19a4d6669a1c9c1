import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FortiFlexApiError,
  FortiFlexAuthError,
  FortiFlexClient,
  FortiFlexNetworkError,
  FortiFlexRateLimitError,
  FortiFlexResponseError,
  FortiFlexTimeoutError,
  type FortiFlexClientOptions,
} from '../../../src/lib/fortiflex';
import { startSimulator, type SimulatorHandle } from '../../../src/simulator';

const PROGRAM = 'ELAVMR0000000519';
const ACCOUNT = 12345;
const scope = { accountId: ACCOUNT, programSerialNumber: PROGRAM };

let sim: SimulatorHandle;
let logs: string[] = [];
let sleeps: number[] = [];

function client(options: Partial<FortiFlexClientOptions> = {}): FortiFlexClient {
  return new FortiFlexClient({
    apiUrl: sim.apiUrl,
    authUrl: sim.authUrl,
    credentials: { get: () => Promise.resolve(sim.credentials) },
    rateLimit: { perMinute: Infinity, perHour: Infinity },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    attemptTimeoutMs: 2_000,
    logger: { debug: (m) => logs.push(m), warn: (m) => logs.push(m) },
    ...options,
  });
}

function firstWithStatus(status: string, configId = 2198) {
  const found = sim.entitlements().find((e) => e.status === status && e.configId === configId);
  if (!found) throw new Error(`seed has no ${status} entitlement in config ${configId}`);
  return found;
}

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.stop();
});
afterEach(() => {
  sim.faults.clear();
  logs = [];
  sleeps = [];
});

describe('FortiFlexClient against the simulator', () => {
  it('covers programs, configs, groups and calc endpoints', async () => {
    const c = client();
    const programs = await c.listPrograms();
    expect(programs.map((p) => p.serialNumber)).toContain(PROGRAM);
    const points = await c.getProgramPoints({ programSerialNumber: PROGRAM });
    expect(points.serialNumber).toBe(PROGRAM);
    expect(typeof points.pointBalance).toBe('number');
    const configs = await c.listConfigs({ programSerialNumber: PROGRAM, accountId: ACCOUNT });
    expect(configs.map((x) => x.id)).toEqual(expect.arrayContaining([2198, 2199, 2200]));
    const groups = await c.listGroups({ accountId: ACCOUNT });
    expect(groups.length).toBeGreaterThan(0);
    // Without an account the request goes to the v1 path, which the simulator serves too.
    expect(await c.listGroups()).toHaveLength(groups.length);
    expect(groups.every((g) => g.folderPath.startsWith('My Assets'))).toBe(true);
    const estimate = await c.calculatePoints({
      programSerialNumber: PROGRAM,
      productTypeId: 1,
      parameters: [
        { id: 1, value: '2' },
        { id: 2, value: 'ENT' },
      ],
    });
    expect(estimate.current).toBeGreaterThan(0);

    const created = await c.createConfig({
      programSerialNumber: PROGRAM,
      accountId: ACCOUNT,
      name: `sim-client-${Date.now()}`,
      productTypeId: 1,
      parameters: [
        { id: 1, value: '4' },
        { id: 2, value: 'UTP' },
      ],
    });
    expect(created.status).toBe('ACTIVE');
    const renamed = await c.updateConfig({
      id: created.id,
      name: `${created.name}-x`,
      parameters: created.parameters.map(({ id, value }) => ({ id, value })),
    });
    expect(renamed.name).toBe(`${created.name}-x`);
    await expect(c.disableConfig(created.id)).resolves.toMatchObject({ status: 'DISABLED' });
    await expect(c.enableConfig(created.id)).resolves.toMatchObject({ status: 'ACTIVE' });
    expect(c.stats().logins).toBe(1);
  });

  it('covers the entitlement lifecycle endpoints', async () => {
    const c = client();
    const listed = await c.listEntitlements({ configId: 2200 }, { status: 'PENDING' });
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((e) => e.status === 'PENDING')).toBe(true);

    const [vm] = await c.createVmEntitlements({
      configId: 2200,
      description: 'sim-lifecycle',
      skipPending: true,
    });
    expect(vm).toMatchObject({ status: 'ACTIVE', description: 'sim-lifecycle', configId: 2200 });
    const stopped = await c.stopEntitlement({ serialNumber: vm!.serialNumber, scope });
    expect(stopped.status).toBe('STOPPED');
    const token = await c.regenerateToken({ serialNumber: vm!.serialNumber });
    expect(token.tokenStatus).toBe('NOTUSED');
    expect(token.token).not.toBe(vm!.token);
    await expect(c.reactivateEntitlement({ serialNumber: vm!.serialNumber, scope })).resolves.toMatchObject({
      status: 'ACTIVE',
    });
    const updated = await c.updateEntitlement({
      serialNumber: vm!.serialNumber,
      configId: 2200,
      description: 'renamed',
    });
    expect(updated.description).toBe('renamed');

    const next = await c.nextToken({ configId: 2200, status: ['PENDING'] });
    expect(next?.tokenStatus).toBe('NOTUSED');

    const points = await c.getEntitlementPoints({
      programSerialNumber: PROGRAM,
      accountId: ACCOUNT,
      startDate: '2026-03-01',
      endDate: '2026-03-31',
    });
    expect(points.every((p) => typeof p.points === 'number')).toBe(true);

    const hwConfig = await c.createConfig({
      programSerialNumber: PROGRAM,
      accountId: ACCOUNT,
      name: `sim-hw-${Date.now()}`,
      productTypeId: 101,
      parameters: [
        { id: 27, value: 'FGT60F' },
        { id: 28, value: 'FGHWFC247' },
      ],
    });
    const hw = await c.createHardwareEntitlements({
      configId: hwConfig.id,
      serialNumbers: ['FGT60FTK19000010', 'FGT60FTK19000013'],
    });
    expect(hw.map((e) => e.serialNumber).sort()).toEqual(['FGT60FTK19000010', 'FGT60FTK19000013']);

    const cloudConfig = await c.createConfig({
      programSerialNumber: PROGRAM,
      accountId: ACCOUNT,
      name: `sim-cloud-${Date.now()}`,
      productTypeId: 203,
      parameters: [
        { id: 34, value: '25' },
        { id: 35, value: '2' },
      ],
    });
    const cloud = await c.createCloudEntitlement({ configId: cloudConfig.id });
    expect(cloud).toHaveLength(1);

    const moved = await c
      .transferEntitlements({
        sourceAccountId: ACCOUNT,
        sourceConfigId: 2200,
        targetAccountId: ACCOUNT,
        targetConfigId: 2200,
        serialNumbers: [vm!.serialNumber],
      })
      .catch((e: unknown) => e);
    // The simulator may refuse a same-account transfer; either outcome must be typed.
    if (Array.isArray(moved)) expect(moved[0]?.serialNumber).toBe(vm!.serialNumber);
    else expect(moved).toBeInstanceOf(FortiFlexApiError);
  });

  it('makes exactly one login for concurrent first calls', async () => {
    sim.resetStats();
    const c = client();
    await Promise.all(Array.from({ length: 25 }, () => c.listEntitlements({ configId: 2198 })));
    expect(sim.stats().logins).toBe(1);
    expect(c.stats()).toEqual({ calls: 26, logins: 1 });
  });

  it('re-logs in exactly once when another login invalidates the token mid-run', async () => {
    const c = client();
    await c.listPrograms();
    // A second client for the same API user takes over: one active token per user.
    await client().listPrograms();
    sim.resetStats();
    await Promise.all(Array.from({ length: 10 }, () => c.listEntitlements({ configId: 2198 })));
    expect(sim.stats().logins).toBe(1);
    expect(c.stats().logins).toBe(2);
  });

  it('resends with the same token after a transient "Invalid security token."', async () => {
    const c = client();
    await c.listPrograms();
    sim.faults.add({ endpoint: 'entitlements/list', fault: { kind: 'invalidToken' } });
    await expect(c.listEntitlements({ configId: 2198 })).resolves.not.toHaveLength(0);
    expect(c.stats().logins).toBe(1);
  });

  it.each([
    ['HTTP 503', { kind: 'http', status: 503 }],
    ['a reset', { kind: 'reset' }],
    ['malformed JSON', { kind: 'malformed' }],
    ['429 with Retry-After', { kind: 'rateLimit', retryAfterSeconds: 3 }],
    [
      'an envelope rate limit',
      { kind: 'envelope', httpStatus: 200, errorCode: -10, message: 'Exceed max requests in minute' },
    ],
    ['a hang', { kind: 'hang' }],
    ['the legacy vms key', { kind: 'legacyKeys' }],
  ] as const)('lists entitlements despite %s', async (_name, fault) => {
    const c = client({ attemptTimeoutMs: 200 });
    sim.faults.add({ endpoint: 'entitlements/list', times: 2, fault });
    const list = await c.listEntitlements({ configId: 2198 });
    expect(list.length).toBe(sim.entitlements().filter((e) => e.configId === 2198).length);
    if (fault.kind === 'rateLimit') expect(sleeps).toEqual([3000, 3000]);
  });

  it.each([
    ['http 500', { kind: 'http', status: 500 }, FortiFlexApiError],
    ['reset', { kind: 'reset' }, FortiFlexNetworkError],
    ['malformed', { kind: 'malformed' }, FortiFlexResponseError],
    ['rateLimit', { kind: 'rateLimit', retryAfterSeconds: 1 }, FortiFlexRateLimitError],
    ['hang', { kind: 'hang' }, FortiFlexTimeoutError],
  ] as const)('fails a persistent %s with the right error class', async (_name, fault, errorClass) => {
    const c = client({ attemptTimeoutMs: 100, maxRetries: 2 });
    sim.faults.add({ endpoint: 'groups/list', times: Infinity, fault });
    const error = await c.listGroups({ accountId: ACCOUNT }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errorClass);
    expect(String(error)).toMatch(/^\w+: groups\/list: /);
  });

  it('fails with FortiFlexAuthError and no leaked secret for wrong credentials', async () => {
    const password = 'wrong-password-1234';
    const c = client({
      credentials: { get: () => Promise.resolve({ username: sim.credentials.username, password }) },
    });
    const error = await c.listPrograms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexAuthError);
    const everything = [String(error), (error as Error).stack, JSON.stringify(error), ...logs].join('\n');
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(sim.credentials.password);
  });

  it('does not leak the access token when faults force retries and re-logins', async () => {
    const c = client({ maxRetries: 1 });
    sim.faults.add({ endpoint: 'programs/list', times: 1, fault: { kind: 'invalidToken' } });
    sim.faults.add({ endpoint: 'programs/list', times: Infinity, fault: { kind: 'http', status: 502 } });
    const error = await c.listPrograms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexApiError);
    const text = [String(error), (error as Error).stack, ...logs].join('\n');
    expect(text).not.toMatch(/Bearer [A-Za-z0-9]{8,}/);
    expect(text).not.toContain(sim.credentials.password);
  });

  it.each([
    ['http 500', { kind: 'http', status: 500 }],
    ['reset', { kind: 'reset' }],
    ['malformed', { kind: 'malformed' }],
  ] as const)(
    'stops once and succeeds when the stop applied but its reply failed (%s after)',
    async (_n, fault) => {
      const c = client();
      const target = firstWithStatus('ACTIVE');
      sim.faults.add({ endpoint: 'entitlements/stop', when: 'after', fault });
      sim.resetStats();
      const result = await c.stopEntitlement({
        serialNumber: target.serialNumber,
        scope: { configId: target.configId },
      });
      expect(result.status).toBe('STOPPED');
      expect(sim.stats().requests['entitlements/stop']).toBe(1);
      await c.reactivateEntitlement({
        serialNumber: target.serialNumber,
        scope: { configId: target.configId },
      });
    },
  );

  it('treats reactivate on an ACTIVE entitlement as success with a scope, and as an API error without', async () => {
    const c = client();
    const target = firstWithStatus('ACTIVE');
    await expect(
      c.reactivateEntitlement({ serialNumber: target.serialNumber, scope: { configId: target.configId } }),
    ).resolves.toMatchObject({ status: 'ACTIVE' });
    const error = await c
      .reactivateEntitlement({ serialNumber: target.serialNumber })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexApiError);
    expect(String(error)).toContain(`entitlements/reactivate ${target.serialNumber}: `);
  });

  it.each([
    ['http 500', { kind: 'http', status: 500 }],
    ['reset', { kind: 'reset' }],
    ['malformed', { kind: 'malformed' }],
    ['hang', { kind: 'hang' }],
  ] as const)(
    'creates no duplicate when a VM create applied but its reply failed (%s after)',
    async (name, fault) => {
      const c = client({ attemptTimeoutMs: 200 });
      const description = `dedupe-${name}-${Date.now()}`;
      sim.faults.add({ endpoint: 'entitlements/vm/create', when: 'after', fault });
      const created = await c.createVmEntitlements({ configId: 2200, count: 2, description });
      expect(created).toHaveLength(2);
      const withDescription = sim.entitlements().filter((e) => e.description === description);
      expect(withDescription.map((e) => e.serialNumber).sort()).toEqual(
        created.map((e) => e.serialNumber).sort(),
      );
    },
  );

  it('creates exactly once when a create failed before reaching the state (before fault)', async () => {
    const c = client();
    const description = `before-${Date.now()}`;
    sim.faults.add({
      endpoint: 'entitlements/vm/create',
      when: 'before',
      fault: { kind: 'http', status: 503 },
    });
    await c.createVmEntitlements({ configId: 2200, description });
    expect(sim.entitlements().filter((e) => e.description === description)).toHaveLength(1);
  });
});
