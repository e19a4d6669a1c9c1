/**
 * Cold start: how long a fresh Node process takes to load the function app's built entry modules (what the
 * Functions host loads through `main` in package.json before it can index functions), compared with a bare
 * `@azure/functions` app registering one HTTP function, measured in the same run. Each variant runs in its
 * own child process several times, alternating; medians are reported. Target ratio ≤ 1.5.
 *
 * Builds with `tsc -p tsconfig.build.json` first (type errors elsewhere do not stop the emit), so the figures
 * are for the real compiled JavaScript.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const REPETITIONS = 9;

/** A child script that loads `files` and prints the load time in ms (process start → loaded). */
function loader(files: string[]): string {
  return [
    "const { performance } = require('node:perf_hooks');",
    'const started = performance.now();',
    ...files.map((file) => `require(${JSON.stringify(file)});`),
    'const loaded = performance.now();',
    // Whole-process view: time since the process began (includes Node's own start-up).
    'process.stdout.write(JSON.stringify({ require: loaded - started, sinceStart: loaded }));',
  ].join('\n');
}

function measureOnce(script: string): { require: number; sinceStart: number } {
  const result = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`child failed: ${result.stderr.split('\n')[0]}`);
  return JSON.parse(result.stdout) as { require: number; sinceStart: number };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs the benchmark. */
export async function run(log: (line: string) => void): Promise<void> {
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
  } catch {
    // Type errors still emit JavaScript; a missing entry file below is what makes this benchmark fail.
  }
  const dist = path.join(ROOT, 'dist', 'src');
  const index = path.join(dist, 'index.js');
  const functionsDir = path.join(dist, 'functions');
  const reconcileFunctions = ['reconcile.js', 'status.js', 'runNow.js'].map((f) =>
    path.join(functionsDir, f),
  );
  for (const file of [index, ...reconcileFunctions]) {
    if (!existsSync(file)) throw new Error(`${path.relative(ROOT, file)} was not built`);
  }
  const allFunctions = readdirSync(functionsDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => path.join(functionsDir, f));

  const temp = mkdtempSync(path.join(tmpdir(), 'bare-functions-'));
  const bare = path.join(temp, 'bare.js');
  writeFileSync(
    bare,
    [
      `const { app } = require(${JSON.stringify(require.resolve('@azure/functions', { paths: [ROOT] }))});`,
      "app.http('hello', { methods: ['GET'], authLevel: 'anonymous', handler: async () => ({ body: 'hello' }) });",
    ].join('\n'),
  );

  const variants: [string, string][] = [
    ['bare @azure/functions app (1 http function)', loader([bare])],
    ['index + reconcile, status, runNow', loader([index, ...reconcileFunctions])],
    [
      `index + all ${allFunctions.length} function modules (package.json main)`,
      loader([index, ...allFunctions]),
    ],
  ];
  const samples = variants.map(() => ({ require: [] as number[], sinceStart: [] as number[] }));
  try {
    // Warm the file cache once so the first variant is not penalised for a cold disk.
    for (const [, script] of variants) measureOnce(script);
    for (let i = 0; i < REPETITIONS; i += 1) {
      variants.forEach(([, script], v) => {
        const m = measureOnce(script);
        samples[v]!.require.push(m.require);
        samples[v]!.sinceStart.push(m.sinceStart);
      });
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  const base = { require: median(samples[0]!.require), sinceStart: median(samples[0]!.sinceStart) };
  log(`median of ${REPETITIONS} child processes each (node ${process.version}):`);
  variants.forEach(([name], v) => {
    const req = median(samples[v]!.require);
    const total = median(samples[v]!.sinceStart);
    log(
      `  ${name}: load ${req.toFixed(1)} ms (ratio ${(req / base.require).toFixed(2)}), process start → loaded ${total.toFixed(1)} ms (ratio ${(total / base.sinceStart).toFixed(2)})`,
    );
  });
  log('target: ratio ≤ 1.5 for the reconcile entry modules');
}
