import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { ACCOUNT, connect, login, type Reply } from './helpers';

let sim: SimulatorHandle;
let api: (endpoint: string, body?: unknown) => Promise<Reply>;

beforeEach(async () => {
  sim = await startSimulator();
  api = await connect(sim);
});
afterEach(async () => sim.stop());

const bySerial = (serial: string) => sim.entitlements().find((e) => e.serialNumber === serial)!;
const serialOf = (description: string) =>
  sim.entitlements().find((e) => e.description === description)!.serialNumber;
const firstWith = (status: string) => sim.entitlements().find((e) => e.status === status)!.serialNumber;

describe('entitlement lifecycle', () => {
  it('stops an ACTIVE entitlement and reactivates it, with the envelope', async () => {
    const serial = serialOf('branch-berlin-01');
    const stopped = await api('entitlements/stop', { serialNumber: serial });
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({
      status: 0,
      message: 'Request processed successfully.',
      error: null,
    });
    expect(stopped.body.entitlements).toEqual([
      expect.objectContaining({ serialNumber: serial, status: 'STOPPED' }),
    ]);
    const active = await api('entitlements/reactivate', { serialNumber: serial });
    expect(active.body.entitlements[0].status).toBe('ACTIVE');
    expect(bySerial(serial).status).toBe('ACTIVE');
  });

  it.each([
    ['entitlements/stop', 'STOPPED'],
    ['entitlements/reactivate', 'ACTIVE'],
    ['entitlements/stop', 'PENDING'],
    ['entitlements/reactivate', 'PENDING'],
    ['entitlements/reactivate', 'EXPIRED'],
  ])('%s on a %s entitlement fails with "Unable to update" and changes nothing', async (endpoint, status) => {
    const serial = firstWith(status);
    const reply = await api(endpoint, { serialNumber: serial });
    expect(reply.status).toBe(400);
    expect(reply.body.status).toBe(-1);
    expect(reply.body.message).toBe('Unable to update VM from current status.');
    expect(reply.body.error.errorCode).toBe(409);
    expect(reply.body.error.message).toContain(`its status is ${status}`);
    expect(bySerial(serial).status).toBe(status);
  });

  it('reports unknown serial numbers as not found', async () => {
    const reply = await api('entitlements/stop', { serialNumber: 'FGVMMLTM99999999' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.errorCode).toBe(404);
    expect(reply.body.message).toMatch(/FGVMMLTM99999999 not found/);
  });

  it('creates VM entitlements with new serials and 20-hex tokens; useToken activates PENDING ones', async () => {
    const created = await api('entitlements/vm/create', {
      configId: '2200',
      count: 2,
      description: 'scale-out',
      folderPath: 'My Assets/pools/vmss-fgt',
    });
    expect(created.status).toBe(200);
    const [a, b] = created.body.entitlements;
    expect(a.serialNumber).toBe('FGVMMLTM26000001');
    expect(b.serialNumber).toBe('FGVMMLTM26000002');
    expect(a).toMatchObject({ status: 'PENDING', tokenStatus: 'NOTUSED', configId: 2200, accountId: 12345 });
    expect(a.token).toMatch(/^[0-9A-F]{20}$/);
    expect(a.startDate).toBe('2026-03-02T08:00:00.000');
    expect(a.endDate).toBe('2027-05-31T00:00:00');
    sim.useToken(a.serialNumber);
    expect(bySerial(a.serialNumber)).toMatchObject({ status: 'ACTIVE', tokenStatus: 'USED' });
    expect(() => sim.useToken(a.serialNumber)).toThrow(/already used/);

    const skip = await api('entitlements/vm/create', { configId: 2198, skipPending: true });
    expect(skip.body.entitlements[0].status).toBe('ACTIVE');
  });

  it('validates vm/create input: endDate range, folder, disabled config, count', async () => {
    const past = await api('entitlements/vm/create', { configId: 2198, endDate: '2026-03-01' });
    expect(past.body.message).toMatch(/endDate 2026-03-01 must be after today \(2026-03-02\)/);
    const late = await api('entitlements/vm/create', { configId: 2198, endDate: '2028-01-01T00:00:00' });
    expect(late.status).toBe(400);
    const ok = await api('entitlements/vm/create', { configId: 2198, endDate: '2026-12-31 00:00:00' });
    expect(ok.body.entitlements[0].endDate).toBe('2026-12-31T00:00:00');
    const folder = await api('entitlements/vm/create', { configId: 2198, folderPath: 'Elsewhere' });
    expect(folder.body.message).toMatch(/^folderPath:/);
    const count = await api('entitlements/vm/create', { configId: 2198, count: 0 });
    expect(count.body.message).toMatch(/^count:/);
    await api('configs/disable', { id: 2198 });
    const disabled = await api('entitlements/vm/create', { configId: 2198 });
    expect(disabled.body).toMatchObject({ status: -1, error: { errorCode: 422 } });
    expect(disabled.body.message).toMatch(/disabled/);
  });

  it('updates config and description for STOPPED ones, but endDate only for PENDING/ACTIVE', async () => {
    const serial = serialOf('branch-hamburg-01');
    const moved = await api('entitlements/update', {
      serialNumber: serial,
      configId: '2199',
      description: 'off-hours',
    });
    expect(moved.body.entitlements[0]).toMatchObject({
      configId: 2199,
      description: 'off-hours',
      status: 'STOPPED',
    });
    const endDate = await api('entitlements/update', {
      serialNumber: serial,
      configId: 2199,
      endDate: '2026-12-31',
    });
    expect(endDate.body.message).toBe('Unable to update VM from current status.');
    const active = serialOf('branch-berlin-01');
    const changed = await api('entitlements/update', {
      serialNumber: active,
      configId: 2198,
      endDate: '2026-12-31',
    });
    expect(changed.body.entitlements[0].endDate).toBe('2026-12-31T00:00:00');
    // null means "follow the program" again.
    const reset = await api('entitlements/update', { serialNumber: active, endDate: null });
    expect(reset.body.entitlements[0].endDate).toBe('2027-05-31T00:00:00');
  });

  it('numbers new serials after the highest existing one of the year, also across creates', async () => {
    const first = await api('entitlements/vm/create', { configId: 2198, count: 2 });
    const second = await api('entitlements/vm/create', { configId: 2198 });
    const serials = [...first.body.entitlements, ...second.body.entitlements].map(
      (e: { serialNumber: string }) => e.serialNumber,
    );
    expect(serials).toEqual(['FGVMMLTM26000001', 'FGVMMLTM26000002', 'FGVMMLTM26000003']);
  });

  it('regenerates tokens, and expires entitlements when their end date passes on the clock', async () => {
    const serial = sim
      .entitlements()
      .find((e) => e.configId === 2200 && e.status === 'STOPPED')!.serialNumber;
    const before = bySerial(serial).token;
    const reply = await api('entitlements/vm/token', { serialNumber: serial });
    expect(reply.body.entitlements[0].token).not.toBe(before);
    expect(reply.body.entitlements[0].tokenStatus).toBe('NOTUSED');

    const active = serialOf('branch-berlin-01');
    await api('entitlements/update', { serialNumber: active, configId: 2198, endDate: '2026-03-04' });
    sim.clock.set('2026-03-03T23:59:59');
    expect(bySerial(active).status).toBe('ACTIVE');
    sim.clock.advance(1000);
    expect(bySerial(active).status).toBe('EXPIRED');
  });

  it('lists by config or by account and program, with exact-match filters, and rejects an unscoped list', async () => {
    const byConfig = await api('entitlements/list', { configId: '2200' });
    expect(byConfig.body.entitlements).toHaveLength(14);
    const byAccount = await api('entitlements/list', {
      ...ACCOUNT,
      status: 'PENDING',
      tokenStatus: 'NOTUSED',
    });
    expect(byAccount.body.entitlements).toHaveLength(8);
    const one = await api('entitlements/list', { configId: 2198, description: 'branch-berlin-02' });
    expect(one.body.entitlements.map((e: { description: string }) => e.description)).toEqual([
      'branch-berlin-02',
    ]);
    const unscoped = await api('entitlements/list', { accountId: 12345 });
    expect(unscoped.status).toBe(400);
    expect(unscoped.body.message).toMatch(/either configId or \(accountId \+ programSerialNumber\)/);
  });

  it('creates hardware entitlements ACTIVE and allows one cloud entitlement per product per account', async () => {
    const hw = await api('configs/create', {
      ...ACCOUNT,
      name: 'hq-60f',
      productTypeId: 101,
      parameters: [
        { id: 27, value: 'FGT60F' },
        { id: 28, value: 'FGHWUTP' },
      ],
    });
    expect(hw.status).toBe(200);
    const devices = await api('entitlements/hardware/create', {
      configId: hw.body.configs.id,
      serialNumbers: ['FGT60FTK19000010', 'FGT60FTK19000013'],
    });
    expect(devices.body.entitlements).toEqual([
      expect.objectContaining({
        serialNumber: 'FGT60FTK19000010',
        status: 'ACTIVE',
        token: '',
        tokenStatus: '',
      }),
      expect.objectContaining({ serialNumber: 'FGT60FTK19000013', status: 'ACTIVE' }),
    ]);
    const ems = await api('configs/create', {
      ...ACCOUNT,
      name: 'ems',
      productTypeId: 204,
      parameters: [{ id: 37, value: 50 }],
    });
    const first = await api('entitlements/cloud/create', {
      configId: ems.body.configs.id,
      folderPath: 'My Assets/cloud',
    });
    expect(first.body.entitlements).toHaveLength(1);
    expect(first.body.entitlements[0].serialNumber).toMatch(/^FEMSPO8826\d{6}$/);
    const second = await api('entitlements/cloud/create', { configId: ems.body.configs.id });
    expect(second.body.error.errorCode).toBe(422);
    expect(second.body.message).toMatch(/only one per product/);
  });

  it('returns the first unused token for a folder or config, and counts tokens per folder', async () => {
    const next = await api('groups/nexttoken', { folderPath: 'My Assets/pools/vmss-fgt', configId: 2200 });
    expect(next.body.entitlements).toHaveLength(1);
    expect(next.body.entitlements[0]).toMatchObject({
      tokenStatus: 'NOTUSED',
      status: 'PENDING',
      configId: 2200,
    });
    const none = await api('groups/nexttoken', { folderPath: 'My Assets/lab' });
    expect(none.body.entitlements).toEqual([]);
    const onlyStopped = await api('groups/nexttoken', { accountId: 12345, status: ['STOPPED'] });
    expect(onlyStopped.body.entitlements).toEqual([]);
    const missing = await api('groups/nexttoken', {});
    expect(missing.status).toBe(400);

    const groups = await api('groups/list', { accountId: 12345 });
    expect(groups.body.groups).toContainEqual({
      folderPath: 'My Assets/pools/vmss-fgt',
      availableTokens: 8,
      usedTokens: 6,
      accountId: 12345,
    });
  });

  it('transfers entitlements to another account, copying the config when no target is given', async () => {
    const serial = serialOf('lab-dev-03');
    const reply = await api('entitlements/transfer', {
      sourceAccountId: 12345,
      sourceConfigId: 2199,
      targetAccountId: '67890',
      serialNumbers: [serial],
    });
    expect(reply.status).toBe(200);
    expect(reply.body.entitlements[0]).toMatchObject({ serialNumber: serial, accountId: 67890 });
    expect(reply.body.entitlements[0].configId).not.toBe(2199);
  });

  it('manages configurations: create, update keeps unsent ids, disable and enable, unique names', async () => {
    const created = await api('configs/create', {
      ...ACCOUNT,
      name: 'dmz-8cpu',
      productTypeId: '1',
      parameters: [
        { id: 1, value: 8 },
        { id: 2, value: 'ATP' },
        { id: 43, value: 'FGTAVDB' },
        { id: 43, value: 'FGTISSS' },
      ],
    });
    const config = created.body.configs;
    expect(config).toMatchObject({
      name: 'dmz-8cpu',
      status: 'ACTIVE',
      productType: { id: 1, name: 'FortiGate-VM' },
    });
    const updated = await api('configs/update', {
      id: String(config.id),
      parameters: [{ id: 1, value: '16' }],
    });
    const values = updated.body.configs.parameters.map(
      (p: { id: number; value: string }) => `${p.id}=${p.value}`,
    );
    expect(values).toEqual(['1=16', '2=ATP', '10=0', '43=FGTAVDB', '43=FGTISSS', '44=NONE', '45=NONE']);
    expect((await api('configs/disable', { id: config.id })).body.configs.status).toBe('DISABLED');
    expect((await api('configs/enable', { id: config.id })).body.configs.status).toBe('ACTIVE');
    const duplicate = await api('configs/create', {
      ...ACCOUNT,
      name: 'dmz-8cpu',
      productTypeId: 1,
      parameters: [
        { id: 1, value: 2 },
        { id: 2, value: 'FC' },
      ],
    });
    expect(duplicate.body.message).toMatch(/already exists/);
    const list = await api('configs/list', { programSerialNumber: ACCOUNT.programSerialNumber });
    expect(list.body.configs.map((c: { id: number }) => c.id)).toEqual([2198, 2199, 2200, config.id]);
  });

  it('reports the program and its points balance', async () => {
    const programs = await api('programs/list');
    expect(programs.body.programs).toEqual([
      {
        serialNumber: 'ELAVMR0000000519',
        accountId: 12345,
        startDate: '2025-06-01T00:00:00',
        endDate: '2027-05-31T00:00:00',
        hasSupportCoverage: true,
      },
    ]);
    const points = await api('programs/points', { programSerialNumber: 'ELAVMR0000000519' });
    expect(points.body.programs[0].pointBalance).toBe(50000 - sim.pointsCharged());
  });
});

describe('simulator lifecycle without a fresh world', () => {
  let shared: SimulatorHandle;
  beforeAll(async () => {
    shared = await startSimulator({ port: 0 });
  });
  afterAll(async () => shared.stop());

  it('answers unknown endpoints with 404 and non-POST methods with 405', async () => {
    const token = await login(shared);
    const unknown = await fetch(`${shared.apiUrl}entitlements/delete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(unknown.status).toBe(404);
    const get = await fetch(`${shared.apiUrl}programs/list`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    // An unknown path is 404 whatever the method, and needs no token.
    const unknownGet = await fetch(`${shared.apiUrl}no/such/thing`);
    expect(unknownGet.status).toBe(404);
    expect(((await unknownGet.json()) as { message: string }).message).toBe(
      'Unknown endpoint no/such/thing.',
    );
    const badJson = await fetch(`${shared.apiUrl}programs/list`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: '{',
    });
    expect(((await badJson.json()) as { message: string }).message).toBe('Invalid JSON in request body.');
  });
});
