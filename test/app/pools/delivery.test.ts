/**
 * Licence delivery end to end: the real compute adapter against the ARM simulator, the real FortiOS client
 * against simulated FortiGates on their own loopback addresses (the instances' private IPs), the FortiFlex
 * simulator and Azurite. Addresses 127.0.20.x–127.0.21.x belong to this file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { listDeliveries } from '../../../src/app/pools/deliveries';
import { releaseDueAt } from '../../../src/app/pools/membership';
import { startDeliveryWorld, statesOf, untilLicensed, POOL, type DeliveryWorld } from './delivery-support';

let world: DeliveryWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

/** Every text the scaler stored or reported, for secret checks. */
async function everythingStored(w: DeliveryWorld, reports: unknown[]): Promise<string> {
  const rows = await w.store.deliveries.list(POOL);
  const records = await w.store.records.list();
  return JSON.stringify([await w.audit(), rows, records, reports]);
}

describe('scale-out: 0 → 8 instances', () => {
  it('licenses and confirms every instance with a fresh token of its own, creating the licences in one call', async () => {
    world = await startDeliveryWorld({ fleet: { count: 8, firstAddress: '127.0.20.2' } });
    const w = world;
    const empty = await w.sync();
    expect(empty.instances).toEqual([]);
    w.sim.resetStats();

    const added = w.grow(8);
    expect(added.map((m) => m.privateIp)).toEqual(w.fleet.devices.map((d) => d.address));
    const first = await w.sync();
    expect(first.error).toBeUndefined();
    expect(Object.values(statesOf(first))).toEqual(Array(8).fill('pending'));
    expect(first.instances.every((i) => /accepted; FortiGate rebooting/.test(i.detail))).toBe(true);
    // One create call for all eight (the pool was empty), nothing regenerated: new tokens are fresh.
    expect(w.sim.stats().requests['entitlements/vm/create']).toBe(1);
    expect(w.sim.stats().requests['entitlements/vm/token'] ?? 0).toBe(0);
    expect(first.created).toHaveLength(8);
    // The retry is a delayed message: not visible at once.
    expect(await w.store.queue.receive(1)).toEqual([]);
    expect(first.retryInSeconds).toBe(1);

    await untilLicensed(w.fleet.devices);
    const retried = await w.runNextMessage(5_000);
    expect(retried?.sync).toBeDefined();
    const second = retried!.sync!;
    expect(Object.values(statesOf(second))).toEqual(Array(8).fill('licensed'));
    expect(second.instances.every((i) => /licensed and confirmed/.test(i.detail))).toBe(true);

    // Each instance's FortiGate runs the serial of its own claim; no serial twice.
    const claims = await w.store.claims.list(POOL);
    expect(claims).toHaveLength(8);
    const byInstance = new Map(claims.map((c) => [c.instanceId, c.serialNumber]));
    for (const machine of added) {
      const device = w.fleet.byAddress(machine.privateIp)!;
      expect(device.licensedSerial()).toBe(byInstance.get(machine.name.toLowerCase()));
    }
    expect(new Set(w.fleet.devices.map((d) => d.licensedSerial())).size).toBe(8);
    // One accepted download per device: every token was unused when it was sent, and each went to one unit.
    for (const device of w.fleet.devices) {
      const downloads = device
        .log()
        .filter((e) => e.kind === 'request' && e.path.endsWith('vmlicense/download'));
      expect(downloads.map((e) => (e.kind === 'request' ? [e.outcome, e.tokenFrom] : []))).toEqual([
        ['accepted', 'body'],
      ]);
    }
    const members = w.members();
    expect(members.every((e) => e.status === 'ACTIVE' && e.tokenStatus === 'USED')).toBe(true);
    expect(new Set(members.map((e) => e.token)).size).toBe(8);

    // Recorded step by step.
    const audit = await w.audit();
    const actions = (action: string) => audit.filter((a) => a.action === action && a.outcome === 'succeeded');
    expect(actions('claim')).toHaveLength(8);
    expect(actions('licenseDownload')).toHaveLength(8);
    expect(actions('licenseConfirm')).toHaveLength(8);
    const view = await listDeliveries(w.deps, POOL);
    expect(view.deliveries.map((d) => [d.state, d.tls])).toEqual(Array(8).fill(['licensed', 'tofu']));

    // Idempotent: a third sync asks nothing of the FortiGates and changes nothing.
    const before = w.fleet.devices.map((d) => d.log().length);
    const third = await w.sync();
    expect(statesOf(third)).toEqual(statesOf(second));
    expect(w.fleet.devices.map((d) => d.log().length)).toEqual(before);
    expect(third.retryInSeconds).toBeUndefined();

    // Neither the API key nor any token is in the audit, the rows, the records or the reports.
    const text = await everythingStored(w, [first, second, third]);
    expect(text).not.toContain(w.fleet.apiKey);
    for (const member of members) expect(text).not.toContain(member.token);
  });
});

describe('FortiGates that boot slowly, and instances deleted mid-delivery', () => {
  it('claims early, retries unreachable FortiGates through delayed messages and licenses them later', async () => {
    world = await startDeliveryWorld({
      fleet: { count: 2, firstAddress: '127.0.20.20', bootDelayMs: 1_500 },
    });
    const w = world;
    w.grow(2);
    const first = await w.sync();
    expect(Object.values(statesOf(first))).toEqual(['pending', 'pending']);
    expect(first.instances.every((i) => /claimed; FortiGate not reachable yet/.test(i.detail))).toBe(true);
    expect(await w.store.claims.list(POOL)).toHaveLength(2);
    expect(w.fleet.devices.every((d) => d.licensedSerial() === undefined)).toBe(true);

    // Follow the retry chain until both are confirmed (the devices boot, take the token, reboot).
    let last = first;
    for (let i = 0; i < 8 && Object.values(statesOf(last)).some((s) => s !== 'licensed'); i += 1) {
      const outcome = await w.runNextMessage(5_000);
      expect(outcome?.sync, `retry ${i + 1} ran a sync`).toBeDefined();
      last = outcome!.sync!;
      if (last.instances.some((x) => /rebooting/.test(x.detail))) await untilLicensed(w.fleet.devices);
    }
    expect(Object.values(statesOf(last))).toEqual(['licensed', 'licensed']);
    const rows = await w.store.deliveries.list(POOL);
    expect(rows.every((r) => r.attempts >= 3)).toBe(true);
  });

  it('releases an instance deleted before its FortiGate was confirmed: token regenerated, stop deferred', async () => {
    world = await startDeliveryWorld({ fleet: { count: 2, firstAddress: '127.0.20.30' } });
    const w = world;
    const [gone, kept] = w.grow(2);
    await w.sync();
    const claim = (await w.store.claims.get(POOL, gone!.name.toLowerCase()))!;
    const tokenBefore = w.members().find((e) => e.serialNumber === claim.serialNumber)!.token;
    w.shrink([gone!.name]);
    await untilLicensed([w.fleet.byAddress(kept!.privateIp)!]);

    const report = await w.sync();
    expect(statesOf(report)).toEqual({
      [gone!.name.toLowerCase()]: 'released',
      [kept!.name.toLowerCase()]: 'licensed',
    });
    expect(await w.store.claims.get(POOL, gone!.name.toLowerCase())).toBeUndefined();
    expect(await w.store.deliveries.get(POOL, gone!.name.toLowerCase())).toBeUndefined();
    const member = w.members().find((e) => e.serialNumber === claim.serialNumber)!;
    expect(member.token).not.toBe(tokenBefore);
    expect(member.tokenStatus).toBe('NOTUSED');
    // The spare is marked for release and stays ACTIVE until just before the next Pacific midnight.
    const record = await w.store.records.get(claim.serialNumber);
    expect(record?.lastAction).toBe('poolRelease');
    expect(member.status).toBe('ACTIVE');
    expect(releaseDueAt(w.policy.pools[0]!, w.sim.clock.now()).getTime()).toBeGreaterThan(
      w.sim.clock.now().getTime(),
    );
    const release = (await w.audit()).find((a) => a.action === 'release');
    expect(release?.details).toMatchObject({ instanceId: gone!.name.toLowerCase() });
  });
});

describe('adoption', () => {
  it('binds a running scale set of 3 licensed FortiGates to their entitlements: no token, no reboot', async () => {
    world = await startDeliveryWorld({
      seed: { inUse: 3 },
      running: 3,
      fleet: {
        count: 3,
        firstAddress: '127.0.20.40',
        perDevice: (i) => ({ licensedSerial: `FGVMPOOL${String(i + 1).padStart(8, '0')}` }),
      },
    });
    const w = world;
    w.sim.resetStats();
    const adoption = await w.sync({ adoptOnly: true });
    expect(Object.values(statesOf(adoption))).toEqual(['adopted', 'adopted', 'adopted']);
    expect(w.sim.stats().requests['entitlements/vm/token'] ?? 0).toBe(0);
    expect(w.sim.stats().requests['entitlements/vm/create'] ?? 0).toBe(0);
    for (const device of w.fleet.devices) {
      expect(device.log().some((e) => e.kind === 'request' && e.path.endsWith('vmlicense/download'))).toBe(
        false,
      );
      expect(device.log().filter((e) => e.kind === 'event' && e.event === 'down')).toEqual([]);
    }
    const claims = await w.store.claims.list(POOL);
    const machines = w.sim.arm!.machines();
    expect(claims.map((c) => [c.instanceId, c.serialNumber]).sort()).toEqual(
      machines.map((m) => [m.name.toLowerCase(), w.fleet.byAddress(m.privateIp)!.licensedSerial()]).sort(),
    );
    expect((await w.audit()).filter((a) => a.action === 'adopt')).toHaveLength(3);
    // A full sync afterwards leaves them alone: nothing claimed, created or sent.
    const after = await w.sync();
    expect(Object.values(statesOf(after))).toEqual(['adopted', 'adopted', 'adopted']);
    expect(w.sim.stats().requests['entitlements/vm/create'] ?? 0).toBe(0);
    expect(w.sim.stats().requests['entitlements/vm/token'] ?? 0).toBe(0);
  });

  it('reports, and never adopts, a serial that is not the pool’s or that another instance holds', async () => {
    world = await startDeliveryWorld({
      seed: { inUse: 1 },
      running: 3,
      fleet: {
        count: 3,
        firstAddress: '127.0.20.50',
        perDevice: (i) => ({ licensedSerial: i === 2 ? 'FGVMXX0000000099' : 'FGVMPOOL00000001' }),
      },
    });
    const w = world;
    const report = await w.sync({ adoptOnly: true });
    const states = report.instances.map((i) => i.state).sort();
    expect(states).toEqual(['adopted', 'failed', 'failed']);
    const details = report.instances.filter((i) => i.state === 'failed').map((i) => i.detail);
    expect(details.some((d) => /already claimed by instance .*not adopted/.test(d))).toBe(true);
    expect(
      details.some((d) => /FGVMXX0000000099, which is no entitlement of config 2200; not adopted/.test(d)),
    ).toBe(true);
    expect(await w.store.claims.list(POOL)).toHaveLength(1);
  });
});
