import { Command } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { createApiRegistrar, type ApiClient } from '../../src/cli/commands/api';
import { bufferIo, UsageError } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { stubSimulatorEnv } from '../support/cli';

const PROGRAM = 'ELAVMR0000000519';
let sim: SimulatorHandle;

async function cli(...args: string[]) {
  const io = bufferIo();
  const code = await main(['node', 'fortiflex-scaler', ...args], io);
  return { code, out: io.out, err: io.err };
}

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await sim.stop();
});
beforeEach(() => {
  sim.faults.clear();
  stubSimulatorEnv(sim);
});

describe('API commands against the simulator', () => {
  it('prints programs as JSON with v2 key names', async () => {
    const { code, out, err } = await cli('programs', 'list', '--json');
    expect(err).toBe('');
    expect(code).toBe(0);
    const programs = JSON.parse(out) as Array<Record<string, unknown>>;
    expect(programs[0]).toMatchObject({ serialNumber: PROGRAM, accountId: 12345 });
  });

  it('prints entitlements as a table by default', async () => {
    const { code, out } = await cli('entitlements', 'list', '--config-id', '2198', '--status', 'ACTIVE');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^serialNumber\s+status\s+configId/);
    expect(lines.length - 2).toBe(
      sim.entitlements().filter((e) => e.configId === 2198 && e.status === 'ACTIVE').length,
    );
  });

  it('stops and reactivates an entitlement, confirming "already" states through the scope', async () => {
    const target = sim.entitlements().find((e) => e.configId === 2198 && e.status === 'ACTIVE')!;
    const stop = await cli('entitlements', 'stop', '--serial', target.serialNumber, '--json');
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.out)).toMatchObject({ serialNumber: target.serialNumber, status: 'STOPPED' });
    const again = await cli(
      'entitlements',
      'stop',
      '--serial',
      target.serialNumber,
      '--config-id',
      '2198',
      '--json',
    );
    expect(again.code).toBe(0);
    const unconfirmed = await cli('entitlements', 'stop', '--serial', target.serialNumber);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.err).toMatch(
      new RegExp(`^fortiflex-scaler: entitlements/stop ${target.serialNumber}: .+\\n$`),
    );
    expect((await cli('entitlements', 'reactivate', '--serial', target.serialNumber)).code).toBe(0);
  });

  it('creates configs and entitlements, and computes points with repeated --param', async () => {
    const name = `cli-${Date.now()}`;
    const created = await cli(
      'configs',
      'create',
      '--program',
      PROGRAM,
      '--account-id',
      '12345',
      '--name',
      name,
      '--product-type',
      '1',
      '--param',
      '1=2',
      '--param',
      '2=ENT',
      '--param',
      '44=FGTFAMS',
      '--param',
      '44=FGTSOCA',
      '--json',
    );
    expect(created.err).toBe('');
    const config = JSON.parse(created.out) as {
      id: number;
      parameters: Array<{ id: number; value: string }>;
    };
    expect(config.parameters.filter((p) => p.id === 44).map((p) => p.value)).toEqual(['FGTFAMS', 'FGTSOCA']);
    const vms = await cli(
      'entitlements',
      'create',
      '--config-id',
      String(config.id),
      '--count',
      '2',
      '--description',
      name,
      '--json',
    );
    expect(vms.code).toBe(0);
    expect(JSON.parse(vms.out)).toHaveLength(2);
    const calc = await cli(
      'tools',
      'calc',
      '--program',
      PROGRAM,
      '--product-type',
      '1',
      '--param',
      '1=2',
      '--param',
      '2=ENT',
    );
    expect(calc.code).toBe(0);
    expect(calc.out).toMatch(/^current\s+latest\s+latestEffectiveDate\n/);
    expect((await cli('configs', 'disable', '--id', String(config.id))).out).toMatch(/DISABLED/);
  });

  it('reports points and groups', async () => {
    const points = await cli(
      'entitlements',
      'points',
      '--program',
      PROGRAM,
      '--account-id',
      '12345',
      '--from',
      '2026-03-01',
      '--to',
      '2026-03-02',
      '--json',
    );
    expect(points.code).toBe(0);
    expect(Array.isArray(JSON.parse(points.out))).toBe(true);
    const groups = await cli('groups', 'list', '--account-id', '12345');
    expect(groups.out).toMatch(/^folderPath\s+availableTokens\s+usedTokens\s+accountId\n/);
    const next = await cli('groups', 'next-token', '--config-id', '2200', '--status', 'PENDING', '--json');
    expect(JSON.parse(next.out)).toMatchObject({ tokenStatus: 'NOTUSED' });
  });

  it('lists groups without an account through the v1 path', async () => {
    sim.resetStats();
    const { code, out } = await cli('groups', 'list', '--json');
    expect(code).toBe(0);
    expect((JSON.parse(out) as unknown[]).length).toBeGreaterThan(0);
    expect(sim.stats().requests['flexvm/v1/groups/list']).toBe(1);
    expect(sim.stats().requests['groups/list']).toBeUndefined();
  });

  it('reports points by config, by account and serial, with ISO date-times as Pacific days', async () => {
    const serial = sim.entitlements().find((e) => e.configId === 2198 && e.status === 'ACTIVE')!;
    const byConfig = await cli(
      'entitlements',
      'points',
      '--config-id',
      '2198',
      '--from',
      '2026-03-02T00:00:00-08:00',
      '--to',
      '2026-03-02',
      '--json',
    );
    expect(byConfig.err).toBe('');
    const all = JSON.parse(byConfig.out) as Array<{ serialNumber: string }>;
    expect(all.map((p) => p.serialNumber)).toContain(serial.serialNumber);
    const bySerial = await cli(
      'entitlements',
      'points',
      '--account-id',
      '12345',
      '--serial',
      serial.serialNumber,
      '--from',
      '2026-03-02',
      '--to',
      '2026-03-03T07:59:59Z', // still 2026-03-02 in Pacific time
      '--json',
    );
    expect(bySerial.err).toBe('');
    expect(JSON.parse(bySerial.out)).toEqual([
      expect.objectContaining({ serialNumber: serial.serialNumber, accountId: 12345 }),
    ]);
  });

  it('shares one FortiFlex session between CLI runs when AzureWebJobsStorage is set', async () => {
    sim.resetStats();
    vi.stubEnv('AzureWebJobsStorage', inject('azuriteConnectionString'));
    for (let run = 0; run < 3; run += 1) expect((await cli('programs', 'list')).code).toBe(0);
    expect(sim.stats().logins).toBe(1);
    vi.stubEnv('AzureWebJobsStorage', '');
    for (let run = 0; run < 2; run += 1) expect((await cli('programs', 'list')).code).toBe(0);
    expect(sim.stats().logins).toBe(3); // without storage, each run logs in on its own
  });

  it('exits 2 naming the setting when AzureWebJobsStorage is not a connection string', async () => {
    vi.stubEnv('AzureWebJobsStorage', 'not-a-connection-string');
    const { code, err } = await cli('programs', 'list');
    expect(code).toBe(2);
    expect(err).toMatch(/^fortiflex-scaler: AzureWebJobsStorage: expected a storage connection string/);
    vi.stubEnv('AzureWebJobsStorage', '');
  });

  it('exits 1 with a one-line message for an API error and never prints the password', async () => {
    vi.stubEnv('FORTIFLEX_ACCESS_PASSWORD', 'not-the-password-42');
    const { code, err, out } = await cli('programs', 'list');
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err.split('\n')).toHaveLength(2);
    expect(err).toMatch(/credentials rejected/);
    expect(err).not.toContain('not-the-password-42');
  });
});

describe('API command usage errors', () => {
  it.each([
    [
      ['configs', 'create', '--program', PROGRAM, '--name', 'x', '--product-type', '1', '--param', 'CPU=2'],
      /--param: "CPU=2" is not valid; expected ID=VALUE/,
    ],
    [['entitlements', 'list'], /scope: give --config-id N, or both --account-id N and --program SN/],
    [['entitlements', 'list', '--account-id', '1'], /scope: give --config-id N/],
    [
      [
        'entitlements',
        'points',
        '--program',
        PROGRAM,
        '--account-id',
        '1',
        '--from',
        '2026-3-1',
        '--to',
        '2026-03-02',
      ],
      /--from: "2026-3-1" is not a date; expected YYYY-MM-DD/,
    ],
    [
      [
        'entitlements',
        'points',
        '--program',
        PROGRAM,
        '--account-id',
        '1',
        '--from',
        '2026-02-01',
        '--to',
        '2026-02-30',
      ],
      /--to: "2026-02-30" is not a date; expected YYYY-MM-DD/,
    ],
    [['entitlements', 'create', '--config-id', 'abc'], /--config-id: "abc" is not a valid number/],
    [
      ['entitlements', 'create', '--config-id', '1', '--end-date', 'tomorrow'],
      /--end-date: "tomorrow" is not valid/,
    ],
    [['entitlements', 'update', '--serial', 'FGVM1'], /--config-id: required/],
    [['groups', 'next-token'], /give at least one of --folder/],
    [['configs', 'update', '--id', '3'], /nothing to change/],
    [
      ['entitlements', 'transfer', '--source-account-id', '1', '--source-config-id', '2'],
      /--target-account-id/,
    ],
    [
      [
        'entitlements',
        'transfer',
        '--source-account-id',
        '1',
        '--source-config-id',
        '2',
        '--target-account-id',
        '3',
        '--serial',
        'FGVM1',
      ],
      /--target-config-id/,
    ],
    [
      [
        'entitlements',
        'transfer',
        '--source-account-id',
        '1',
        '--source-config-id',
        '2',
        '--target-account-id',
        '3',
        '--target-config-id',
        '4',
      ],
      /--serial: required; repeat it for each serial number to move/,
    ],
    [
      ['entitlements', 'points', '--account-id', '1', '--from', '2026-03-01', '--to', '2026-03-02'],
      /scope: give --config-id N, --account-id N with --serial SN, or --account-id N with --program SN/,
    ],
    [
      ['entitlements', 'points', '--config-id', '1', '--from', '2026-03-01T25:00', '--to', '2026-03-02'],
      /--from: "2026-03-01T25:00" is not a date/,
    ],
    [
      ['entitlements', 'create', '--config-id', '1', '--end-date', '2026-12-31+02:00'],
      /--end-date: "2026-12-31\+02:00" is not valid/,
    ],
  ])('exits 2 for %j', async (args, message) => {
    const { code, err } = await cli(...args);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err.trimEnd().split('\n')).toHaveLength(1);
  });

  it('describes every API command and option lowercase-first', () => {
    const program = new Command('t');
    createApiRegistrar({ createClient: () => Promise.reject(new Error('unused')) })(program, bufferIo());
    const texts: string[] = [];
    const walk = (command: Command): void => {
      texts.push(command.description(), ...command.options.map((option) => option.description));
      command.commands.forEach(walk);
    };
    program.commands.forEach(walk);
    expect(texts.length).toBeGreaterThan(80);
    expect(texts.filter((text) => !/^[a-z"(]/.test(text))).toEqual([]);
  });

  it('exits 2 when a required option is missing', async () => {
    const { code, err } = await cli('entitlements', 'stop');
    expect(code).toBe(2);
    expect(err).toMatch(/--serial/);
  });

  it('validates options before creating a client', async () => {
    const createClient = vi.fn(() => Promise.reject(new Error('must not be called')));
    const program = new Command('t').exitOverride();
    createApiRegistrar({ createClient })(program, bufferIo());
    await expect(
      program.parseAsync(['node', 't', 'tools', 'calc', '--program', PROGRAM, '--product-type', '1'], {
        from: 'node',
      }),
    ).rejects.toBeInstanceOf(UsageError);
    expect(createClient).not.toHaveBeenCalled();
  });

  /** Runs `args` against an injected client; resolves to the client's calls. */
  async function injected(client: Partial<ApiClient>, args: string[]) {
    const program = new Command('t').exitOverride();
    const io = bufferIo();
    createApiRegistrar({ createClient: () => Promise.resolve(client as ApiClient) })(program, io);
    await program.parseAsync(['node', 't', ...args, '--json'], { from: 'node' });
    return io;
  }

  it('sends the current parameters (read-only ones dropped) when configs update only renames', async () => {
    const config = {
      id: 9,
      name: 'old',
      programSerialNumber: 'ELAVMR2',
      accountId: 1,
      status: 'ACTIVE',
      productType: { id: 1, name: 'FortiGate-VM' },
      parameters: [
        { id: 1, name: 'CPU', value: '2' },
        { id: 44, name: 'SERVICEPACK', value: 'FGTFAMS' },
        { id: 44, name: 'SERVICEPACK', value: 'FGTSOCA' },
        { id: 47, name: 'ENDPOINTS', value: '0' },
      ],
    };
    const listConfigs = vi.fn<ApiClient['listConfigs']>((q) =>
      Promise.resolve(q.programSerialNumber === 'ELAVMR2' ? [config] : []),
    );
    const updateConfig = vi.fn<ApiClient['updateConfig']>(() => Promise.resolve(config));
    const listPrograms = vi.fn<ApiClient['listPrograms']>(() =>
      Promise.resolve(['ELAVMR1', 'ELAVMR2'].map((serialNumber) => ({ serialNumber }) as never)),
    );
    await injected({ listConfigs, updateConfig, listPrograms }, [
      'configs',
      'update',
      '--id',
      '9',
      '--name',
      'new',
    ]);
    expect(updateConfig).toHaveBeenCalledWith({
      id: 9,
      name: 'new',
      parameters: [
        { id: 1, value: '2' },
        { id: 44, value: 'FGTFAMS' },
        { id: 44, value: 'FGTSOCA' },
      ],
    });
    expect(listConfigs.mock.calls.map(([q]) => q.programSerialNumber)).toEqual(['ELAVMR1', 'ELAVMR2']);
  });

  it('sends all five transfer keys and normalises ISO dates with zone designators', async () => {
    const transferEntitlements = vi.fn<ApiClient['transferEntitlements']>(() => Promise.resolve([]));
    await injected({ transferEntitlements }, [
      'entitlements',
      'transfer',
      '--source-account-id',
      '1',
      '--source-config-id',
      '2',
      '--target-account-id',
      '3',
      '--target-config-id',
      '4',
      '--serial',
      'FGVM1',
    ]);
    expect(transferEntitlements).toHaveBeenCalledWith({
      sourceAccountId: 1,
      sourceConfigId: 2,
      targetAccountId: 3,
      targetConfigId: 4,
      serialNumbers: ['FGVM1'],
    });
    const createVmEntitlements = vi.fn<ApiClient['createVmEntitlements']>(() => Promise.resolve([]));
    await injected({ createVmEntitlements }, [
      'entitlements',
      'create',
      '--config-id',
      '7',
      '--end-date',
      '2026-12-31T08:00:00Z',
    ]);
    expect(createVmEntitlements).toHaveBeenCalledWith({ configId: 7, endDate: '2026-12-31T00:00:00' });
    const getEntitlementPoints = vi.fn<ApiClient['getEntitlementPoints']>(() => Promise.resolve([]));
    await injected({ getEntitlementPoints }, [
      'entitlements',
      'points',
      '--account-id',
      '5',
      '--serial',
      'FGVM1',
      '--from',
      '2026-03-01T09:00:00+01:00',
      '--to',
      '2026-03-31T23:30',
    ]);
    expect(getEntitlementPoints).toHaveBeenCalledWith({
      accountId: 5,
      serialNumber: 'FGVM1',
      startDate: '2026-03-01',
      endDate: '2026-03-31',
    });
  });

  it('passes parsed options to the injected client', async () => {
    const createVmEntitlements = vi.fn<ApiClient['createVmEntitlements']>(() => Promise.resolve([]));
    const program = new Command('t').exitOverride();
    const io = bufferIo();
    createApiRegistrar({
      createClient: () => Promise.resolve({ createVmEntitlements } as unknown as ApiClient),
    })(program, io);
    await program.parseAsync(
      [
        'node',
        't',
        'entitlements',
        'create',
        '--config-id',
        '7',
        '--count',
        '3',
        '--folder',
        'My Assets/x',
        '--end-date',
        'program',
        '--skip-pending',
        '--json',
      ],
      { from: 'node' },
    );
    expect(createVmEntitlements).toHaveBeenCalledWith({
      configId: 7,
      count: 3,
      folderPath: 'My Assets/x',
      endDate: null,
      skipPending: true,
    });
    expect(io.out).toBe('[]\n');
  });
});
