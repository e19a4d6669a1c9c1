import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppDependencies } from '../../src/app/dependencies';
import { type RunSummary } from '../../src/app/reconcile/run-summary';
import { createApplyRegistrar } from '../../src/cli/commands/apply';
import type { DemoResult } from '../../src/cli/commands/demo';
import { main } from '../../src/cli/main';
import { bufferIo as captureIo, type CliIo } from '../../src/cli/io';
import { BRANCH_POLICY, simulatorClient, startHarness, type Harness } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function policyFile(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'apply-'));
  const file = path.join(dir, 'scaler.policy.yaml');
  writeFileSync(file, text);
  return file;
}

async function runApply(
  args: string[],
  harness: Harness,
  io: CliIo,
  client: Harness['client'] = harness.client,
): Promise<number> {
  const program = new Command('fortiflex-scaler').exitOverride();
  createApplyRegistrar({
    createDependencies: (policy) =>
      createAppDependencies({
        settings: {},
        client,
        store: harness.store,
        policy,
        now: () => harness.sim.clock.now(),
      }),
  })(program, io);
  try {
    await program.parseAsync(['node', 'fortiflex-scaler', 'apply', ...args]);
    return 0;
  } catch (error) {
    io.stderr(`${(error as Error).message}\n`);
    return 1;
  }
}

describe('fortiflex-scaler apply', () => {
  it('--dry-run --json prints the plan and changes nothing; a real run applies it', async () => {
    h = await startHarness();
    const file = policyFile(BRANCH_POLICY);
    const dry = captureIo();
    expect(await runApply(['--policy', file, '--dry-run', '--json'], h, dry)).toBe(0);
    expect(JSON.parse(dry.out) as RunSummary).toMatchObject({ dryRun: true, planned: 12, applied: 0 });

    const real = captureIo();
    expect(await runApply(['--policy', file], h, real)).toBe(0);
    expect(real.out).toMatch(/FGVM\w+\s+stop\s+branches\s+succeeded/);
    expect(real.out).toMatch(/planned 12, applied 12, failed 0/);
  });

  it('exits non-zero when actions fail', async () => {
    h = await startHarness();
    h.sim.faults.add({
      endpoint: 'entitlements/stop',
      times: 1,
      fault: { kind: 'envelope', message: 'Unable to stop.' },
    });
    const io = captureIo();
    expect(await runApply(['--policy', policyFile(BRANCH_POLICY)], h, io)).toBe(1);
    expect(io.err).toMatch(/1 of 12 action\(s\) failed; the next run retries them/);
  });

  it.each([
    ['an undefined alias', 'mode: *nowhere\n', /: mode: \*nowhere — alias of an anchor that is not defined/],
    [
      'an alias bomb',
      ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]']
        .concat(['c', 'd', 'e'].map((n, i) => `${n}: &${n} [${Array(10).fill(`*${'bcd'[i]}`).join(', ')}]`))
        .join('\n'),
      /: d\[\d+\]: aliases expand the policy beyond 10000 values/,
    ],
    ['a collection key', 'rates:\n  ? [1, 2]\n  : 3\n', /: rates: a list or mapping used as a key/],
  ])('exits 2 for a policy with %s, one line naming the path', async (_name, text, line) => {
    const io = captureIo();
    const code = await main(['node', 'fortiflex-scaler', 'apply', '--policy', policyFile(text)], io);
    expect(code).toBe(2);
    const lines = io.err.trimEnd().split('\n');
    expect(lines[0]).toMatch(line);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/scaler\.policy\.yaml: invalid policy, 1 problem \(listed above\)$/);
  });

  it('exits 1 with the reason when FortiFlex rejects the credentials and nothing could be listed', async () => {
    h = await startHarness();
    const refused = simulatorClient(h.sim, {
      credentials: {
        get: async () => ({ username: h!.sim.credentials.username, password: 'wrong-password' }),
      },
    });
    const io = captureIo();
    expect(await runApply(['--policy', policyFile(BRANCH_POLICY)], h, io, refused)).toBe(1);
    expect(io.err).toMatch(/nothing could be listed or changed: account 12345 program ELAVMR0000000519: /);
    expect(io.err).not.toContain('wrong-password');
  });

  it('exits 2 for an invalid policy file, naming the file', async () => {
    const io = captureIo();
    const code = await main(['node', 'fortiflex-scaler', 'apply', '--policy', policyFile('rules: 3')], io);
    expect(code).toBe(2);
    expect(io.err).toMatch(/scaler\.policy\.yaml: invalid policy/);
  });
});

describe('fortiflex-scaler demo', () => {
  it('runs a simulated day without Azure or FortiFlex and reports the ledger', async () => {
    const io = captureIo();
    const code = await main(['node', 'fortiflex-scaler', 'demo', '--days', '2', '--json'], io);
    expect(code).toBe(0);
    const result = JSON.parse(io.out) as DemoResult;
    expect(result.runs).toBe(48);
    expect(result.failed).toBe(0);
    expect(result.ledger.ptDays).toEqual(['2026-10-22', '2026-10-23']);
    // Thursday and Friday nights save no whole Pacific day: nothing may be saved, and nothing lost either.
    expect(result.ledger.pointsSaved).toBe(0);
    expect(result.ledger.ptDaysSaved).toBe(0);
    expect(result.ledger.withScaler).toBe(result.ledger.leftRunning);
    expect(result.events.some((e) => e.what === 'stop' && e.rule === 'branch-emea')).toBe(true);
    // Pool vmss-fgt: its 4 ACTIVE members with used tokens and no claims run FortiGates the scaler does not
    // know about, so the night capacity (max 4) parks the 8 PENDING spares (no API call) and stops nothing.
    const pool = result.events.filter((e) => e.rule === 'pool vmss-fgt');
    expect(pool.map((e) => [e.what, e.count, e.detail])).toEqual([
      ['markRelease', 2, 'pool size 12 → 10 (bounds 2..10)'],
      ['markRelease', 6, 'pool size 10 → 4 (bounds 1..4)'],
    ]);
    // Every stop request is one of the rules' stops: no pool license was stopped.
    const ruleStops = result.events.filter((e) => e.what === 'stop').reduce((n, e) => n + e.count, 0);
    // (The lab's stop for Saturday comes at the last run, Friday 23:00 PDT.)
    const stoppers = new Set(result.events.filter((e) => e.what === 'stop').map((e) => e.rule));
    expect([...stoppers].sort()).toEqual(['branch-emea', 'lab']);
    expect(result.apiCalls['entitlements/stop']).toBe(ruleStops);
  }, 60_000);

  it('over a weekend, the planner estimate equals what the ledger saved, lab stops included', async () => {
    const io = captureIo();
    expect(await main(['node', 'fortiflex-scaler', 'demo', '--days', '4', '--json'], io)).toBe(0);
    const result = JSON.parse(io.out) as DemoResult;
    expect(result.failed).toBe(0);
    expect(result.ledger.ptDays).toEqual(['2026-10-22', '2026-10-23', '2026-10-24', '2026-10-25']);
    expect(result.ledger.pointsSaved).toBeGreaterThan(0);
    expect(result.plannerEstimate.pointsSaved).toBe(result.ledger.pointsSaved);
    expect(result.plannerEstimate.ptDaysSaved).toBe(result.ledger.ptDaysSaved + result.ledger.ptDaysCheaper);
    // lastSafeMoment (margin 45) with hourly runs: the 23:00 PDT run is the last one at least 45 minutes
    // before Saturday; the next run, at the Pacific midnight itself, could no longer save Saturday.
    const labStop = result.events.find((e) => e.rule === 'lab' && e.what === 'stop')!;
    expect(labStop).toMatchObject({ at: '2026-10-24T06:00:00.000Z', detail: 'saves 2026-10-24' });
  }, 60_000);

  it('rejects --days outside 1..31', async () => {
    const io = captureIo();
    expect(await main(['node', 'fortiflex-scaler', 'demo', '--days', '40'], io)).toBe(2);
    expect(io.err).toMatch(/--days: "40" is too many; expected 1\.\.31/);
  });
});
