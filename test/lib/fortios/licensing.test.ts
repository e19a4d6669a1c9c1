import { afterEach, describe, expect, it } from 'vitest';
import { FortiOsError, type FortiOsClient } from '../../../src/lib/fortios';
import type { FortiGateFleetOptions } from '../../../src/simulator/fortigate';
import { rejection, startLicensingWorld, type LicensingWorld } from '../../support/fortigates';

let world: LicensingWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

async function start(
  options: Partial<Omit<FortiGateFleetOptions, 'authority'>> = {},
): Promise<LicensingWorld> {
  world = await startLicensingWorld({ count: 2, firstAddress: '127.0.10.2', ...options });
  return world;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `system/status` until it answers, counting the `unreachable` failures on the way. */
async function pollUntilAnswering(client: FortiOsClient): Promise<{ serial: string; unreachable: number }> {
  let unreachable = 0;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      const status = await client.systemStatus({ timeoutMs: 1000 });
      return { serial: status.serial, unreachable };
    } catch (error) {
      if (!(error instanceof FortiOsError) || error.code !== 'unreachable') throw error;
      unreachable += 1;
      await sleep(25);
    }
  }
  throw new Error('the FortiGate never answered');
}

describe('licensing a FortiGate with a FortiFlex token', () => {
  it('downloads the licence, the FortiGate reboots with the entitlement serial, and the licence confirms', async () => {
    const w = await start();
    const device = w.fleet.devices[0]!;
    const entitlement = w.takePending();
    const client = w.client(device);

    const before = await client.systemStatus();
    expect(before.serial).toMatch(/^FGVMEV[0-9A-F]{10}$/);
    expect(before.hostname).toBe(before.serial);
    expect(await client.licenseStatus()).toEqual({ valid: true, status: 'vm_eval' });
    expect(await client.confirmLicensed(entitlement.serialNumber)).toMatchObject({
      confirmed: false,
      reason: 'serialMismatch',
      serial: before.serial,
    });

    const download = await client.downloadVmLicense(entitlement.token);
    expect(download).toEqual({ outcome: 'accepted', serialAtRequest: before.serial });
    const used = w.flex.entitlements().find((e) => e.serialNumber === entitlement.serialNumber)!;
    expect(used).toMatchObject({ status: 'ACTIVE', tokenStatus: 'USED' });

    const recovered = await pollUntilAnswering(client);
    expect(recovered.unreachable).toBeGreaterThan(0);
    expect(recovered.serial).toBe(entitlement.serialNumber);
    const confirmation = await client.confirmLicensed(` ${entitlement.serialNumber.toLowerCase()} `);
    expect(confirmation).toMatchObject({
      confirmed: true,
      serial: entitlement.serialNumber,
      license: { valid: true, status: 'vm_valid' },
      repinned: false,
    });
    expect(confirmation.reason).toBeUndefined();
    // Licensing one FortiGate leaves the others alone.
    expect(w.fleet.devices[1]!.serial()).toMatch(/^FGVMEV/);
  });

  it('is refused while the FortiGate reboots: unreachable, retryable, and nothing was sent', async () => {
    const w = await start({ rebootMs: 400 });
    const device = w.fleet.devices[0]!;
    const client = w.client(device);
    await client.downloadVmLicense(w.takePending().token);
    const error = (await rejection(client.systemStatus())) as FortiOsError;
    expect(error).toBeInstanceOf(FortiOsError);
    expect(error).toMatchObject({
      code: 'unreachable',
      retryable: true,
      requestSent: false,
      systemCode: 'ECONNREFUSED',
    });
    expect(device.phase()).toBe('rebooting');
    await device.whenReachable();
    expect((await client.systemStatus()).serial).toBe(device.licensedSerial());
  });

  it('waits out a boot delay: connection refused first, then the evaluation unit answers', async () => {
    const w = await start({ count: 1, bootDelayMs: 300 });
    const device = w.fleet.devices[0]!;
    const client = w.client(device);
    expect(device.phase()).toBe('booting');
    expect(await rejection(client.systemStatus())).toMatchObject({ code: 'unreachable' });
    const { serial, unreachable } = await pollUntilAnswering(client);
    expect(unreachable).toBeGreaterThan(0);
    expect(serial).toBe(device.serial());
  });

  it('answers alreadyUsed for a reused token, on the same unit after a lost reply and on another unit', async () => {
    const w = await start();
    const [first, second] = w.fleet.devices as [(typeof w.fleet.devices)[0], (typeof w.fleet.devices)[0]];
    const entitlement = w.takePending();
    const firstClient = w.client(first);
    await firstClient.downloadVmLicense(entitlement.token);
    await first.whenReachable();
    // The same unit again, as after an answer lost in transit: done, and the licence confirms.
    expect(await firstClient.downloadVmLicense(entitlement.token)).toEqual({ outcome: 'alreadyUsed' });
    expect((await firstClient.confirmLicensed(entitlement.serialNumber)).confirmed).toBe(true);
    // Another unit: also alreadyUsed, and only the serial check tells the caller it is not licensed.
    const secondClient = w.client(second);
    expect(await secondClient.downloadVmLicense(entitlement.token)).toEqual({ outcome: 'alreadyUsed' });
    expect(second.phase()).toBe('running');
    expect(await secondClient.confirmLicensed(entitlement.serialNumber)).toMatchObject({
      confirmed: false,
      reason: 'serialMismatch',
    });
  });

  it.each(['reset', 'hang'] as const)(
    'survives a lost reply (%s after the token was taken): ambiguous error, then alreadyUsed, then confirmed',
    async (kind) => {
      const w = await start({ count: 1 });
      const device = w.fleet.devices[0]!;
      const entitlement = w.takePending();
      const client = w.client(device, { timeoutMs: 2000 });
      device.faults.add({ path: 'system/vmlicense/download', when: 'after', fault: { kind } });
      const lost = (await rejection(client.downloadVmLicense(entitlement.token))) as FortiOsError;
      expect(lost).toMatchObject({ code: 'unreachable', requestSent: true });
      expect(w.flex.entitlements().find((e) => e.serialNumber === entitlement.serialNumber)).toMatchObject({
        status: 'ACTIVE',
        tokenStatus: 'USED',
      });
      await device.whenReachable();
      expect(await client.downloadVmLicense(entitlement.token)).toEqual({ outcome: 'alreadyUsed' });
      expect((await client.confirmLicensed(entitlement.serialNumber)).confirmed).toBe(true);
    },
  );

  it('reports an unknown token as tokenRejected, final, with no reboot and no serial change', async () => {
    const w = await start();
    const device = w.fleet.devices[0]!;
    const serial = device.serial();
    const error = (await rejection(
      w.client(device).downloadVmLicense('0123456789ABCDEF0123'),
    )) as FortiOsError;
    expect(error).toMatchObject({
      code: 'tokenRejected',
      httpStatus: 500,
      retryable: false,
      requestSent: true,
    });
    expect(error.message).toContain('License Token is invalid');
    expect(device.phase()).toBe('running');
    expect(device.serial()).toBe(serial);
  });

  it('reports the token of a STOPPED entitlement as tokenRejected and leaves the entitlement STOPPED', async () => {
    const w = await start();
    const stopped = w.flex.entitlements().find((e) => e.status === 'STOPPED')!;
    const fresh = (await w.api('entitlements/vm/token', { serialNumber: stopped.serialNumber })).body
      .entitlements[0].token as string;
    const error = await rejection(w.client(w.fleet.devices[0]!).downloadVmLicense(fresh));
    expect(error).toMatchObject({ code: 'tokenRejected' });
    expect(error.message).toContain('entitlement is STOPPED');
    expect(w.flex.entitlementStatus(stopped.serialNumber)).toBe('STOPPED');
  });

  it('confirms a unit that was licensed before without touching it (adoption)', async () => {
    const w = await start({ count: 1, perDevice: () => ({ licensedSerial: 'FGVMMLTM25000101' }) });
    const device = w.fleet.devices[0]!;
    const confirmation = await w.client(device).confirmLicensed('FGVMMLTM25000101');
    expect(confirmation).toMatchObject({ confirmed: true, serial: 'FGVMMLTM25000101' });
    expect(device.log().filter((e) => e.kind === 'event' && e.event === 'down')).toEqual([]);
  });
});

describe('API key and permissions', () => {
  it('reports a wrong API key as unauthorized, not retryable', async () => {
    const w = await start();
    const error = await rejection(
      w.client(w.fleet.devices[0]!, { apiKey: 'not-the-key-0123456789' }).systemStatus(),
    );
    expect(error).toMatchObject({ code: 'unauthorized', httpStatus: 401, retryable: false });
  });

  it('locks the source out after repeated failures: blocked even with the right key, until the lockout ends', async () => {
    const w = await start({ count: 1, lockout: { threshold: 2, durationMs: 300 } });
    const device = w.fleet.devices[0]!;
    const wrong = w.client(device, { apiKey: 'not-the-key-0123456789' });
    const right = w.client(device);
    expect(await rejection(wrong.systemStatus())).toMatchObject({ code: 'unauthorized' });
    expect(await rejection(wrong.systemStatus())).toMatchObject({ code: 'unauthorized' });
    expect(await rejection(right.systemStatus())).toMatchObject({
      code: 'blocked',
      httpStatus: 429,
      retryable: true,
    });
    await sleep(350);
    expect((await right.systemStatus()).serial).toBe(device.serial());
  });

  it('reports a read-only API profile as forbidden for the licence download only', async () => {
    const w = await start({ count: 1, readOnly: true });
    const client = w.client(w.fleet.devices[0]!);
    const entitlement = w.takePending();
    expect(await rejection(client.downloadVmLicense(entitlement.token))).toMatchObject({
      code: 'forbidden',
      httpStatus: 403,
    });
    expect(w.flex.entitlementStatus(entitlement.serialNumber)).toBe('PENDING');
    expect((await client.licenseStatus()).status).toBe('vm_eval');
  });
});

describe('entitlement stopped while the FortiGate runs (switchable: real behaviour unknown)', () => {
  async function licensed(options: Partial<Omit<FortiGateFleetOptions, 'authority'>>) {
    const w = await start({ count: 1, ...options });
    const device = w.fleet.devices[0]!;
    const client = w.client(device);
    const entitlement = w.takePending();
    await client.downloadVmLicense(entitlement.token);
    await device.whenReachable();
    expect((await client.confirmLicensed(entitlement.serialNumber)).confirmed).toBe(true);
    return { w, client, serial: entitlement.serialNumber };
  }

  it('staysValid (default): a stop changes nothing on the unit', async () => {
    const { w, client, serial } = await licensed({});
    await w.api('entitlements/stop', { serialNumber: serial });
    expect((await client.confirmLicensed(serial)).confirmed).toBe(true);
  });

  it('becomesInvalid + restores: invalid while STOPPED, valid again after reactivation', async () => {
    const { w, client, serial } = await licensed({ whenEntitlementStopped: 'becomesInvalid' });
    await w.api('entitlements/stop', { serialNumber: serial });
    expect(await client.confirmLicensed(serial)).toMatchObject({
      confirmed: false,
      reason: 'licenseNotValid',
      license: { valid: false, status: 'vm_invalid' },
    });
    await w.api('entitlements/reactivate', { serialNumber: serial });
    expect((await client.confirmLicensed(serial)).confirmed).toBe(true);
  });

  it('becomesInvalid + needsNewToken: reactivation alone is not enough; a fresh token licenses it again', async () => {
    const { w, client, serial } = await licensed({
      whenEntitlementStopped: 'becomesInvalid',
      whenEntitlementReactivated: 'needsNewToken',
    });
    await w.api('entitlements/stop', { serialNumber: serial });
    expect((await client.licenseStatus()).status).toBe('vm_invalid');
    await w.api('entitlements/reactivate', { serialNumber: serial });
    expect((await client.confirmLicensed(serial)).reason).toBe('licenseNotValid');
    const fresh = (await w.api('entitlements/vm/token', { serialNumber: serial })).body.entitlements[0]
      .token as string;
    expect(await client.downloadVmLicense(fresh)).toMatchObject({
      outcome: 'accepted',
      serialAtRequest: serial,
    });
    await w.fleet.devices[0]!.whenReachable();
    expect((await client.confirmLicensed(serial)).confirmed).toBe(true);
  });
});
