/**
 * Bad input and faults of licence delivery: each ends in a clear status entry (the sync report and the
 * delivery row) and audit row, never in a licence given to two instances, never in a lost claim, and never
 * with the API key or a token in what is stored. Addresses 127.0.22.x belong to this file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { claimLicense } from '../../../src/app/pools/claims';
import { listDeliveries } from '../../../src/app/pools/deliveries';
import { startDeliveryWorld, statesOf, untilLicensed, POOL, type DeliveryWorld } from './delivery-support';

let world: DeliveryWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

/** The audit, rows and records as text; asserts no secret of the world is in it. */
async function expectNoSecrets(
  w: DeliveryWorld,
  extra: string[] = [],
  reports: unknown[] = [],
): Promise<void> {
  const text = JSON.stringify([
    await w.audit(),
    await w.store.deliveries.list(POOL),
    await w.store.records.list(),
    reports,
  ]);
  for (const secret of [w.fleet.apiKey, ...extra, ...w.members().map((e) => e.token)])
    expect(text).not.toContain(secret);
}

describe('delivery faults', () => {
  it('a wrong API key: failed with the reason, nothing claimed, the key never stored', async () => {
    const wrongKey = 'wrong0key0of0thirty0characters';
    world = await startDeliveryWorld({
      fleet: { count: 1, firstAddress: '127.0.22.2', lockout: { threshold: 3, durationMs: 200 } },
      apiKey: wrongKey,
    });
    const w = world;
    w.grow(1);
    const report = await w.sync();
    expect(report.instances).toEqual([
      expect.objectContaining({
        state: 'failed',
        detail: expect.stringMatching(/^API key refused \(HTTP 401\)/),
      }),
    ]);
    expect(await w.store.claims.list(POOL)).toEqual([]);
    expect(report.retryInSeconds).toBeUndefined();
    const audit = (await w.audit()).find((a) => a.action === 'delivery' && a.outcome === 'failed');
    expect(audit?.reason).toMatch(/API key refused/);
    const [row] = (await listDeliveries(w.deps, POOL, { states: ['failed'] })).deliveries;
    expect(row).toMatchObject({ state: 'failed', address: '127.0.22.2' });
    await expectNoSecrets(w, [wrongKey], [report]);
  });

  it('a token the FortiGate rejects: failed with the claim kept, then delivered by the next sync', async () => {
    world = await startDeliveryWorld({ fleet: { count: 1, firstAddress: '127.0.22.10' } });
    const w = world;
    const [machine] = w.grow(1);
    w.fleet.devices[0]!.faults.add({
      path: 'system/vmlicense/download',
      fault: {
        kind: 'http',
        status: 500,
        body: { status: 'error', http_status: 500, error: -1, cli_error: 'License Token is invalid' },
      },
    });
    const first = await w.sync();
    expect(first.instances[0]).toMatchObject({
      state: 'failed',
      detail: expect.stringMatching(/^FortiGate refused the token of FGVM\w+: /),
    });
    const claim = await w.store.claims.get(POOL, machine!.name.toLowerCase());
    expect(claim?.serialNumber).toBe(first.instances[0]!.serialNumber);
    expect((await w.audit()).some((a) => a.action === 'licenseDownload' && a.outcome === 'failed')).toBe(
      true,
    );

    const second = await w.sync();
    expect(second.instances[0]).toMatchObject({ state: 'pending', serialNumber: claim!.serialNumber });
    await untilLicensed(w.fleet.devices);
    expect(statesOf(await w.sync())).toEqual({ [machine!.name.toLowerCase()]: 'licensed' });
    await expectNoSecrets(w, [], [first, second]);
  });

  it('a reused token: waits for the FortiGate, then fails at the bound with its claim kept', async () => {
    world = await startDeliveryWorld({ fleet: { count: 1, firstAddress: '127.0.22.20' } });
    const w = world;
    const [machine] = w.grow(1);
    w.fleet.devices[0]!.faults.add({
      path: 'system/vmlicense/download',
      times: Infinity,
      fault: {
        kind: 'http',
        status: 500,
        body: { status: 'error', http_status: 500, error: -1, cli_error: 'License Token is already used' },
      },
    });
    const first = await w.sync();
    expect(first.instances[0]).toMatchObject({
      state: 'pending',
      detail: expect.stringMatching(/already used; waiting for the FortiGate to report/),
    });
    w.sim.clock.advance(31 * 60_000);
    const late = await w.sync();
    expect(late.instances[0]).toMatchObject({
      state: 'failed',
      detail: expect.stringMatching(/^not licensed within 30 minutes \(claim kept\): /),
    });
    expect(late.retryInSeconds).toBeUndefined();
    expect(await w.store.claims.get(POOL, machine!.name.toLowerCase())).toBeDefined();
    const timeouts = (await w.audit()).filter((a) => a.action === 'deliveryTimeout');
    expect(timeouts).toHaveLength(1);
    // Reported once: a later sync keeps it failed without a second timeout row.
    await w.sync();
    expect((await w.audit()).filter((a) => a.action === 'deliveryTimeout')).toHaveLength(1);
  });

  it('a FortiGate whose serial differs from the claimed licence: failed, nothing adopted, claim kept', async () => {
    world = await startDeliveryWorld({
      seed: { active: 1 },
      running: 1,
      fleet: {
        count: 1,
        firstAddress: '127.0.22.30',
        perDevice: () => ({ licensedSerial: 'FGVMXX0000000042' }),
      },
    });
    const w = world;
    const [machine] = w.sim.arm!.machines();
    const instanceId = machine!.name.toLowerCase();
    // The instance claimed over HTTP (pull) before delivery was configured.
    const claimed = await claimLicense(w.deps, POOL, instanceId, { runId: 'pull' });
    const report = await w.sync();
    expect(report.instances).toEqual([
      {
        instanceId,
        serialNumber: claimed.serialNumber,
        state: 'failed',
        detail: `serial mismatch: FortiGate reports FGVMXX0000000042, the claimed licence is ${claimed.serialNumber}; claim kept, nothing adopted`,
      },
    ]);
    expect((await w.store.claims.get(POOL, instanceId))?.serialNumber).toBe(claimed.serialNumber);
    expect(w.fleet.devices[0]!.log().some((e) => e.kind === 'request' && e.path.endsWith('download'))).toBe(
      false,
    );
  });

  it('ARM throttling: the sync reports it, releases nothing and retries', async () => {
    world = await startDeliveryWorld({ fleet: { count: 1, firstAddress: '127.0.22.40' } });
    const w = world;
    w.grow(1);
    await w.sync();
    const claims = await w.store.claims.list(POOL);
    expect(claims).toHaveLength(1);
    w.sim.arm!.faults.add({ operation: 'vmss.get', fault: { kind: 'throttle', retryAfterSeconds: 30 } });
    const report = await w.sync({ retry: true });
    expect(report.error).toMatch(/^scale set not listed: /);
    expect(report.instances).toEqual([]);
    expect(report.retryInSeconds).toBe(1);
    expect(await w.store.claims.list(POOL)).toEqual(claims);
    expect((await w.audit()).some((a) => a.action === 'deliverySync' && a.outcome === 'failed')).toBe(true);
  });

  it('FortiFlex failing: no claim is made or lost, and the next sync delivers', async () => {
    world = await startDeliveryWorld({ fleet: { count: 2, firstAddress: '127.0.22.50' } });
    const w = world;
    w.grow(2);
    w.sim.faults.add({
      endpoint: 'entitlements/vm/create',
      times: Infinity,
      fault: { kind: 'http', status: 500 },
    });
    const failing = await w.sync();
    expect(failing.instances.map((i) => i.state)).toEqual(['pending', 'pending']);
    expect(failing.instances.every((i) => /^claim not made yet: /.test(i.detail))).toBe(true);
    expect(failing.warnings.some((x) => /^resize create: /.test(x))).toBe(true);
    expect(await w.store.claims.list(POOL)).toEqual([]);
    w.sim.faults.clear();
    const healed = await w.sync();
    expect(healed.instances.map((i) => i.state)).toEqual(['pending', 'pending']);
    const claims = await w.store.claims.list(POOL);
    expect(new Set(claims.map((c) => c.serialNumber)).size).toBe(2);
    expect(w.members()).toHaveLength(2);
  });
});
