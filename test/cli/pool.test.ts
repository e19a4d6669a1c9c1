import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPoolRegistrar } from '../../src/cli/commands/pool';
import { bufferIo as captureIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { FortiFlexClient } from '../../src/lib/fortiflex';
import { createStateStore } from '../../src/lib/state';
import { POOL, poolPolicyDocument, startPoolWorld, workerState, type PoolWorld } from '../app/pools/support';

let world: PoolWorld;
let policyFile: string;

beforeAll(async () => {
  // Separate logins per "process" must not invalidate each other here.
  world = await startPoolWorld({ seed: { pending: 2 }, sim: { invalidatePreviousTokens: false } });
  const dir = await mkdtemp(path.join(tmpdir(), 'pool-cli-'));
  policyFile = path.join(dir, 'policy.json');
  await writeFile(policyFile, JSON.stringify(poolPolicyDocument()));
});
afterAll(async () => world.stop());

/** Runs `pool ...` as a separate CLI process would: its own client and its own store on the same storage. */
async function pool(args: string[]) {
  const io = captureIo();
  const program = new Command('fortiflex-scaler')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  createPoolRegistrar({
    createDeps: async (policy) => {
      const store = await createStateStore(
        { kind: 'connectionString', connectionString: world.connectionString },
        { prefix: world.prefix },
      );
      return {
        client: new FortiFlexClient({
          apiUrl: world.sim.apiUrl,
          authUrl: world.sim.authUrl,
          credentials: { get: async () => world.sim.credentials },
          rateLimit: { perMinute: Infinity, perHour: Infinity },
        }),
        store,
        loadPolicy: () => policy,
        now: () => world.sim.clock.now(),
        ...workerState(store),
      };
    },
  })(program, io);
  let error: unknown;
  await program.parseAsync(['node', 'fortiflex-scaler', 'pool', ...args]).catch((e: unknown) => (error = e));
  return { ...io, error };
}

const base = () => ['--policy', policyFile, '--pool', POOL];

describe('pool command', () => {
  it('gives concurrent CLI claims the same guarantees and prints exactly serialNumber, token, status', async () => {
    const ids = ['cli-a', 'cli-b', 'cli-c', 'cli-a', 'cli-b', 'cli-c', 'cli-d'];
    const runs = await Promise.all(ids.map((id) => pool(['claim', ...base(), '--instance', id, '--json'])));
    const serialOf = new Map<string, string>();
    for (const [i, run] of runs.entries()) {
      expect(run.error).toBeUndefined();
      const printed = JSON.parse(run.out) as Record<string, string>;
      expect(Object.keys(printed)).toEqual(['serialNumber', 'token', 'status']);
      const known = serialOf.get(ids[i]!);
      if (known) expect(printed.serialNumber).toBe(known);
      serialOf.set(ids[i]!, printed.serialNumber!);
    }
    expect(new Set(serialOf.values()).size).toBe(4);
    expect(world.members()).toHaveLength(4);
  });

  it('shows status without tokens', async () => {
    const tokens = world.members().map((e) => e.token);
    const run = await pool(['status', ...base()]);
    expect(run.out).toMatch(
      /^pool vmss-fgt: size 4 \(min 0, max 50\), 4 claimed, 0 in use outside claims, 0 active\n/,
    );
    expect(run.out).toContain('cli-d');
    for (const token of tokens) expect(run.out).not.toContain(token);
    const json = JSON.parse((await pool(['status', ...base(), '--json'])).out) as {
      size: number;
      members: unknown[];
    };
    expect(json.size).toBe(4);
    expect(JSON.stringify(json)).not.toMatch(/token/i);
  });

  it('releases, scales and reports', async () => {
    expect((await pool(['release', ...base(), '--instance', 'cli-d'])).out).toBe('cli-d: released\n');
    expect((await pool(['release', ...base(), '--instance', 'cli-d'])).out).toBe('cli-d: already released\n');
    const scaled = JSON.parse((await pool(['scale', ...base(), '--desired', '3', '--json'])).out) as {
      before: number;
      after: number;
    };
    expect(scaled).toMatchObject({ before: 4, after: 3 });
  });

  it('shows a license whose token was used outside claims as in use, and counts it', async () => {
    const claimed = new Set((await world.store.claims.list(POOL)).map((c) => c.serialNumber));
    const parked = world.members().find((e) => !claimed.has(e.serialNumber))!;
    world.sim.useToken(parked.serialNumber); // a FortiGate licensed by hand with the parked token
    const run = await pool(['status', ...base()]);
    expect(run.out).toMatch(/size 4 \(min 0, max 50\), 3 claimed, 1 in use outside claims, 1 active\n/);
    expect(run.out).toMatch(new RegExp(`${parked.serialNumber}\\s+ACTIVE\\s+inUseOutsideClaims`));
    expect(run.out).toMatch(/1 license\(s\) in use outside claims .*never handed out or stopped/);
    const json = JSON.parse((await pool(['status', ...base(), '--json'])).out) as {
      inUseOutsideClaims: number;
      members: { serialNumber: string; role: string }[];
    };
    expect(json.inUseOutsideClaims).toBe(1);
    expect(json.members.find((m) => m.serialNumber === parked.serialNumber)?.role).toBe('inUseOutsideClaims');
  });

  it('rejects bad usage with exit code 2 through main', async () => {
    const io = captureIo();
    expect(
      await main(['node', 'fortiflex-scaler', 'pool', 'claim', ...base(), '--instance', 'a/b'], io),
    ).toBe(2);
    expect(io.err).toMatch(/--instance: expected the VM name/);
    const other = captureIo();
    expect(
      await main(
        [
          'node',
          'fortiflex-scaler',
          'pool',
          'scale',
          ...base().slice(0, 2),
          '--pool',
          'nope',
          '--desired',
          '1',
        ],
        other,
      ),
    ).toBe(2);
    expect(other.err).toMatch(/--pool: "nope" is not a pool/);
    const bad = captureIo();
    expect(await main(['node', 'fortiflex-scaler', 'pool', 'scale', ...base(), '--desired', '-1'], bad)).toBe(
      2,
    );
  });
});
