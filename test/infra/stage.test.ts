/**
 * What the staging script refuses (before building anything), and the project folder's `.funcignore`,
 * which azd reads to check `remoteBuild: false` and which guards a publish straight from the project folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stagePackage } from '../../scripts/stage-package';
import { bufferIo } from '../../src/cli/io';
import { ROOT } from './support/bicep';
import { coreToolsMatcher, gitignoreMatcher, publishSets } from './support/funcignore';
import { FORBIDDEN_FILES } from './support/package';

describe('staging refuses what would fail at run time', () => {
  const stageFails = async (options: Parameters<typeof stagePackage>[0]) => {
    const io = bufferIo();
    const error = await stagePackage({ ...options, io }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    return { error, io };
  };

  it('fails without a policy, saying how to make one, and builds nothing', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fortiflex-scaler-nopolicy-'));
    try {
      const out = path.join(work, 'api');
      const { error } = await stageFails({ out, policy: 'no-such-policy.yaml' });
      expect(error?.name).toBe('UsageError');
      expect(error?.message).toMatch(
        /no-such-policy\.yaml: no policy to deploy; copy scaler\.policy\.example\.yaml/,
      );
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it('fails on an invalid policy with every problem listed as `validate` lists them', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fortiflex-scaler-badpolicy-'));
    try {
      const bad = path.join(work, 'bad.yaml');
      const example = fs.readFileSync(path.join(ROOT, 'scaler.policy.example.yaml'), 'utf8');
      fs.writeFileSync(bad, example.replace(/timezone: [A-Za-z/_]+/, 'timezone: CET'));
      const out = path.join(work, 'api');
      const { error, io } = await stageFails({ out, policy: bad });
      expect(error?.name).toBe('UsageError');
      expect(error?.message).toMatch(/invalid policy, \d+ problems? \(listed above\)/);
      expect(io.err).toMatch(/bad\.yaml: schedules\.\w+\.timezone: .*CET/);
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it('refuses a policy path outside the package and an output folder it did not make', async () => {
    const outside = await stageFails({ policy: 'scaler.policy.example.yaml', policyPath: '../policy.yaml' });
    expect(outside.error?.message).toMatch(
      /SCALER_POLICY_PATH: "\.\.\/policy\.yaml" is not a path inside the package/,
    );
    const root = await stageFails({ policy: 'scaler.policy.example.yaml', out: ROOT });
    expect(root.error?.message).toMatch(/must not be the project folder/);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fortiflex-scaler-notours-'));
    try {
      fs.writeFileSync(path.join(work, 'keep.txt'), 'not a stage');
      const taken = await stageFails({ policy: 'scaler.policy.example.yaml', out: work });
      expect(taken.error?.message).toMatch(/not empty and not an earlier stage/);
      expect(fs.existsSync(path.join(work, 'keep.txt'))).toBe(true);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('the project folder .funcignore', () => {
  const text = (): string => fs.readFileSync(path.join(ROOT, '.funcignore'), 'utf8');

  it('keeps node_modules, as azd requires with remoteBuild: false', () => {
    expect(gitignoreMatcher(text())('node_modules/@azure/functions/package.json')).toBe(false);
    expect(coreToolsMatcher(text())('node_modules/@azure/functions/package.json')).toBe(false);
  });

  it('still keeps tests, sources, local settings and the stage out of a publish from the project folder', () => {
    const { either } = publishSets(ROOT, text(), ['node_modules', '.git', 'dist', '.deploy']);
    const offenders = either.flatMap((file) =>
      FORBIDDEN_FILES.filter((rule) => rule.re.test(file)).map((rule) => `${file} (${rule.name})`),
    );
    expect(offenders).toEqual([]);
    expect(gitignoreMatcher(text())('.deploy/api/host.json')).toBe(true);
    expect(coreToolsMatcher(text())('.deploy/api/host.json')).toBe(true);
  });
});
