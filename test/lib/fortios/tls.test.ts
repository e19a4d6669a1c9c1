import { afterEach, describe, expect, it } from 'vitest';
import { FortiOsClient, FortiOsError } from '../../../src/lib/fortios';
import type { FortiGateFleetOptions, FortiGateHandle } from '../../../src/simulator/fortigate';
import { createLocalCa } from '../../../src/simulator/tls';
import { rejection, startLicensingWorld, type LicensingWorld } from '../../support/fortigates';

let world: LicensingWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

async function start(
  options: Partial<Omit<FortiGateFleetOptions, 'authority'>> = {},
): Promise<LicensingWorld> {
  world = await startLicensingWorld({ count: 2, firstAddress: '127.0.11.2', ...options });
  return world;
}

const requests = (device: FortiGateHandle) => device.log().filter((entry) => entry.kind === 'request');
const fingerprintOf = (device: FortiGateHandle) => device.certificate()!.fingerprint;

describe('TOFU pinning', () => {
  it('pins the first certificate seen and reports it in the canonical form', async () => {
    const w = await start();
    const device = w.fleet.devices[0]!;
    const client = w.client(device);
    expect(client.tlsMode).toBe('tofu');
    expect(client.fingerprint).toBeUndefined();
    await client.systemStatus();
    expect(client.fingerprint).toBe(fingerprintOf(device));
    expect(client.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('refuses a different device certificate before sending anything, so the API key never reaches it', async () => {
    const w = await start();
    const [a, b] = w.fleet.devices as [FortiGateHandle, FortiGateHandle];
    const pinned = fingerprintOf(a);
    // The pin as an operator might paste it: lower case, no colons.
    const client = w.client(b, {
      tls: { mode: 'tofu', fingerprint: pinned.replace(/:/g, '').toLowerCase() },
    });
    const error = (await rejection(client.systemStatus())) as FortiOsError;
    expect(error).toBeInstanceOf(FortiOsError);
    expect(error).toMatchObject({
      code: 'certificateMismatch',
      retryable: false,
      requestSent: false,
      expectedFingerprint: pinned,
      observedFingerprint: fingerprintOf(b),
    });
    expect(requests(b)).toEqual([]);
    expect(client.fingerprint).toBe(pinned);
  });

  it('refuses a regenerated certificate, and re-pins it only for a FortiGate reporting the expected serial', async () => {
    const w = await start({ count: 1 });
    const device = w.fleet.devices[0]!;
    const client = w.client(device);
    const status = await client.systemStatus();
    const pinned = client.fingerprint!;
    await device.regenerateCertificate();
    expect(fingerprintOf(device)).not.toBe(pinned);
    expect(await rejection(client.systemStatus())).toMatchObject({ code: 'certificateMismatch' });
    // Wrong serial: not adopted.
    const refused = await rejection(
      client.confirmLicensed('FGVMMLTM25000129', { acceptNewCertificate: true }),
    );
    expect(refused).toMatchObject({ code: 'certificateMismatch', expectedFingerprint: pinned });
    expect(refused.message).toContain(`reports serial ${status.serial}, not FGVMMLTM25000129`);
    expect(client.fingerprint).toBe(pinned);
    // Without the option a changed certificate is always refused.
    expect(await rejection(client.confirmLicensed(status.serial))).toMatchObject({
      code: 'certificateMismatch',
    });
  });

  it('re-pins after a licence reboot that regenerated the certificate, then checks against the new pin', async () => {
    const w = await start({ count: 1, regenerateCertificateOnLicense: true });
    const device = w.fleet.devices[0]!;
    const entitlement = w.takePending();
    const client = w.client(device);
    await client.downloadVmLicense(entitlement.token);
    const before = client.fingerprint!;
    await device.whenReachable();
    expect(fingerprintOf(device)).not.toBe(before);
    expect(await rejection(client.confirmLicensed(entitlement.serialNumber))).toMatchObject({
      code: 'certificateMismatch',
    });

    const confirmation = await client.confirmLicensed(entitlement.serialNumber, {
      acceptNewCertificate: true,
    });
    expect(confirmation).toMatchObject({
      confirmed: true,
      repinned: true,
      previousFingerprint: before,
      fingerprint: fingerprintOf(device),
    });
    expect(client.fingerprint).toBe(fingerprintOf(device));
    // The stored pin works for a new client, and the old one no longer does.
    const later = w.client(device, { tls: { mode: 'tofu', fingerprint: confirmation.fingerprint! } });
    expect((await later.systemStatus()).serial).toBe(entitlement.serialNumber);
    const stale = w.client(device, { tls: { mode: 'tofu', fingerprint: before } });
    expect(await rejection(stale.systemStatus())).toMatchObject({ code: 'certificateMismatch' });
  });

  it('does not re-pin for a peer that refuses the API key', async () => {
    const w = await start({ count: 1 });
    const device = w.fleet.devices[0]!;
    const client = w.client(device, { apiKey: 'wrong-key-0123456789abcdef' });
    await rejection(client.systemStatus()); // first contact pins, then 401
    const pinned = client.fingerprint!;
    await device.regenerateCertificate();
    const error = await rejection(client.confirmLicensed(device.serial(), { acceptNewCertificate: true }));
    expect(error).toMatchObject({ code: 'certificateMismatch', httpStatus: 401 });
    expect(error.message).toContain('its answer failed (unauthorized)');
    expect(client.fingerprint).toBe(pinned);
  });
});

describe('CA and insecure modes', () => {
  it('CA mode verifies the chain and keeps working after the certificate is regenerated by the same CA', async () => {
    const w = await start({ count: 1 });
    const device = w.fleet.devices[0]!;
    const client = w.client(device, { tls: { mode: 'ca', ca: w.fleet.ca! } });
    expect(client.tlsMode).toBe('ca');
    expect((await client.systemStatus()).serial).toBe(device.serial());
    await device.regenerateCertificate();
    expect((await client.systemStatus()).serial).toBe(device.serial());
    expect(client.fingerprint).toBe(fingerprintOf(device));
  });

  it('CA mode refuses a certificate from another CA before sending anything', async () => {
    const w = await start({ count: 1 });
    const device = w.fleet.devices[0]!;
    const other = await createLocalCa('someone else');
    const error = await rejection(w.client(device, { tls: { mode: 'ca', ca: other.cert } }).systemStatus());
    expect(error).toMatchObject({ code: 'certificateUntrusted', requestSent: false, retryable: false });
    expect(requests(device)).toEqual([]);
  });

  it('insecure mode accepts any certificate and says so', async () => {
    const w = await start({ count: 1 });
    const device = w.fleet.devices[0]!;
    const client = w.client(device, { tls: { mode: 'insecure' } });
    expect(client.tlsMode).toBe('insecure');
    expect((await client.systemStatus()).serial).toBe(device.serial());
    await device.regenerateCertificate();
    expect((await client.licenseStatus()).status).toBe('vm_eval');
    expect(client.fingerprint).toBe(fingerprintOf(device));
  });
});

describe('plain HTTP', () => {
  it('is refused for a non-loopback address with one line naming the field', () => {
    const create = () => new FortiOsClient({ address: '10.0.1.4', protocol: 'http', apiKey: 'k'.repeat(30) });
    expect(create).toThrow(/^protocol: "http" is accepted only for loopback addresses/);
    expect(create).toThrow(/10\.0\.1\.4 needs "https"$/);
    expect(() => new FortiOsClient({ address: 'fd00::4', protocol: 'http', apiKey: 'k'.repeat(30) })).toThrow(
      /^protocol:/,
    );
  });

  it('works on loopback against an HTTP simulator, with no certificate to report', async () => {
    const w = await start({ count: 1, protocol: 'http' });
    const device = w.fleet.devices[0]!;
    expect(device.url).toMatch(/^http:\/\/127\.0\.11\.2:\d+$/);
    const client = w.client(device);
    expect(client.tlsMode).toBe('none');
    const entitlement = w.takePending();
    await client.downloadVmLicense(entitlement.token);
    await device.whenReachable();
    expect((await client.confirmLicensed(entitlement.serialNumber)).confirmed).toBe(true);
    expect(client.fingerprint).toBeUndefined();
  });

  it('reports HTTPS spoken to an HTTP server as a bad response, not as unreachable', async () => {
    const w = await start({ count: 1, protocol: 'http' });
    const error = await rejection(w.client(w.fleet.devices[0]!, { protocol: 'https' }).systemStatus());
    expect(error).toMatchObject({ code: 'badResponse', requestSent: false });
  });
});
