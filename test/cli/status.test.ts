import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReconcile } from '../../src/app/reconcile/reconcile';
import type { StatusReport } from '../../src/app/reconcile/status';
import { createStatusRegistrar } from '../../src/cli/commands/status';
import { bufferIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { POOL_STATUS_POLICY, startHarness, type Harness } from '../e2e/harness';

let h: Harness;
let policyFile: string;

beforeAll(async () => {
  h = await startHarness({ policy: POOL_STATUS_POLICY });
  h.sim.faults.add({
    endpoint: 'entitlements/stop',
    times: 1,
    fault: { kind: 'envelope', message: 'Unable to stop.' },
  });
  await runReconcile(h.deps, h.deps.now());
  policyFile = path.join(await mkdtemp(path.join(tmpdir(), 'status-cli-')), 'policy.yaml');
  await writeFile(policyFile, POOL_STATUS_POLICY);
});
afterAll(async () => h.stop());

/** Runs `status ...` with dependencies over the harness's simulator and storage. */
async function status(...args: string[]) {
  const io = bufferIo();
  const program = new Command('fortiflex-scaler')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  createStatusRegistrar({ createDependencies: (policy) => h.moreDeps({ policy }) })(program, io);
  let error: unknown;
  await program
    .parseAsync(['node', 'fortiflex-scaler', 'status', '--policy', policyFile, ...args])
    .catch((e: unknown) => (error = e));
  return { ...io, error };
}

describe('status command', () => {
  it('prints per rule and pool desired vs actual, last actions and errors, savings this month and the forecast', async () => {
    const run = await status();
    expect(run.error).toBeUndefined();
    expect(run.out).toMatch(/^Status at Fri 10-23 11:00 PT \(2026-10-23 18:00 UTC\), mode enforce\n/);
    expect(run.out).toMatch(
      /rule branches \(schedule office, Europe\/Berlin\): off-hours now; next: active Mon 10-26 07:00/,
    );
    expect(run.out).toMatch(/16 selected, 15 in desired state, 1 to change by the next run/);
    expect(run.out).toMatch(/ACTIVE\s+STOPPED\s+stop\s+.*Unable to stop\./);
    expect(run.out).toMatch(
      /pool vmss-fgt: size \d+ \(min 0, max 8\), 0 claimed, \d+ in use outside claims, \d+ active, 0 pending deliveries/,
    );
    expect(run.out).toMatch(
      /Saved this month \(since Thu 10-01 00:00 PT, from the audit\): 11 Pacific day\(s\), 71.5 points, 11 action\(s\)/,
    );
    expect(run.out).toMatch(/Forecast Fri 10-23 11:00 PT – Sun 11-22 10:00 PT: \d+ entitlement-day\(s\)/);
    for (const e of h.sim.entitlements()) expect(run.out).not.toContain(e.token);
  });

  it('--json prints the status answer; --rule and --pool narrow it', async () => {
    const all = JSON.parse((await status('--json')).out) as StatusReport;
    expect(all.rules.map((r) => r.name)).toEqual(['branches']);
    expect(all.pools.map((p) => p.name)).toEqual(['vmss-fgt']);
    const pool = JSON.parse((await status('--format', 'json', '--pool', 'vmss-fgt')).out) as StatusReport;
    expect(pool).toMatchObject({ rules: [], filter: { pool: 'vmss-fgt' } });
    const rule = JSON.parse((await status('--json', '--rule', 'branches')).out) as StatusReport;
    expect(rule.pools).toEqual([]);
  });

  it('--format html writes the dashboard page and --format svg the week timeline to stdout', async () => {
    const page = (await status('--format', 'html')).out;
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain('data-pool="vmss-fgt"');
    expect(page).toContain('Unable to stop.');
    const svg = (await status('--format', 'svg', '--rule', 'branches')).out;
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*class="now"[\s\S]*<\/svg>\n$/);
  });

  it('names the option and the accepted names for an unknown rule, pool or format (exit 2)', async () => {
    const run = async (...args: string[]) => {
      const io = bufferIo();
      const code = await main(['node', 'fortiflex-scaler', 'status', '--policy', policyFile, ...args], io);
      return { code, err: io.err };
    };
    expect(await run('--rule', 'nope')).toEqual({
      code: 2,
      err: `fortiflex-scaler: --rule: "nope" is not a rule of ${policyFile}; expected one of: branches\n`,
    });
    expect(await run('--pool', 'nope')).toEqual({
      code: 2,
      err: `fortiflex-scaler: --pool: "nope" is not a pool of ${policyFile}; expected one of: vmss-fgt\n`,
    });
    expect(await run('--format', 'pdf')).toEqual({
      code: 2,
      err: 'fortiflex-scaler: --format: "pdf" is not a format; expected one of: text, json, html, svg\n',
    });
    expect((await run('--json', '--format', 'html')).code).toBe(2);
    expect((await run('--format', 'svg', '--pool', 'vmss-fgt')).err).toMatch(
      /^fortiflex-scaler: --pool: the SVG timeline draws rules only/,
    );
  });
});
