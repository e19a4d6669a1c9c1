import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createForecastRegistrar } from '../../src/cli/commands/forecast';
import { bufferIo, type CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import type { Forecast } from '../../src/lib/rules';
import { runRegistrar, stubSimulatorEnv } from '../support/cli';
import { POLICY, unreachableClient, usePlanningWorld } from './planning-fixtures';

const world = usePlanningWorld('forecast-cli', { 'policy.yaml': POLICY });

/** Runs `fortiflex-scaler forecast --policy <the test policy> ARGS` through `main`. */
function forecast(io: CliIo, ...args: string[]): Promise<number> {
  return main(
    ['node', 'fortiflex-scaler', 'forecast', '--policy', join(world.dir, 'policy.yaml'), ...args],
    io,
  );
}

describe('fortiflex-scaler forecast (against the simulator)', () => {
  it('prints per-rule savings as JSON and writes the week timeline', async () => {
    stubSimulatorEnv(world.sim);
    const io = bufferIo();
    const svgFile = join(world.dir, 'week.svg');
    const code = await forecast(io, '--from', '2026-05-04', '--to', '2026-05-11', '--json', '--svg', svgFile);
    expect(io.err).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(io.out) as Forecast;
    expect(result.from).toBe('2026-05-04T07:00:00.000Z');
    const managedBranches = world.sim
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
    stubSimulatorEnv(world.sim);
    const io = bufferIo();
    const code = await forecast(io, '--from', '2026-05-04', '--to', '2026-05-11');
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
      const io = bufferIo();
      expect(await forecast(io, '--from', from, '--to', to)).toBe(2);
      expect(io.err).toMatch(pattern);
    }
  });
});

describe('fortiflex-scaler forecast (injected client)', () => {
  it('exits 1 when FortiFlex cannot be reached', async () => {
    let written = false;
    const register = createForecastRegistrar({
      createClient: async () => unreachableClient(),
      readTextFile: async () => POLICY,
      writeTextFile: async () => {
        written = true;
      },
    });
    const io = bufferIo();
    const code = await runRegistrar(
      register,
      ['forecast', '--policy', 'p.yaml', '--from', '2026-05-04', '--to', '2026-05-11', '--svg', 'x.svg'],
      io,
    );
    expect(code).toBe(1);
    expect(io.err).toMatch(/connection refused/);
    expect(written).toBe(false);
  });
});
