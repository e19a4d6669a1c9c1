import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createForecastRegistrar } from '../../src/cli/commands/forecast';
import type { PlanningClient } from '../../src/cli/commands/plan';
import { main } from '../../src/cli/main';
import { FortiFlexNetworkError } from '../../src/lib/fortiflex';
import type { Forecast } from '../../src/lib/rules';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { captureIo, POLICY, runWith } from './planning-helpers';

let dir: string;
let sim: SimulatorHandle;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forecast-cli-'));
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  sim = await startSimulator();
});

afterAll(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

function useSimulator(): void {
  vi.stubEnv('FORTIFLEX_API_URL', sim.apiUrl);
  vi.stubEnv('FORTIFLEX_AUTH_URL', sim.authUrl);
  vi.stubEnv('FORTIFLEX_ACCESS_USERNAME', sim.credentials.username);
  vi.stubEnv('FORTIFLEX_ACCESS_PASSWORD', sim.credentials.password);
  vi.stubEnv('KEY_VAULT_URL', '');
}

describe('fortiflex-scaler forecast (against the simulator)', () => {
  it('prints per-rule savings as JSON and writes the week timeline', async () => {
    useSimulator();
    const io = captureIo();
    const svgFile = join(dir, 'week.svg');
    const code = await main(
      [
        'node',
        'fortiflex-scaler',
        'forecast',
        '--policy',
        join(dir, 'policy.yaml'),
        '--from',
        '2026-05-04',
        '--to',
        '2026-05-11',
        '--json',
        '--svg',
        svgFile,
      ],
      io,
    );
    expect(io.err).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(io.out) as Forecast;
    expect(result.from).toBe('2026-05-04T07:00:00.000Z');
    const managedBranches = sim
      .entitlements()
      .filter((e) => e.configId === 2198 && (e.status === 'ACTIVE' || e.status === 'STOPPED')).length;
    expect(result.rules.map((r) => [r.rule, r.entitlements, r.ptDaysSaved, r.unprofitableWindows])).toEqual([
      ['branches', managedBranches, 1, 4],
      ['lab', 6, 1, 4],
    ]);
    expect(result.rules[1]!.pointsSaved).toBe(18); // 6 lab entitlements × 1 Saturday × 3 points (policy rate)
    expect(result.advice.map((a) => a.message)).toContain(
      'reactivating at 09:00 instead of 07:00 Europe/Berlin on Monday saves 1 more Pacific day a week (18 points)',
    );
    const svg = await readFile(svgFile, 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('data-rule="branches"');
    expect(svg).toContain('data-pt-day="2026-05-09"');
  });

  it('prints a readable summary with unprofitable windows and advice', async () => {
    useSimulator();
    const io = captureIo();
    const code = await main(
      [
        'node',
        'fortiflex-scaler',
        'forecast',
        '--policy',
        join(dir, 'policy.yaml'),
        '--from',
        '2026-05-04',
        '--to',
        '2026-05-11',
      ],
      io,
    );
    expect(code).toBe(0);
    expect(io.out).toMatch(/branches: 4 window\(s\) cover no whole Pacific day, e\.g\. Mon 2026-05-04 19:00/);
    expect(io.out).toMatch(
      /Advice:\n- branches: reactivating at 09:00 instead of 07:00 Europe\/Berlin on Monday/,
    );
    expect(io.out).toMatch(/Total: \d+ entitlement\(s\)/);
  });

  it('exits 2 for bad dates', async () => {
    for (const [from, to, pattern] of [
      ['2026-13-01', '2026-05-11', /--from: "2026-13-01" is not a date/],
      ['2026-05-11', '2026-05-04', /--to: "2026-05-04" is not after --from/],
      ['next monday', '2026-05-04', /--from: "next monday" is not a date/],
    ] as const) {
      const io = captureIo();
      const args = ['node', 'fortiflex-scaler', 'forecast', '--policy', join(dir, 'policy.yaml')];
      expect(await main([...args, '--from', from, '--to', to], io)).toBe(2);
      expect(io.err).toMatch(pattern);
    }
  });
});

describe('fortiflex-scaler forecast (injected client)', () => {
  it('exits 1 when FortiFlex cannot be reached', async () => {
    const client: PlanningClient = {
      listEntitlements: async () => {
        throw new FortiFlexNetworkError('entitlements/list', 'connection refused', {});
      },
      listConfigs: async () => [],
      calculatePoints: async () => ({ current: 1, latest: null, latestEffectiveDate: null }),
    };
    let written = false;
    const register = createForecastRegistrar({
      createClient: async () => client,
      readTextFile: async () => POLICY,
      writeTextFile: async () => {
        written = true;
      },
    });
    const io = captureIo();
    const code = await runWith(
      register,
      ['forecast', '--policy', 'p.yaml', '--from', '2026-05-04', '--to', '2026-05-11', '--svg', 'x.svg'],
      io,
    );
    expect(code).toBe(1);
    expect(io.err).toMatch(/connection refused/);
    expect(written).toBe(false);
  });
});
