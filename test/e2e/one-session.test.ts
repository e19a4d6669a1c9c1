/**
 * One FortiFlex session for the whole app, with real processes: 24 concurrent `pool claim` CLI processes and
 * three functions worker processes (the reconcile timer handler with the real `@azure/functions` objects),
 * all configured only through the environment, against a simulator that keeps ONE active token per API
 * user, refuses every freshly issued token once, and has every token invalidated once mid-run (someone
 * logging in with another tool). Every process must succeed, and the simulator must count at most
 * 1 + 1 logins.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolMarker } from '../../src/app/pools/membership';
import { startAzurite, type AzuriteHandle } from '../../src/dev/azurite';
import { openToken, sharedTokenKey } from '../../src/lib/fortiflex/shared-token';
import { createSharedTokenStore } from '../../src/lib/state';
import { defaultSeed, startSimulator, type SimulatorHandle } from '../../src/simulator';
import { ACCOUNT, POOL, POOL_CONFIG, poolPolicyDocument } from '../app/pools/support';
import { BRANCH_POLICY } from './harness';

const ROOT = path.resolve(__dirname, '../..');
const CLI_PROCESSES = 24;
const WORKER_PROCESSES = 3;

interface Finished {
  name: string;
  code: number | null;
  out: string;
  err: string;
}

/** Latest modification time of the TypeScript sources under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(file));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

/**
 * The CLI processes run the real entry point, `bin/fortiflex-scaler.js`, on the compiled `dist/` (as `npx
 * fortiflex-scaler` does; plain node starts far faster than a TypeScript loader on two cores). `npm ci`
 * builds it; it is rebuilt here only when a source is newer than the build.
 */
function ensureBuilt(): void {
  const compiled = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
  if (existsSync(compiled) && statSync(compiled).mtimeMs >= newestSource(path.join(ROOT, 'src'))) return;
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'pipe',
    timeout: 120_000,
  });
}

/** Runs `node ARGS` in the repository with `env`; resolves when it exits (killed after 90 s). */
function node(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ name, code, out, err });
    });
  });
}

let sim: SimulatorHandle;
let azurite: AzuriteHandle;
beforeAll(async () => {
  ensureBuilt();
  // A storage emulator of its own: the processes use the production (unprefixed) table and blob names.
  azurite = await startAzurite();
  const seed = defaultSeed();
  seed.now = new Date().toISOString(); // the processes read the wall clock
  seed.entitlements = seed.entitlements.filter((e) => e.configId !== POOL_CONFIG);
  for (let i = 1; i <= CLI_PROCESSES; i += 1) {
    seed.entitlements.push({
      serialNumber: `FGVMPOOL${String(i).padStart(8, '0')}`,
      description: poolMarker(POOL),
      configId: POOL_CONFIG,
      accountId: ACCOUNT,
      startDate: '2026-01-05T09:00:00.000',
      endDate: '2030-05-31T00:00:00',
      status: 'PENDING',
      token: `${String(i).padStart(4, '0')}ABCDEF0123456789`,
      tokenStatus: 'NOTUSED',
      folderPath: 'My Assets/pools/vmss-fgt',
    });
  }
  sim = await startSimulator({
    seed: { ...seed, programs: seed.programs.map((p) => ({ ...p, endDate: '2030-12-31T00:00:00' })) },
    invalidatePreviousTokens: true,
    refuseFreshTokensOnce: true,
  });
}, 60_000);
afterAll(async () => {
  await Promise.all([sim?.stop(), azurite?.stop()]);
});

describe('one FortiFlex session across processes', () => {
  it('24 CLI claims and 3 functions workers all succeed with at most 1 + forced invalidations logins', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'one-session-'));
    const policyFile = path.join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify(poolPolicyDocument()));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AzureWebJobsStorage: azurite.connectionString,
      FORTIFLEX_API_URL: sim.apiUrl,
      FORTIFLEX_AUTH_URL: sim.authUrl,
      FORTIFLEX_ACCESS_USERNAME: sim.credentials.username,
      FORTIFLEX_ACCESS_PASSWORD: sim.credentials.password,
    };
    sim.resetStats();
    const started = Date.now();
    const runs = [
      ...Array.from({ length: CLI_PROCESSES }, (_, i) =>
        node(
          `cli ${i}`,
          [
            'bin/fortiflex-scaler.js',
            'pool',
            'claim',
            '--policy',
            policyFile,
            '--pool',
            POOL,
            '--instance',
            `vm-${i}`,
            '--json',
          ],
          env,
        ),
      ),
      ...Array.from({ length: WORKER_PROCESSES }, (_, i) =>
        node(`worker ${i}`, ['--import', 'tsx', 'test/support/reconcile-worker.ts'], {
          ...env,
          SCALER_POLICY: BRANCH_POLICY,
          SCALER_DRY_RUN: 'true', // no run lease: all three workers call FortiFlex at the same time
          RUNS: '3',
        }),
      ),
    ];
    // Once the processes are busy, every token dies once, as when someone logs in with another tool.
    let forced = 0;
    const watcher = setInterval(() => {
      if (forced === 0 && (sim.stats().requests['entitlements/list'] ?? 0) >= 12) {
        sim.invalidateTokens();
        forced += 1;
      }
    }, 20);
    const finished = await Promise.all(runs);
    clearInterval(watcher);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const failures = finished.filter((f) => f.code !== 0).map((f) => `${f.name}: ${f.err}${f.out}`);
    const { logins } = sim.stats();
    console.log(
      `one session: ${finished.length} processes, ${failures.length} failed, ${logins} logins, ${forced} forced invalidation(s), ${seconds} s`,
    );

    expect(failures).toEqual([]);
    expect(forced).toBe(1);
    expect(logins).toBeLessThanOrEqual(1 + forced);
    const claimed = finished
      .filter((f) => f.name.startsWith('cli'))
      .map((f) => (JSON.parse(f.out) as { serialNumber: string }).serialNumber);
    expect(new Set(claimed).size).toBe(CLI_PROCESSES);
    for (const f of finished.filter((f) => f.name.startsWith('worker'))) {
      expect(f.out.match(/planned \d+/g)).toHaveLength(3);
    }
    // The shared session token never shows in any process's output.
    const record = await createSharedTokenStore({
      kind: 'connectionString',
      connectionString: azurite.connectionString,
    }).read(sharedTokenKey(sim.credentials.username, sim.authUrl));
    const shared = openToken(record!.value, sim.credentials)!;
    const output = finished.map((f) => f.out + f.err).join('\n');
    for (const secret of [shared.accessToken, shared.refreshToken!, sim.credentials.password]) {
      expect(output).not.toContain(secret);
    }
  }, 120_000);
});
