import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerWith } from '../../src/cli/commands/simulator';
import { bufferIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { defaultSeed, type SimulatorHandle } from '../../src/simulator';
import { DEFAULT_SUBSCRIPTION } from '../../src/simulator/arm';

/** Runs `simulator ARGS` in-process; `whileRunning` stands in for the wait for Ctrl+C. */
async function runSimulator(
  args: string[],
  whileRunning: (sim: SimulatorHandle, io: ReturnType<typeof bufferIo>) => Promise<void>,
) {
  const io = bufferIo();
  const program = new Command('fortiflex-scaler').exitOverride();
  registerWith((sim) => whileRunning(sim, io))(program, io);
  await program.parseAsync(['node', 'fortiflex-scaler', 'simulator', ...args]);
  return io;
}

const tmp = mkdtempSync(join(tmpdir(), 'sim-cli-'));
function seedFile(name: string, content: string): string {
  const file = join(tmp, name);
  writeFileSync(file, content);
  return file;
}

describe('fortiflex-scaler simulator', () => {
  it('prints URLs, credentials and env lines, serves requests, and stops on shutdown', async () => {
    let served = 0;
    let stoppedUrl = '';
    const io = await runSimulator(['--port', '0', '--latency', '0'], async (sim) => {
      const token = await fetch(sim.authUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...sim.credentials, client_id: 'flexvm', grant_type: 'password' }),
      });
      const { access_token } = (await token.json()) as { access_token: string };
      const programs = await fetch(`${sim.apiUrl}programs/list`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}` },
        body: '{}',
      });
      served = programs.status;
      stoppedUrl = sim.apiUrl;
    });
    expect(served).toBe(200);
    expect(io.out).toMatch(/^FORTIFLEX_API_URL=http:\/\/127\.0\.0\.1:\d+\/ES\/api\/fortiflex\/v2\/$/m);
    expect(io.out).toMatch(/^FORTIFLEX_AUTH_URL=http:\/\/127\.0\.0\.1:\d+\/api\/v1\/oauth\/token\/$/m);
    expect(io.out).toContain(`FORTIFLEX_ACCESS_USERNAME=${defaultSeed().users![0]!.username}`);
    expect(io.out).toContain('Simulator stopped.');
    await expect(fetch(`${stoppedUrl}programs/list`, { method: 'POST' })).rejects.toThrow();
  });

  it('also serves ARM and prints its endpoint, token and a CA file for NODE_EXTRA_CA_CERTS', async () => {
    let caWhileRunning = '';
    let armStatus = 0;
    const io = await runSimulator([], async (sim, running) => {
      const caFile = /^NODE_EXTRA_CA_CERTS=(.+)$/m.exec(running.out)![1]!;
      caWhileRunning = readFileSync(caFile, 'utf8');
      const endpoint = /^AZURE_RESOURCE_MANAGER_ENDPOINT=(.+)$/m.exec(running.out)![1]!;
      const token = /^AZURE_RESOURCE_MANAGER_TOKEN=(.+)$/m.exec(running.out)![1]!;
      expect(endpoint).toBe(sim.arm!.endpoint);
      armStatus = await new Promise<number>((resolve, reject) => {
        const url = `${endpoint}/subscriptions/${DEFAULT_SUBSCRIPTION}/providers/Microsoft.Compute/virtualMachines?api-version=2026-03-01`;
        https
          .get(url, { ca: caWhileRunning, headers: { authorization: `Bearer ${token}` } }, (res) => {
            res.resume();
            resolve(res.statusCode!);
          })
          .on('error', reject);
      });
    });
    expect(io.out).toMatch(/^AZURE_RESOURCE_MANAGER_ENDPOINT=https:\/\/127\.0\.0\.1:\d+$/m);
    expect(caWhileRunning).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(armStatus).toBe(200);
    const caFile = /^NODE_EXTRA_CA_CERTS=(.+)$/m.exec(io.out)![1]!;
    expect(existsSync(caFile)).toBe(false);
  });

  it('loads a seed file and prints JSON with --json', async () => {
    const seed = { ...defaultSeed(), users: [{ username: 'lab-user', password: 'lab-pass' }] };
    const file = seedFile('seed.json', JSON.stringify(seed));
    let count = 0;
    const io = await runSimulator(['--seed', file, '--json'], async (sim) => {
      count = sim.entitlements().length;
    });
    const printed = JSON.parse(io.out) as { credentials: { username: string }; env: Record<string, string> };
    expect(printed.credentials.username).toBe('lab-user');
    expect(printed.env.FORTIFLEX_ACCESS_PASSWORD).toBe('lab-pass');
    expect(count).toBe(36);
  });

  it.each([
    [['--port', 'abc'], /^fortiflex-scaler: --port: "abc" is not a valid number/],
    [['--port', '70000'], /^fortiflex-scaler: --port: "70000" is not a valid port/],
    [['--latency', '-5'], /^fortiflex-scaler: --latency: /],
    [
      ['--seed', join(tmp, 'missing.json')],
      /^fortiflex-scaler: --seed .*missing\.json: cannot read the file \(ENOENT\)/,
    ],
    [['--seed', seedFile('broken.json', '{')], /^fortiflex-scaler: --seed .*broken\.json: not valid JSON/],
    [
      [
        '--seed',
        seedFile('bad.json', JSON.stringify({ ...defaultSeed(), programs: [{ serialNumber: 'X' }] })),
      ],
      /^fortiflex-scaler: --seed .*bad\.json: seed\.programs\[0\]\.serialNumber: expected a program serial/,
    ],
    [
      ['--seed', seedFile('dangling.json', JSON.stringify({ ...defaultSeed(), configs: [] }))],
      /^fortiflex-scaler: --seed .*dangling\.json: seed\.entitlements\[0\]\.configId: .* unknown config 2198/,
    ],
    [
      [
        '--seed',
        seedFile(
          'twice.json',
          JSON.stringify({ ...defaultSeed(), configs: [defaultSeed().configs[0], ...defaultSeed().configs] }),
        ),
      ],
      /^fortiflex-scaler: --seed .*twice\.json: seed\.configs\[1\]\.id: config 2198 appears twice/,
    ],
    [
      [
        '--seed',
        seedFile(
          'no-status.json',
          JSON.stringify({
            ...defaultSeed(),
            entitlements: [{ ...defaultSeed().entitlements[0], status: 'RUNNING' }],
          }),
        ),
      ],
      /^fortiflex-scaler: --seed .*no-status\.json: seed\.entitlements\[0\]\.status: /,
    ],
  ])('exits 2 with one line for bad input %j', async (args, message) => {
    const io = bufferIo();
    const code = await main(['node', 'fortiflex-scaler', 'simulator', ...args], io);
    expect(code).toBe(2);
    expect(io.err).toMatch(message);
    expect(io.err.trim().split('\n')).toHaveLength(1);
  });
});
