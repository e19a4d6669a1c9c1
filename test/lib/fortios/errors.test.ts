import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FortiOsClient, FortiOsError, isFortiOsError } from '../../../src/lib/fortios';
import { startFortiGate, type FortiGateHandle } from '../../../src/simulator/fortigate';
import { rejection, startLicensingWorld, type LicensingWorld } from '../../support/fortigates';

let w: LicensingWorld;
let device: FortiGateHandle;
beforeAll(async () => {
  w = await startLicensingWorld({ count: 1, firstAddress: '127.0.12.2' });
  device = w.fleet.devices[0]!;
});
afterAll(async () => w.stop());

/** Everything an error could leak through: message, stack, every cause, every own property. */
function everythingIn(error: Error): string {
  const parts: string[] = [inspect(error, { depth: null, showHidden: true }), JSON.stringify(error)];
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    parts.push(current.message, current.stack ?? '');
  }
  return parts.join('\n');
}

function expectClean(error: Error, secrets: string[]): void {
  expect(isFortiOsError(error)).toBe(true);
  expect(error.message).not.toContain('\n');
  const text = everythingIn(error);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('HTTP statuses and bodies', () => {
  it.each([
    ['503 without a body', { kind: 'http', status: 503 }, 'serverError', 503],
    [
      '200 whose body says http_status 500',
      { kind: 'http', status: 200, body: { status: 'error', http_status: 500 } },
      'serverError',
      500,
    ],
    [
      '200 whose body says error without a status',
      { kind: 'http', status: 200, body: { status: 'error' } },
      'serverError',
      500,
    ],
    [
      '200 without "status": "success"',
      { kind: 'http', status: 200, body: { serial: 'FGVMEV0000000001' } },
      'badResponse',
      200,
    ],
    [
      '200 with a success envelope but no serial',
      { kind: 'http', status: 200, body: { status: 'success', version: 'v7.4.5' } },
      'badResponse',
      200,
    ],
    ['404 (an older FortiOS without the endpoint)', { kind: 'http', status: 404 }, 'badResponse', 404],
    [
      '403 in the body of a 200',
      { kind: 'http', status: 200, body: { status: 'error', http_status: 403 } },
      'forbidden',
      403,
    ],
    ['truncated JSON', { kind: 'malformed' }, 'badResponse', 200],
  ] as const)('maps %s to %s', async (_name, fault, code, httpStatus) => {
    device.faults.add({ path: 'system/status', fault });
    const error = await rejection(w.client(device).systemStatus());
    expect(error).toMatchObject({ code, httpStatus, requestSent: true });
  });

  it('maps a licence answer without results.vm to badResponse', async () => {
    device.faults.add({
      path: 'license/status',
      fault: { kind: 'http', status: 200, body: { status: 'success', results: {} } },
    });
    expect(await rejection(w.client(device).licenseStatus())).toMatchObject({ code: 'badResponse' });
  });

  it('tells a refused token from a server or FortiCare failure on the licence download', async () => {
    const token = w.takePending().token;
    device.faults.add({ path: 'system/vmlicense/download', fault: { kind: 'http', status: 500 } });
    expect(await rejection(w.client(device).downloadVmLicense(token))).toMatchObject({
      code: 'serverError',
      retryable: true,
    });
    const forticareDown = {
      status: 'error',
      http_status: 424,
      error: -5,
      cli_error: 'Failed to connect to FortiCare',
    };
    device.faults.add({
      path: 'system/vmlicense/download',
      fault: { kind: 'http', status: 424, body: forticareDown },
    });
    const dependency = await rejection(w.client(device).downloadVmLicense(token));
    expect(dependency).toMatchObject({ code: 'serverError', httpStatus: 424, retryable: true });
    expect(dependency.message).toContain('Failed to connect to FortiCare, error -5');
    const expired = { status: 'error', http_status: 500, cli_error: 'Token expired' };
    device.faults.add({
      path: 'system/vmlicense/download',
      fault: { kind: 'http', status: 500, body: expired },
    });
    expect(await rejection(w.client(device).downloadVmLicense(token))).toMatchObject({
      code: 'tokenRejected',
      retryable: false,
    });
    const bad = { status: 'error', http_status: 400 };
    device.faults.add({ path: 'system/vmlicense/download', fault: { kind: 'http', status: 400, body: bad } });
    expect(await rejection(w.client(device).downloadVmLicense(token))).toMatchObject({
      code: 'tokenRejected',
      httpStatus: 400,
    });
    // A simulated unit without FortiCare answers the same way: retryable, not a refused token.
    const alone = await startFortiGate({ address: '127.0.12.21', apiKey: 'simulator-key', protocol: 'http' });
    try {
      const client = new FortiOsClient({
        address: alone.address,
        port: alone.port,
        protocol: 'http',
        apiKey: 'simulator-key',
      });
      expect(await rejection(client.downloadVmLicense(token))).toMatchObject({
        code: 'serverError',
        httpStatus: 500,
      });
      expect(alone.phase()).toBe('running');
    } finally {
      await alone.stop();
    }
  });
});

describe('connections, timeouts and aborts', () => {
  it('reports a connection reset after sending as unreachable with requestSent (the call may have run)', async () => {
    device.faults.add({ path: 'system/status', fault: { kind: 'reset' } });
    const error = await rejection(w.client(device).systemStatus());
    expect(error).toMatchObject({ code: 'unreachable', requestSent: true, retryable: true });
  });

  it('gives up after the request budget on a FortiGate that never answers', async () => {
    device.faults.add({ path: 'system/status', fault: { kind: 'hang' } });
    const error = await rejection(w.client(device, { timeoutMs: 150 }).systemStatus());
    expect(error).toMatchObject({ code: 'unreachable', systemCode: 'ETIMEDOUT', requestSent: true });
    expect(error.message).toContain('no answer within 150 ms');
  });

  it('times out against a black-hole outage, per call', async () => {
    device.outage(250, 'blackhole');
    const error = await rejection(w.client(device).systemStatus({ timeoutMs: 100 }));
    expect(error).toMatchObject({ code: 'unreachable', systemCode: 'ETIMEDOUT' });
    await device.whenReachable();
    expect((await w.client(device).systemStatus()).serial).toBe(device.serial());
  });

  it('honours an abort signal, before the call and while it waits', async () => {
    const aborted = new AbortController();
    aborted.abort();
    expect(await rejection(w.client(device).systemStatus({ signal: aborted.signal }))).toMatchObject({
      code: 'aborted',
      requestSent: false,
    });
    device.faults.add({ path: 'system/status', fault: { kind: 'hang' } });
    const controller = new AbortController();
    const call = w.client(device).systemStatus({ signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await rejection(call)).toMatchObject({ code: 'aborted', retryable: false });
  });

  it('reports a closed port as unreachable with nothing sent', async () => {
    const client = new FortiOsClient({ address: '127.0.12.250', port: w.fleet.port, apiKey: w.fleet.apiKey });
    expect(await rejection(client.systemStatus())).toMatchObject({
      code: 'unreachable',
      systemCode: 'ECONNREFUSED',
      requestSent: false,
    });
  });
});

describe('secrets', () => {
  it('never puts the API key or the licence token in an error, its cause chain or its stack', async () => {
    const token = w.takePending().token;
    const apiKey = w.fleet.apiKey;
    const errors: Error[] = [];
    // FortiOS text that echoes both secrets must be redacted.
    device.faults.add({
      path: 'system/vmlicense/download',
      fault: {
        kind: 'http',
        status: 500,
        body: {
          status: 'error',
          http_status: 500,
          cli_error: `token ${token} rejected for Bearer ${apiKey}`,
        },
      },
    });
    const echoed = await rejection(w.client(device).downloadVmLicense(token));
    expect(echoed).toMatchObject({ code: 'tokenRejected' });
    expect(echoed.message).toContain('token [redacted] rejected for Bearer [redacted]');
    errors.push(echoed);
    device.faults.add({ path: 'system/vmlicense/download', fault: { kind: 'reset' } });
    errors.push(await rejection(w.client(device).downloadVmLicense(token)));
    device.faults.add({ path: 'system/vmlicense/download', fault: { kind: 'hang' } });
    errors.push(await rejection(w.client(device, { timeoutMs: 100 }).downloadVmLicense(token)));
    errors.push(await rejection(w.client(device, { apiKey: `${apiKey}x` }).downloadVmLicense(token)));
    errors.push(await rejection(w.client(device).downloadVmLicense(`${token}0`)));
    const other = await startLicensingWorld({ count: 1, firstAddress: '127.0.12.9' });
    try {
      const mismatch = other.client(other.fleet.devices[0]!, {
        apiKey,
        tls: { mode: 'tofu', fingerprint: device.certificate()!.fingerprint },
      });
      errors.push(await rejection(mismatch.downloadVmLicense(token)));
    } finally {
      await other.stop();
    }
    errors.push(
      await rejection(
        new FortiOsClient({ address: '127.0.12.251', apiKey, port: w.fleet.port }).downloadVmLicense(token),
      ),
    );
    expect(errors.map((e) => (e as FortiOsError).code)).toEqual([
      'tokenRejected',
      'unreachable',
      'unreachable',
      'unauthorized',
      'tokenRejected',
      'certificateMismatch',
      'unreachable',
    ]);
    expect(errors.filter((e) => e.cause !== undefined).length).toBeGreaterThan(0);
    for (const error of errors) expectClean(error, [token, apiKey]);
  });

  it('never logs the API key or a token on the FortiGate side, and the token is sent in the body only', async () => {
    const token = w.takePending().token;
    await rejection(w.client(device, { apiKey: 'wrong-key-for-the-log-0123' }).systemStatus());
    await w.client(device).downloadVmLicense(token);
    await device.whenReachable();
    const log = JSON.stringify(device.log());
    expect(log).not.toContain(token);
    expect(log).not.toContain(w.fleet.apiKey);
    expect(log).not.toContain('wrong-key-for-the-log-0123');
    const downloads = device
      .log()
      .filter((e) => e.kind === 'request' && e.path.endsWith('/vmlicense/download'));
    expect(downloads.at(-1)).toMatchObject({ status: 200, outcome: 'accepted', tokenFrom: 'body' });
  });

  it('rejects bad options in one line naming the field, without quoting the key or the token', async () => {
    const key = 'secret key with spaces';
    expect(() => new FortiOsClient({ address: '127.0.0.1', apiKey: key })).toThrow(/^apiKey: expected/);
    try {
      new FortiOsClient({ address: '127.0.0.1', apiKey: key });
    } catch (error) {
      expect((error as Error).message).not.toContain(key);
    }
    expect(() => new FortiOsClient({ address: 'fortigate.local', apiKey: 'k'.repeat(30) })).toThrow(
      /^address: "fortigate.local" is not an IP address/,
    );
    expect(() => new FortiOsClient({ address: '10.0.0.4', apiKey: 'k'.repeat(30), port: 70000 })).toThrow(
      /^port:/,
    );
    expect(() => new FortiOsClient({ address: '10.0.0.4', apiKey: 'k'.repeat(30), timeoutMs: 0 })).toThrow(
      /^timeoutMs:/,
    );
    expect(
      () =>
        new FortiOsClient({
          address: '10.0.0.4',
          apiKey: 'k'.repeat(30),
          tls: { mode: 'tofu', fingerprint: 'AB:CD' },
        }),
    ).toThrow(/^tls\.fingerprint: expected a SHA-256/);
    expect(
      () =>
        new FortiOsClient({ address: '10.0.0.4', apiKey: 'k'.repeat(30), tls: { mode: 'ca', ca: 'nope' } }),
    ).toThrow(/^tls\.ca:/);
    const client = new FortiOsClient({ address: '10.0.0.4', apiKey: 'k'.repeat(30) });
    expect([client.target, client.tlsMode]).toEqual(['10.0.0.4:443', 'tofu']);
    expect(new FortiOsClient({ address: 'fd00::4', apiKey: 'k'.repeat(30) }).target).toBe('[fd00::4]:443');
    const tokenWithSpace = 'ABCD EF0123456789';
    const error = await rejection(client.downloadVmLicense(tokenWithSpace));
    expect(error.message).toMatch(/^token: expected/);
    expect(error.message).not.toContain(tokenWithSpace);
    await expect(client.confirmLicensed(' ')).rejects.toThrow(/^expectedSerial:/);
  });
});
