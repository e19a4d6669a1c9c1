import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPlanRegistrar } from '../../src/cli/commands/plan';
import { type PlanningClient } from '../../src/cli/setup';
import { bufferIo, type CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import type { Entitlement } from '../../src/lib/fortiflex/types';
import { runRegistrar, stubSimulatorEnv } from '../support/cli';
import { POLICY, unreachableClient, usePlanningWorld } from './planning-fixtures';

const world = usePlanningWorld('plan-cli', {
  'policy.yaml': POLICY,
  'bad.yaml': POLICY.replace('Mon-Fri 07:00-19:00', 'Mon-Fry 07:00-19:00').replace('Europe/Berlin', 'CET'),
});

/** Runs `fortiflex-scaler plan --policy <test dir>/POLICYFILE ARGS` through `main`. */
function plan(io: CliIo, policyFile: string, ...args: string[]): Promise<number> {
  return main(['node', 'fortiflex-scaler', 'plan', '--policy', join(world.dir, policyFile), ...args], io);
}

describe('fortiflex-scaler plan (against the simulator)', () => {
  it('prints the plan as JSON with exactly the documented fields, listing entitlements once per scope', async () => {
    stubSimulatorEnv(world.sim);
    world.sim.resetStats();
    const io = bufferIo();
    const code = await plan(io, 'policy.yaml', '--at', '2026-03-06T19:05:00+01:00', '--json');
    expect(io.err).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(io.out) as {
      at: string;
      actions: Record<string, unknown>[];
      skipped: Record<string, unknown>[];
    };
    expect(Object.keys(out)).toEqual(['at', 'actions', 'skipped']);
    expect(out.at).toBe('2026-03-06T18:05:00.000Z');
    const activeBranches = world.sim
      .entitlements()
      .filter((e) => e.configId === 2198 && e.status === 'ACTIVE');
    const activeLab = world.sim
      .entitlements()
      .filter((e) => e.description.startsWith('lab-') && e.status === 'ACTIVE');
    expect(out.actions.map((a) => a['serialNumber']).sort()).toEqual(
      [...activeBranches, ...activeLab].map((e) => e.serialNumber).sort(),
    );
    for (const action of out.actions) {
      expect(Object.keys(action)).toEqual([
        'serialNumber',
        'action',
        'rule',
        'reason',
        'ptDaysSaved',
        'pointsSaved',
      ]);
      // Fri 19:00 – Mon 07:00 Berlin saves only the Pacific Saturday.
      expect(action).toMatchObject({ action: 'stop', ptDaysSaved: 1 });
      expect(action['pointsSaved']).toBeGreaterThan(0);
    }
    expect(out.actions.filter((a) => a['rule'] === 'lab').every((a) => a['pointsSaved'] === 3)).toBe(true);
    for (const skip of out.skipped) expect(Object.keys(skip)).toEqual(['serialNumber', 'rule', 'reason']);
    expect(out.skipped.some((s) => /^EXPIRED/.test(String(s['reason'])))).toBe(true);
    expect(world.sim.stats().requests['entitlements/list']).toBe(1);
    // Planning changes nothing.
    expect(world.sim.stats().requests['entitlements/stop'] ?? 0).toBe(0);
  });

  it('prints a readable table with reasons, skipped entries and a summary', async () => {
    stubSimulatorEnv(world.sim);
    const io = bufferIo();
    const code = await plan(io, 'policy.yaml', '--at', '2026-03-03T20:00:00+01:00');
    expect(code).toBe(0);
    // A Tuesday night saves nothing: every branch stays active.
    expect(io.out).toMatch(/No actions\./);
    expect(io.out).toMatch(/Tue 19:00–Wed 07:00 Europe\/Berlin covers no whole Pacific day/);
    expect(io.out).toMatch(/0 action\(s\), \d+ skipped, \d+ unchanged/);
  });

  it('exits 2 listing every policy problem, each line naming the file', async () => {
    const io = bufferIo();
    const file = join(world.dir, 'bad.yaml');
    const code = await plan(io, 'bad.yaml');
    expect(code).toBe(2);
    const lines = io.err.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.slice(0, -1).every((line) => line.startsWith(`${file}: `))).toBe(true);
    expect(io.err).toMatch(/schedules\.office\.timezone: .*CET/);
    expect(io.err).toMatch(/schedules\.office\.active\[0\]: .*Fry/);
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^fortiflex-scaler: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid policy, \\d+ problems`,
      ),
    );
  });

  it('exits 2 for an unreadable policy file or a bad --at', async () => {
    const missing = bufferIo();
    expect(await plan(missing, 'nope.yaml')).toBe(2);
    expect(missing.err).toMatch(/--policy .*nope\.yaml: cannot read the file/);
    const badAt = bufferIo();
    expect(await plan(badAt, 'policy.yaml', '--at', 'friday')).toBe(2);
    expect(badAt.err).toMatch(/--at: "friday" is not an instant/);
  });
});

describe('fortiflex-scaler plan (injected client)', () => {
  const policyText = POLICY;
  const entitlement = (serialNumber: string, status: string): Entitlement => ({
    serialNumber,
    description: 'branch',
    configId: 2198,
    accountId: 12345,
    startDate: '2026-01-01T00:00:00',
    endDate: '2027-01-01T00:00:00',
    status,
    token: '',
    tokenStatus: 'USED',
  });

  it('reactivates what the --records file says the scaler stopped, and prices configs through tools/calc', async () => {
    const calls: string[] = [];
    const client: PlanningClient = {
      listEntitlements: async (scope) => {
        calls.push(`list ${JSON.stringify(scope)}`);
        return [entitlement('FGVM1', 'STOPPED'), entitlement('FGVM2', 'STOPPED')];
      },
      listConfigs: async () => [],
      calculatePoints: async () => ({ current: 1, latest: null, latestEffectiveDate: null }),
    };
    const files: Record<string, string> = {
      'policy.yaml': policyText,
      'records.json': JSON.stringify([{ serialNumber: 'FGVM1', stoppedByScaler: true }]),
    };
    const register = createPlanRegistrar({
      createClient: async () => client,
      readTextFile: async (path) => {
        const text = files[path];
        if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        return text;
      },
    });
    const io = bufferIo();
    const code = await runRegistrar(
      register,
      [
        'plan',
        '--policy',
        'policy.yaml',
        '--records',
        'records.json',
        '--at',
        '2026-03-09T07:05:00+01:00',
        '--json',
      ],
      io,
    );
    expect(code).toBe(0);
    const out = JSON.parse(io.out) as {
      actions: { serialNumber: string; action: string }[];
      skipped: { serialNumber: string }[];
    };
    expect(out.actions).toMatchObject([{ serialNumber: 'FGVM1', action: 'reactivate' }]);
    expect(out.skipped.map((s) => s.serialNumber)).toEqual(['FGVM2']);
    expect(calls).toEqual(['list {"accountId":12345,"programSerialNumber":"ELAVMR0000000519"}']);
  });

  it('exits 1 when FortiFlex cannot be reached', async () => {
    const register = createPlanRegistrar({
      createClient: async () => unreachableClient(),
      readTextFile: async () => policyText,
    });
    const io = bufferIo();
    expect(await runRegistrar(register, ['plan', '--policy', 'p.yaml'], io)).toBe(1);
    expect(io.err).toMatch(/^fortiflex-scaler: .*connection refused/);
  });
});
