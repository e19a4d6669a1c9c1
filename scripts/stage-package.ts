/**
 * Stages the deployment package: a folder holding only what runs in Azure, which azd (`dist` in
 * azure.yaml, through the `prepackage` hook), the deploy workflow and `func azure functionapp publish`
 * upload as it is.
 *
 *   npx tsx scripts/stage-package.ts [--out DIR] [--policy FILE]
 *
 * 1. Checks the policy (the file the app reads: `SCALER_POLICY_PATH`, default `scaler.policy.yaml`, or
 *    `--policy FILE`) exactly as `fortiflex-scaler validate` does; a missing or invalid policy stops here.
 * 2. Compiles `tsconfig.build.json` into `<out>/dist` (fresh: no stale output of deleted sources, no maps)
 *    and drops what never runs in Azure (the CLI, the simulators, dev helpers).
 * 3. Copies `host.json`, `package.json`, `package-lock.json` and the policy (at `SCALER_POLICY_PATH`).
 * 4. Installs the production dependencies there: `npm ci --omit=dev --ignore-scripts`.
 *
 * Exit codes: 0 staged, 2 bad input (policy, options), 1 build or install failure.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { validatePolicyFile } from '../src/cli/policy-check';
import { UsageError, type CliIo } from '../src/cli/io';

/** The project root (this file lives in scripts/). */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Where azure.yaml expects the staged package (its `dist`), relative to the project root. */
export const DEFAULT_OUT = path.join('.deploy', 'api');

/** Files copied from the project root as they are. */
export const STAGED_FILES = ['host.json', 'package.json', 'package-lock.json'] as const;

/** Compiled folders of src/ that never run in Azure (the command line, the simulators, dev helpers). */
export const NOT_DEPLOYED = ['cli', 'simulator', 'dev'] as const;

/** First line of the `.funcignore` written into the stage; also marks a folder this script may clear. */
export const STAGE_MARKER = '# Staged by scripts/stage-package.ts: this folder holds only what runs.';

/** Options of {@link stagePackage}. */
export interface StageOptions {
  /** Project root to stage from (default: this repository). */
  root?: string;
  /** Output folder, absolute or relative to `root` (default {@link DEFAULT_OUT}). */
  out?: string;
  /** Policy file to validate and ship, relative to `root` (default: `policyPath`). */
  policy?: string;
  /** Where the app reads the policy, relative to the package (default `SCALER_POLICY_PATH` or `scaler.policy.yaml`). */
  policyPath?: string;
  /** Progress and problem output (default: the process streams). */
  io?: CliIo;
}

/** What was staged. */
export interface StageResult {
  dir: string;
  files: number;
  bytes: number;
  /** The policy file inside the package, relative to it. */
  policyPath: string;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** A build or install step that failed (exit 1). */
export class StageError extends Error {
  override readonly name = 'StageError';
}

/** Checks that `relative` is a plain relative path inside the package. */
function packagePath(relative: string): string {
  const normal = path.posix.normalize(relative.replace(/\\/g, '/'));
  if (
    relative.trim() === '' ||
    path.posix.isAbsolute(normal) ||
    normal.startsWith('../') ||
    normal === '..'
  ) {
    throw new UsageError(
      `SCALER_POLICY_PATH: "${relative}" is not a path inside the package; expected e.g. "scaler.policy.yaml"`,
    );
  }
  return normal;
}

/** Empties `dir` when it is absent, empty or an earlier stage; refuses anything else. */
function prepareOutDir(dir: string, root: string): void {
  const relative = path.relative(dir, root);
  if (relative === '' || !relative.startsWith('..')) {
    throw new UsageError(`--out ${dir}: must not be the project folder or one of its parents`);
  }
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    const marker = path.join(dir, '.funcignore');
    const staged = fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').startsWith(STAGE_MARKER);
    if (!staged) {
      throw new UsageError(`--out ${dir}: not empty and not an earlier stage; choose an empty folder`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
}

function run(command: string, args: string[], cwd: string, what: string): void {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    shell: process.platform === 'win32' && !command.endsWith('.js') && command !== process.execPath,
    timeout: 600_000,
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
    const tail = output.trim().split('\n').slice(-15).join('\n');
    throw new StageError(`${what} failed (exit ${result.status ?? 'none'})${tail ? `:\n${tail}` : ''}`);
  }
}

/** npm through the running npm when there is one (`npm run stage`), else from the PATH. */
function npm(args: string[]): [string, string[]] {
  const execPath = process.env.npm_execpath;
  return execPath && path.basename(execPath) === 'npm-cli.js'
    ? [process.execPath, [execPath, ...args]]
    : ['npm', args];
}

/** Total files and bytes under `dir`. */
export function folderSize(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        files += 1;
        bytes += fs.statSync(full).size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

/** Stages the package (see the module comment). Throws {@link UsageError} or {@link StageError}. */
export async function stagePackage(options: StageOptions = {}): Promise<StageResult> {
  const root = path.resolve(options.root ?? PROJECT_ROOT);
  const io = options.io ?? processIo;
  const dir = path.resolve(root, options.out ?? DEFAULT_OUT);
  const policyPath = packagePath(
    options.policyPath ?? process.env.SCALER_POLICY_PATH ?? 'scaler.policy.yaml',
  );
  const policySource = path.resolve(root, options.policy ?? policyPath);

  if (!fs.existsSync(policySource)) {
    throw new UsageError(
      `${path.relative(root, policySource)}: no policy to deploy; copy scaler.policy.example.yaml to ` +
        `${policyPath}, edit it and check it with \`npx fortiflex-scaler validate --policy ${policyPath}\``,
    );
  }
  const { counts } = await validatePolicyFile(path.relative(root, policySource) || policySource, io, (file) =>
    fs.promises.readFile(path.resolve(root, file), 'utf8'),
  );
  io.stdout(
    `policy ${policyPath}: ${counts.rules} rule(s), ${counts.pools} pool(s), ${counts.schedules} schedule(s)\n`,
  );

  prepareOutDir(dir, root);
  fs.writeFileSync(
    path.join(dir, '.funcignore'),
    `${STAGE_MARKER}\n# azd reads this file from the package folder; without one, azd before 1.23.12 leaves out node_modules.\n`,
  );
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  run(
    process.execPath,
    [
      tsc,
      '-p',
      path.join(root, 'tsconfig.build.json'),
      '--outDir',
      path.join(dir, 'dist'),
      '--sourceMap',
      'false',
      '--incremental',
      'false',
    ],
    root,
    'tsc -p tsconfig.build.json',
  );
  for (const folder of NOT_DEPLOYED)
    fs.rmSync(path.join(dir, 'dist', 'src', folder), { recursive: true, force: true });
  for (const file of STAGED_FILES) fs.copyFileSync(path.join(root, file), path.join(dir, file));
  const policyTarget = path.join(dir, ...policyPath.split('/'));
  fs.mkdirSync(path.dirname(policyTarget), { recursive: true });
  fs.copyFileSync(policySource, policyTarget);

  const [command, args] = npm([
    'ci',
    '--omit=dev',
    '--ignore-scripts',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
  ]);
  run(command, args, dir, 'npm ci --omit=dev --ignore-scripts');

  const size = folderSize(dir);
  io.stdout(`staged ${dir}: ${size.files} files, ${(size.bytes / 1024 / 1024).toFixed(1)} MB\n`);
  return { dir, ...size, policyPath };
}

/** Parses `--out DIR` and `--policy FILE`. */
export function parseStageArgs(argv: readonly string[]): Pick<StageOptions, 'out' | 'policy'> {
  const options: Pick<StageOptions, 'out' | 'policy'> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const value = argv[i + 1];
    if ((arg === '--out' || arg === '--policy') && value !== undefined && !value.startsWith('--')) {
      options[arg === '--out' ? 'out' : 'policy'] = value;
      i += 1;
    } else {
      throw new UsageError(`${arg}: unknown or incomplete option; expected --out DIR and/or --policy FILE`);
    }
  }
  return options;
}

if (require.main === module) {
  void (async () => {
    try {
      await stagePackage(parseStageArgs(process.argv.slice(2)));
    } catch (error) {
      process.stderr.write(`stage-package: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    }
  })();
}
