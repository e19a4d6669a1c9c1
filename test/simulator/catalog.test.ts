import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedRate, startSimulator, type SimulatorHandle } from '../../src/simulator';
import { ACCOUNT, connect, type Reply } from './helpers';

let sim: SimulatorHandle;
let api: (endpoint: string, body?: unknown) => Promise<Reply>;
beforeAll(async () => {
  sim = await startSimulator();
  api = await connect(sim);
});
afterAll(async () => sim.stop());

const create = (
  productTypeId: number,
  parameters: { id: number; value: string | number }[],
  name = `c-${Math.random()}`,
) => api('configs/create', { ...ACCOUNT, name, productTypeId, parameters });

describe('configuration parameter validation', () => {
  it.each([
    [
      1,
      [
        { id: 1, value: 97 },
        { id: 2, value: 'ENT' },
      ],
      'Parameter id 1: invalid value "97". Valid values: number between 1 and 96 (inclusive).',
    ],
    [
      1,
      [
        { id: 1, value: 2 },
        { id: 2, value: 'GOLD' },
      ],
      'Parameter id 2: invalid value "GOLD". Valid values: FC, UTP, ENT, ATP.',
    ],
    [1, [{ id: 1, value: 2 }], 'Parameter id 2 is required for product type 1 (FortiGate-VM).'],
    [
      1,
      [
        { id: 1, value: 2 },
        { id: 2, value: 'FC' },
        { id: 10, value: 501 },
      ],
      'Parameter id 10: invalid value "501". Valid values: number between 0 and 500 (inclusive).',
    ],
    [
      1,
      [
        { id: 1, value: 2 },
        { id: 2, value: 'FC' },
        { id: 43, value: 'NONE' },
        { id: 43, value: 'FGTAVDB' },
      ],
      'Parameter id 43: "NONE" cannot be combined with other values.',
    ],
    [
      1,
      [
        { id: 1, value: 2 },
        { id: 2, value: 'FC' },
        { id: 6, value: 2 },
      ],
      'Parameter id 6 is not valid for product type 1 (FortiGate-VM).',
    ],
    [
      4,
      [
        { id: 6, value: 2 },
        { id: 8, value: 'FC247' },
        { id: 7, value: 'FURL' },
      ],
      'Parameter id 7: invalid value "FURL". Valid values: IPS, AVDB, FURLDNS, FGSA, ISSS, DLDB, FAIS.',
    ],
    [4, [{ id: 6, value: 2 }], 'Parameter id 8 is required for product type 4 (FortiGate-VM).'],
    [
      2,
      [
        { id: 30, value: 0 },
        { id: 9, value: 1 },
      ],
      'Parameter id 30: invalid value "0". Valid values: number between 1 and 100000 (inclusive).',
    ],
    [
      2,
      [
        { id: 3, value: 10 },
        { id: 9, value: 1 },
      ],
      'Parameter id 3 is deprecated; use Parameter id 30.',
    ],
    [
      2,
      [
        { id: 30, value: 10 },
        { id: 9, value: 'x' },
      ],
      'Parameter id 9: invalid value "x". Valid values: number between 0 and 100000 (inclusive).',
    ],
    [
      206,
      [
        { id: 46, value: 'FEDRPDR' },
        { id: 47, value: 10 },
      ],
      'Parameter id 47 is read-only and cannot be set.',
    ],
    [
      204,
      [{ id: 37, value: 30 }],
      'Parameter id 37: invalid value "30". Valid values: 0 or number between 25 and 25000 (inclusive), divisible by 25.',
    ],
  ])('product %i rejects %j', async (productTypeId, parameters, message) => {
    const reply = await create(productTypeId, parameters);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ status: -1, message, error: { errorCode: 400, message } });
  });

  it('stores list parameters as repeated ids, fills defaults and "NONE", and names parameters', async () => {
    const reply = await create(4, [
      { id: 6, value: '4' },
      { id: 8, value: 'ASET' },
      { id: 7, value: 'IPS' },
      { id: 7, value: 'AVDB' },
    ]);
    expect(reply.body.configs.parameters).toEqual([
      { id: 6, name: 'CPU', value: '4' },
      { id: 7, name: 'SERVICEPACK', value: 'IPS' },
      { id: 7, name: 'SERVICEPACK', value: 'AVDB' },
      { id: 8, name: 'SERVICEPACK', value: 'ASET' },
      { id: 11, name: 'VDOM', value: '0' },
      { id: 12, name: 'SERVICEPACK', value: 'NONE' },
    ]);
    const fmg = await create(2, [
      { id: 30, value: 50 },
      { id: 9, value: 5 },
    ]);
    expect(fmg.body.configs.productType).toEqual({ id: 2, name: 'FortiManager-VM' });
  });

  it('rejects unknown product types', async () => {
    const reply = await create(6, []);
    expect(reply.body.message).toMatch(/^productTypeId 6 is not supported/);
  });
});

describe('points rates and tools/calc', () => {
  it('derives rates from CPU and service pack as documented', () => {
    const fgt = (cpu: number, pack: string) => [
      { id: 1, value: String(cpu) },
      { id: 2, value: pack },
    ];
    expect(derivedRate(1, fgt(2, 'ENT'))).toBe(6.39);
    expect(derivedRate(1, fgt(4, 'ENT'))).toBe(12.91);
    expect(derivedRate(1, fgt(1, 'FC'))).toBe(1.1);
    expect(derivedRate(1, fgt(4, 'UTP'))).toBe(10.33);
    expect(derivedRate(1, fgt(8, 'ENT'))).toBeGreaterThan(derivedRate(1, fgt(4, 'ENT')));
  });

  it('returns {current, latest: null, latestEffectiveDate: null} under "configs", times count', async () => {
    const body = {
      programSerialNumber: ACCOUNT.programSerialNumber,
      productTypeId: 1,
      parameters: [
        { id: 1, value: 2 },
        { id: 2, value: 'ENT' },
      ],
    };
    const one = await api('tools/calc', body);
    expect(one.body.configs).toEqual({ current: 6.39, latest: null, latestEffectiveDate: null });
    const three = await api('tools/calc', { ...body, count: 3 });
    expect(three.body.configs.current).toBe(19.17);
    const invalid = await api('tools/calc', {
      ...body,
      parameters: [
        { id: 1, value: 0 },
        { id: 2, value: 'ENT' },
      ],
    });
    expect(invalid.body.message).toMatch(/^Parameter id 1:/);
  });
});
