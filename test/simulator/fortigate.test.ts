import * as https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator';
import {
  consecutiveAddresses,
  startFortiGate,
  startFortiGates,
  type FortiGateFleet,
  type FortiGateHandle,
} from '../../src/simulator/fortigate';

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function fleetOf(options: Parameters<typeof startFortiGates>[0]): Promise<FortiGateFleet> {
  const fleet = await startFortiGates(options);
  running.push(fleet);
  return fleet;
}

interface RawReply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One HTTPS request verified against the fleet CA, optionally from another source address. */
function raw(
  fleet: FortiGateFleet,
  device: FortiGateHandle,
  init: { method?: string; path: string; key?: string; body?: unknown; localAddress?: string },
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const req = https.request(
      {
        host: device.address,
        port: device.port,
        method: init.method ?? 'GET',
        path: init.path,
        ca: fleet.ca,
        localAddress: init.localAddress,
        agent: false,
        headers: {
          ...(init.key === undefined ? {} : { authorization: `Bearer ${init.key}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const STATUS = '/api/v2/monitor/system/status';
const DOWNLOAD = '/api/v2/monitor/system/vmlicense/download';

describe('FortiGate simulator fleet', () => {
  it('runs one device per consecutive loopback address on one port, each with its own serial and certificate', async () => {
    const fleet = await fleetOf({ count: 3, firstAddress: '127.0.13.2' });
    expect(fleet.devices.map((d) => d.address)).toEqual(['127.0.13.2', '127.0.13.3', '127.0.13.4']);
    expect(new Set(fleet.devices.map((d) => d.port))).toEqual(new Set([fleet.port]));
    expect(new Set(fleet.devices.map((d) => d.serial())).size).toBe(3);
    expect(new Set(fleet.devices.map((d) => d.certificate()!.fingerprint)).size).toBe(3);
    for (const device of fleet.devices) {
      const certificate = new X509Certificate(device.certificate()!.pem);
      expect(certificate.subjectAltName).toBe(`IP Address:${device.address}`);
      expect(certificate.checkIssued(new X509Certificate(fleet.ca!))).toBe(true);
      const reply = await raw(fleet, device, { path: STATUS, key: fleet.apiKey });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({
        status: 'success',
        http_status: 200,
        serial: device.serial(),
        version: 'v7.4.5',
      });
      expect(reply.body.results).toMatchObject({ model: 'FGVM64', hostname: device.serial() });
    }
    expect(fleet.byAddress('127.0.13.3')).toBe(fleet.devices[1]);
    expect(fleet.apiKey).toMatch(/^[0-9a-f]{30}$/);
  });

  it('refuses bad fleet and device options with one line naming the field', async () => {
    await expect(startFortiGates({ count: 0 })).rejects.toThrow(/^count: 0 is not valid/);
    await expect(startFortiGates({ count: 1, firstAddress: '10.0.0.4' })).rejects.toThrow(
      /^firstAddress: "10\.0\.0\.4"/,
    );
    expect(() => consecutiveAddresses('127.255.255.253', 3)).toThrow(/^firstAddress \(device 3 of 3\)/);
    await expect(startFortiGate({ address: '192.168.1.1', apiKey: 'k' })).rejects.toThrow(/^address:/);
    await expect(startFortiGate({ address: '127.0.13.90', apiKey: '' })).rejects.toThrow(/^apiKey:/);
    await expect(startFortiGate({ address: '127.0.13.90', apiKey: 'k', rebootMs: -1 })).rejects.toThrow(
      /^rebootMs:/,
    );
  });
});

describe('FortiOS API behaviour', () => {
  it('takes the API key only as a bearer header: ?access_token= is refused as on FortiOS 7.4.5+', async () => {
    const fleet = await fleetOf({ count: 1, firstAddress: '127.0.13.10' });
    const device = fleet.devices[0]!;
    expect((await raw(fleet, device, { path: `${STATUS}?access_token=${fleet.apiKey}` })).status).toBe(401);
    expect((await raw(fleet, device, { path: STATUS, key: fleet.apiKey })).status).toBe(200);
  });

  it('accepts the token as a query parameter too (the documented form) and records where it came from', async () => {
    const flex = await startSimulator();
    running.push(flex);
    const fleet = await fleetOf({ count: 1, firstAddress: '127.0.13.12', authority: flex, rebootMs: 100 });
    const device = fleet.devices[0]!;
    const entitlement = flex.entitlements().find((e) => e.status === 'PENDING')!;
    const evaluation = device.serial();
    const reply = await raw(fleet, device, {
      method: 'POST',
      path: `${DOWNLOAD}?token=${entitlement.token}`,
      key: fleet.apiKey,
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: 'success', http_status: 200, serial: evaluation });
    await device.whenReachable();
    expect(device.serial()).toBe(entitlement.serialNumber);
    const again = await raw(fleet, device, {
      method: 'POST',
      path: DOWNLOAD,
      key: fleet.apiKey,
      body: { token: entitlement.token },
    });
    expect(again.status).toBe(500);
    expect(again.body).toMatchObject({
      status: 'error',
      http_status: 500,
      cli_error: 'License Token is already used',
    });
    const downloads = device.log().filter((e) => e.kind === 'request' && e.path === DOWNLOAD);
    expect(downloads.map((e) => e.kind === 'request' && [e.status, e.outcome, e.tokenFrom])).toEqual([
      [200, 'accepted', 'query'],
      [500, 'alreadyUsed', 'body'],
    ]);
    expect(
      device
        .log()
        .filter((e) => e.kind === 'event')
        .map((e) => e.kind === 'event' && e.event),
    ).toEqual(['up', 'down', 'licensed', 'up']);
  });

  it('answers a download without FortiCare as a FortiOS error, and unknown paths and methods with 404 and 405', async () => {
    const fleet = await fleetOf({ count: 1, firstAddress: '127.0.13.14' });
    const device = fleet.devices[0]!;
    const key = fleet.apiKey;
    const offline = await raw(fleet, device, {
      method: 'POST',
      path: DOWNLOAD,
      key,
      body: { token: 'ABCDEF0123456789ABCD' },
    });
    expect(offline).toMatchObject({ status: 500, body: { cli_error: 'Failed to connect to FortiCare' } });
    expect((await raw(fleet, device, { method: 'POST', path: DOWNLOAD, key, body: {} })).status).toBe(400);
    expect((await raw(fleet, device, { path: '/api/v2/monitor/system/nothing', key })).status).toBe(404);
    expect((await raw(fleet, device, { method: 'POST', path: STATUS, key })).status).toBe(405);
    expect((await raw(fleet, device, { path: DOWNLOAD, key })).status).toBe(405);
  });

  it('locks out only the failing source address', async () => {
    const fleet = await fleetOf({
      count: 1,
      firstAddress: '127.0.13.16',
      lockout: { threshold: 2, durationMs: 60_000 },
    });
    const device = fleet.devices[0]!;
    for (let i = 0; i < 2; i += 1)
      expect((await raw(fleet, device, { path: STATUS, key: 'wrong' })).status).toBe(401);
    expect((await raw(fleet, device, { path: STATUS, key: fleet.apiKey })).status).toBe(429);
    const elsewhere = await raw(fleet, device, {
      path: STATUS,
      key: fleet.apiKey,
      localAddress: '127.0.13.200',
    });
    expect(elsewhere.status).toBe(200);
    const sources = device
      .log()
      .flatMap((e) => (e.kind === 'request' ? [[e.source, e.status, e.outcome]] : []));
    expect(sources).toEqual([
      ['127.0.0.1', 401, 'unauthorized'],
      ['127.0.0.1', 401, 'unauthorized'],
      ['127.0.0.1', 429, 'locked'],
      ['127.0.13.200', 200, undefined],
    ]);
  });

  it('a success resets the failure count', async () => {
    const fleet = await fleetOf({ count: 1, firstAddress: '127.0.13.18', lockout: { threshold: 2 } });
    const device = fleet.devices[0]!;
    expect((await raw(fleet, device, { path: STATUS, key: 'wrong' })).status).toBe(401);
    expect((await raw(fleet, device, { path: STATUS, key: fleet.apiKey })).status).toBe(200);
    expect((await raw(fleet, device, { path: STATUS, key: 'wrong' })).status).toBe(401);
    expect((await raw(fleet, device, { path: STATUS, key: fleet.apiKey })).status).toBe(200);
  });
});

describe('reachability', () => {
  it('follows a scheduled outage: refused during it, answering before and after', async () => {
    const fleet = await fleetOf({
      count: 1,
      firstAddress: '127.0.13.20',
      outages: [{ afterMs: 100, forMs: 200 }],
    });
    const device = fleet.devices[0]!;
    expect((await raw(fleet, device, { path: STATUS, key: fleet.apiKey })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(device.phase()).toBe('outage');
    await expect(raw(fleet, device, { path: STATUS, key: fleet.apiKey })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    await device.whenReachable();
    expect(device.phase()).toBe('running');
    expect((await raw(fleet, device, { path: STATUS, key: fleet.apiKey })).status).toBe(200);
  });

  it('reboots on demand keeping its licence, and cuts open connections', async () => {
    const fleet = await fleetOf({
      count: 1,
      firstAddress: '127.0.13.22',
      perDevice: () => ({ licensedSerial: 'FGVMMLTM25000101' }),
    });
    const device = fleet.devices[0]!;
    device.faults.add({ path: '/api/v2/monitor/system/status', fault: { kind: 'hang' } });
    const held = raw(fleet, device, { path: STATUS, key: fleet.apiKey });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const rebooting = device.reboot(100);
    await expect(held).rejects.toMatchObject({ code: 'ECONNRESET' });
    await rebooting;
    expect(device.phase()).toBe('rebooting');
    await device.whenReachable();
    expect(device.serial()).toBe('FGVMMLTM25000101');
  });

  it('refuses connections once stopped', async () => {
    const device = await startFortiGate({
      address: '127.0.13.24',
      apiKey: 'simulator-key',
      protocol: 'http',
    });
    await device.stop();
    expect(device.phase()).toBe('stopped');
    await expect(device.whenReachable()).rejects.toThrow(/stopped/);
    await expect(fetch(`${device.url}${STATUS}`)).rejects.toThrow();
  });
});
