import { describe, expect, it } from 'vitest';
import { FortiFlexClient, parameterValues } from '../../../src/lib/fortiflex';
import { API_URL, AUTH_URL, createFakeFetch, fixture, type Route } from './fake-fetch';

const credentials = { get: () => Promise.resolve({ username: 'api-user-0001', password: 'pw-secret-0001' }) };

function clientFor(routes: Record<string, Route | Route[]>) {
  const fake = createFakeFetch(routes);
  const client = new FortiFlexClient({
    apiUrl: API_URL,
    authUrl: AUTH_URL,
    credentials,
    fetch: fake.fetch,
    rateLimit: { perMinute: Infinity, perHour: Infinity },
    sleep: () => Promise.resolve(),
  });
  return { client, fake };
}

const reply = (name: string): Route => ({ body: fixture(name) });

describe('FortiFlexClient against recorded payloads', () => {
  it('lists programs after one password-grant login with client_id flexvm and a bearer header', async () => {
    const { client, fake } = clientFor({ 'programs/list': reply('programs-list') });
    await expect(client.listPrograms()).resolves.toEqual([
      {
        serialNumber: 'ELAVMR0000000101',
        accountId: 12345,
        startDate: '2020-05-16T00:00:00',
        endDate: '2021-05-15T00:00:00',
        hasSupportCoverage: true,
      },
    ]);
    expect(fake.calls.map((c) => c.path)).toEqual(['oauth/token', 'programs/list']);
    expect(fake.calls[0]!.body).toEqual({
      username: 'api-user-0001',
      password: 'pw-secret-0001',
      client_id: 'flexvm',
      grant_type: 'password',
    });
    expect(fake.calls[1]!.body).toEqual({});
    expect(fake.calls[1]!.headers.Authorization).toBe('Bearer 4K03OGxrxj6qDsi9q6rMjM4uEt8iC9');
    expect(client.stats()).toEqual({ calls: 2, logins: 1 });
  });

  it('reads the program points balance', async () => {
    const { client, fake } = clientFor({ 'programs/points': reply('programs-points') });
    await expect(client.getProgramPoints({ programSerialNumber: 'ELAVMR0000000101' })).resolves.toEqual({
      serialNumber: 'ELAVMR0000000101',
      pointBalance: 9876.5,
    });
    expect(fake.callsTo('programs/points')[0]!.body).toEqual({ programSerialNumber: 'ELAVMR0000000101' });
  });

  it('lists configs keeping repeated list parameters and reading NONE as an empty list', async () => {
    const { client, fake } = clientFor({ 'configs/list': reply('configs-list') });
    const query = { programSerialNumber: 'ELAVMR0000000251', accountId: 853130 };
    const [config] = await client.listConfigs(query);
    expect(fake.callsTo('configs/list')[0]!.body).toEqual(query);
    expect(config).toMatchObject({
      id: 717,
      name: 'DGG-2VCPU-ENT',
      status: 'ACTIVE',
      productType: { id: 1 },
    });
    expect(parameterValues(config!, 44)).toEqual(['FGTFAMS', 'FGTSOCA']);
    expect(parameterValues(config!, 43)).toEqual([]);
    expect(parameterValues(config!, 1)).toEqual(['2']);
  });

  it('creates a config from an object payload with ids and values given as strings and numbers', async () => {
    const { client, fake } = clientFor({ 'configs/create': reply('configs-create') });
    const config = await client.createConfig({
      programSerialNumber: 'ELAVMR0000000101',
      accountId: 1234567,
      name: 'Test Configuration',
      productTypeId: 1,
      parameters: [
        { id: 1, value: '4' },
        { id: 2, value: 'UTP' },
      ],
    });
    expect(config).toMatchObject({ id: 3224, accountId: 1234567, status: 'ACTIVE' });
    expect(config.parameters[0]).toEqual({ id: 1, name: 'CPU', value: '4' });
    expect(fake.callsTo('configs/create')[0]!.body).toMatchObject({
      name: 'Test Configuration',
      productTypeId: 1,
    });
  });

  it('updates, enables and disables configs', async () => {
    const { client, fake } = clientFor({
      'configs/update': reply('configs-create'),
      'configs/enable': reply('configs-create'),
      'configs/disable': reply('configs-disable'),
    });
    const parameters = [
      { id: 1, value: '4' },
      { id: 2, value: 'UTP' },
    ];
    await expect(client.updateConfig({ id: 3224, name: 'Renamed', parameters })).resolves.toMatchObject({
      id: 3224,
    });
    await expect(client.enableConfig(3224)).resolves.toMatchObject({ status: 'ACTIVE' });
    await expect(client.disableConfig(3224)).resolves.toMatchObject({ status: 'DISABLED' });
    expect(fake.callsTo('configs/update')[0]!.body).toEqual({ id: 3224, name: 'Renamed', parameters });
    expect(fake.callsTo('configs/disable')[0]!.body).toEqual({ id: 3224 });
  });

  it('lists entitlements in a config scope with filters, normalizing string ids', async () => {
    const { client, fake } = clientFor({ 'entitlements/list': reply('entitlements-list') });
    const list = await client.listEntitlements({ configId: 53713 }, { status: 'ACTIVE' });
    expect(fake.callsTo('entitlements/list')[0]!.body).toEqual({ configId: 53713, status: 'ACTIVE' });
    expect(list).toHaveLength(2);
    expect(list[1]).toEqual({
      serialNumber: 'FGVMMLTM22004497',
      description: 'branch-01',
      configId: 53713,
      accountId: 2322674,
      startDate: '2023-12-19T06:52:10.267',
      endDate: '2027-05-29T00:00:00',
      status: 'ACTIVE',
      token: '0A1B2C3D4E5F60718293',
      tokenStatus: 'USED',
    });
  });

  it('creates VM entitlements after reading the config baseline', async () => {
    const { client, fake } = clientFor({
      'entitlements/list': reply('entitlements-list'),
      'entitlements/vm/create': reply('entitlements-vm-create'),
    });
    const query = {
      configId: 3476,
      count: 1,
      description: 'VM Entitlements',
      endDate: null,
      folderPath: 'My Assets/vm_entitlements',
      skipPending: false,
    };
    const created = await client.createVmEntitlements(query);
    expect(created.map((e) => e.serialNumber)).toEqual(['FGVMMLTM26000263']);
    expect(fake.calls.map((c) => c.path)).toEqual([
      'oauth/token',
      'entitlements/list',
      'entitlements/vm/create',
    ]);
    expect(fake.callsTo('entitlements/vm/create')[0]!.body).toEqual(query);
  });

  it('creates hardware entitlements with null token fields read as empty strings', async () => {
    const { client, fake } = clientFor({
      'entitlements/hardware/create': reply('entitlements-hardware-create'),
    });
    const created = await client.createHardwareEntitlements({
      configId: 22,
      serialNumbers: ['FGT60FTK19000010', 'FGT60FTK19000013'],
      endDate: '2026-10-11 00:00:00',
    });
    expect(created.map((e) => [e.serialNumber, e.token, e.tokenStatus, e.description])).toEqual([
      ['FGT60FTK19000010', '', '', ''],
      ['FGT60FTK19000013', '', '', ''],
    ]);
    expect(fake.callsTo('entitlements/hardware/create')[0]!.body.serialNumbers).toHaveLength(2);
  });

  it('creates a cloud entitlement', async () => {
    const { client } = clientFor({
      'entitlements/list': { body: { status: 0, message: 'ok', entitlements: [] } },
      'entitlements/cloud/create': reply('entitlements-cloud-create'),
    });
    const created = await client.createCloudEntitlement({
      configId: 19156,
      endDate: null,
      folderPath: 'My Assets/cloud',
    });
    expect(created[0]).toMatchObject({ serialNumber: 'FWBCLE0000000357', status: 'ACTIVE' });
  });

  it('updates an entitlement sending the target config', async () => {
    const { client, fake } = clientFor({ 'entitlements/update': reply('entitlements-update') });
    const query = {
      serialNumber: 'FGVMMLTM21006013',
      configId: 584,
      description: 'VM02 UTP',
      endDate: '2024-12-31',
    };
    const updated = await client.updateEntitlement(query);
    expect(updated).toMatchObject({ description: 'VM02 UTP', configId: 584 });
    expect(fake.callsTo('entitlements/update')[0]!.body).toEqual(query);
  });

  it('stops an entitlement whose reply uses the legacy vms key', async () => {
    const { client, fake } = clientFor({ 'entitlements/stop': reply('entitlements-stop-legacy-vms') });
    await expect(client.stopEntitlement({ serialNumber: 'FGVMMLTM22004497' })).resolves.toMatchObject({
      status: 'STOPPED',
    });
    expect(fake.callsTo('entitlements/stop')[0]!.body).toEqual({ serialNumber: 'FGVMMLTM22004497' });
  });

  it('reactivates an entitlement and regenerates its token', async () => {
    const { client } = clientFor({
      'entitlements/reactivate': reply('entitlements-reactivate'),
      'entitlements/vm/token': reply('entitlements-vm-token'),
    });
    await expect(client.reactivateEntitlement({ serialNumber: 'FGVMMLTM22004497' })).resolves.toMatchObject({
      status: 'ACTIVE',
    });
    await expect(client.regenerateToken({ serialNumber: 'FGVMMLTM22004497' })).resolves.toMatchObject({
      token: '99AAE0ADA1B577453E31',
      tokenStatus: 'NOTUSED',
    });
  });

  it('reads entitlement points totals', async () => {
    const { client, fake } = clientFor({ 'entitlements/points': reply('entitlements-points') });
    const query = {
      programSerialNumber: 'ELAVMR0000000241',
      accountId: 1127201,
      startDate: '1900-01-01',
      endDate: '2025-08-12',
    };
    const points = await client.getEntitlementPoints(query);
    expect(points).toEqual([{ serialNumber: 'FGVMELTM22000197', accountId: 1127201, points: 559.52 }]);
    expect(fake.callsTo('entitlements/points')[0]!.body).toEqual(query);
  });

  it('transfers entitlements', async () => {
    const { client, fake } = clientFor({ 'entitlements/transfer': reply('entitlements-transfer') });
    const moved = await client.transferEntitlements({
      sourceAccountId: 7777777,
      sourceConfigId: 333,
      targetAccountId: 8888888,
      targetConfigId: 999,
      serialNumbers: ['FGVMELTM55500016'],
    });
    expect(moved[0]).toMatchObject({ accountId: 8888888, configId: 999 });
    expect(fake.callsTo('entitlements/transfer')[0]!.body).toEqual({
      sourceAccountId: 7777777,
      sourceConfigId: 333,
      targetAccountId: 8888888,
      targetConfigId: 999,
      serialNumbers: ['FGVMELTM55500016'],
    });
  });

  it('sends groups/list without an account to the v1 path, as the vendor tools do', async () => {
    const v1 = 'https://flex.test/ES/api/flexvm/v1/groups/list';
    const { client, fake } = clientFor({ [v1]: reply('groups-list') });
    await expect(client.listGroups()).resolves.toHaveLength(1);
    expect(fake.calls.map((c) => c.path)).toEqual(['oauth/token', v1]);
    expect(fake.callsTo(v1)[0]!.body).toEqual({});
  });

  it('fails programs/points when the reply carries no recognisable balance', async () => {
    const { client } = clientFor({
      'programs/points': { body: { status: 0, message: 'ok', programs: [{ serialNumber: 'ELAVMR1' }] } },
    });
    await expect(client.getProgramPoints({ programSerialNumber: 'ELAVMR1' })).rejects.toThrow(
      /^programs\/points ELAVMR1: reply carries no recognisable points balance .*not documented by Fortinet$/,
    );
  });

  it('lists groups and reads a next token returned as a bare object', async () => {
    const { client, fake } = clientFor({
      'groups/list': reply('groups-list'),
      'groups/nexttoken': reply('groups-nexttoken-object'),
    });
    await expect(client.listGroups({ accountId: 12345 })).resolves.toEqual([
      { folderPath: 'My Assets/Department A/Group 1', availableTokens: 5, usedTokens: 22, accountId: 12345 },
    ]);
    const next = await client.nextToken({
      accountId: 12345,
      folderPath: 'My Assets/Department A/FortiFlex Group 1',
      configId: 12,
      status: ['ACTIVE', 'PENDING'],
    });
    expect(next).toMatchObject({ serialNumber: 'FGVMMLTM26000262', token: 'EF0AAE0ADA1B577453E3' });
    expect(fake.callsTo('groups/nexttoken')[0]!.body.status).toEqual(['ACTIVE', 'PENDING']);
  });

  it('returns null from nextToken when no entitlement is available', async () => {
    const { client } = clientFor({
      'groups/nexttoken': { body: { status: 0, message: 'ok', entitlements: [] } },
    });
    await expect(client.nextToken({ configId: 12 })).resolves.toBeNull();
  });

  it('estimates points from the configs key and from the newer points key', async () => {
    const { client } = clientFor({
      'tools/calc': [
        reply('tools-calc'),
        {
          body: {
            status: 0,
            message: 'ok',
            points: [{ current: '6.39', latest: 7, latestEffectiveDate: '2026-07-01' }],
          },
        },
      ],
    });
    const q = {
      programSerialNumber: 'ELAVMR0000000123',
      productTypeId: 1,
      count: 3,
      parameters: [{ id: 1, value: '4' }],
    };
    await expect(client.calculatePoints(q)).resolves.toEqual({
      current: 13.1,
      latest: null,
      latestEffectiveDate: null,
    });
    await expect(client.calculatePoints(q)).resolves.toEqual({
      current: 6.39,
      latest: 7,
      latestEffectiveDate: '2026-07-01',
    });
  });

  it('sends tools/calc a count of 1 when none is given, as every Fortinet source does', async () => {
    const { client, fake } = clientFor({ 'tools/calc': reply('tools-calc') });
    await client.calculatePoints({ programSerialNumber: 'ELAVMR1', productTypeId: 1, parameters: [] });
    expect(fake.callsTo('tools/calc')[0]!.body).toEqual({
      programSerialNumber: 'ELAVMR1',
      productTypeId: 1,
      parameters: [],
      count: 1,
    });
  });
});
