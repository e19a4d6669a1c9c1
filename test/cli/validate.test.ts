import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { POLICY, unreachableClient } from './planning-fixtures';
import { createPlanRegistrar } from '../../src/cli/commands/plan';
import { runRegistrar } from '../support/cli';

const BAD = POLICY.replace('Mon-Fri 07:00-19:00', 'Mon-Fry 07:00-19:00').replace('Europe/Berlin', 'CET');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'validate-cli-'));
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  await writeFile(join(dir, 'bad.yaml'), BAD);
  await writeFile(join(dir, 'broken.yaml'), 'rules: [\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const validate = (io: ReturnType<typeof bufferIo>, ...args: string[]): Promise<number> =>
  main(['node', 'fortiflex-scaler', 'validate', ...args], io);

describe('fortiflex-scaler validate', () => {
  it('exits 0 with a one-line summary of rules, pools and schedules', async () => {
    const io = bufferIo();
    const file = join(dir, 'policy.yaml');
    expect(await validate(io, '--policy', file)).toBe(0);
    expect(io.err).toBe('');
    expect(io.out).toBe(`${file}: valid, 2 rules, 0 pools, 1 schedule\n`);
  });

  it('validates the committed example policy and counts its pools', async () => {
    const io = bufferIo();
    const file = join(__dirname, '..', '..', 'scaler.policy.example.yaml');
    expect(await validate(io, '--policy', file, '--json')).toBe(0);
    const out = JSON.parse(io.out) as Record<string, unknown>;
    expect(out).toMatchObject({ file, valid: true });
    expect(out['rules']).toBeGreaterThan(0);
    expect(out['pools']).toBeGreaterThan(0);
    expect(out['schedules']).toBeGreaterThan(0);
  });

  it('exits 2 listing every problem exactly as plan prints them', async () => {
    const file = join(dir, 'bad.yaml');
    const io = bufferIo();
    expect(await validate(io, '--policy', file)).toBe(2);
    expect(io.out).toBe('');
    const planIo = bufferIo();
    // plan reads the same file through its own loader (the client is never reached for an invalid policy).
    const planCode = await runRegistrar(
      createPlanRegistrar({ createClient: async () => unreachableClient() }),
      ['plan', '--policy', file],
      planIo,
    );
    expect(planCode).toBe(2);
    expect(io.err).toBe(planIo.err);
    const lines = io.err.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(io.err).toMatch(/schedules\.office\.timezone: .*CET/);
    expect(io.err).toMatch(/schedules\.office\.active\[0\]: .*Fry/);
    expect(lines.at(-1)).toMatch(/invalid policy, \d+ problems \(listed above\)$/);
  });

  it('with --json prints the problems on stdout too, and still exits 2', async () => {
    const io = bufferIo();
    expect(await validate(io, '--policy', join(dir, 'bad.yaml'), '--json')).toBe(2);
    const out = JSON.parse(io.out) as { valid: boolean; problems: { path: string; message: string }[] };
    expect(out.valid).toBe(false);
    expect(out.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['schedules.office.timezone', 'schedules.office.active[0]']),
    );
    expect(io.err).toMatch(/schedules\.office\.timezone/);
  });

  it('exits 2 for YAML that does not parse, naming the line', async () => {
    const io = bufferIo();
    const file = join(dir, 'broken.yaml');
    expect(await validate(io, '--policy', file)).toBe(2);
    expect(io.err).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
  });

  it('exits 2 for a missing file or a missing --policy', async () => {
    const missing = bufferIo();
    expect(await validate(missing, '--policy', join(dir, 'nope.yaml'))).toBe(2);
    expect(missing.err).toMatch(/--policy .*nope\.yaml: cannot read the file \(ENOENT\)/);
    const noOption = bufferIo();
    expect(await validate(noOption)).toBe(2);
    expect(noOption.err).toMatch(/--policy/);
  });
});
