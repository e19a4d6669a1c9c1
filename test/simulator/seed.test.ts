import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSeed, parseSeed, startSimulator } from '../../src/simulator';

const fixture = join(__dirname, '../fixtures/simulator/default-seed.json');

describe('seeds', () => {
  it('ships the default seed as a JSON fixture identical to defaultSeed()', () => {
    const json: unknown = JSON.parse(readFileSync(fixture, 'utf8'));
    expect(json).toEqual(defaultSeed());
    expect(parseSeed(json)).toEqual(defaultSeed());
  });

  it('has one program, three FortiGate-VM configs and 36 entitlements in mixed states', () => {
    const seed = defaultSeed();
    expect(seed.programs.map((p) => [p.serialNumber, p.accountId])).toEqual([['ELAVMR0000000519', 12345]]);
    expect(seed.configs.map((c) => [c.id, c.name])).toEqual([
      [2198, 'branch-2cpu-ent'],
      [2199, 'branch-1cpu-fc'],
      [2200, 'pool-4cpu-utp'],
    ]);
    expect(seed.entitlements).toHaveLength(36);
    const statuses = new Set(seed.entitlements.map((e) => e.status));
    expect([...statuses].sort()).toEqual(['ACTIVE', 'EXPIRED', 'PENDING', 'STOPPED']);
    expect(new Set(seed.entitlements.map((e) => e.serialNumber)).size).toBe(36);
    for (const e of seed.entitlements) expect(e.token).toMatch(/^[0-9A-F]{20}$/);
  });

  it.each([
    [{ programs: [], configs: [] }, /^seed\.entitlements: /],
    [{ ...defaultSeed(), now: 'monday' }, /^seed\.now: /],
    [{ ...defaultSeed(), rates: { abc: 1 } }, /^seed\.rates\.abc: /],
    [
      { ...defaultSeed(), entitlements: [{ ...defaultSeed().entitlements[0], status: 'RUNNING' }] },
      /^seed\.entitlements\[0\]\.status: /,
    ],
    [
      { ...defaultSeed(), configs: [{ ...defaultSeed().configs[0], id: '2198' }] },
      /^seed\.configs\[0\]\.id: /,
    ],
  ])('rejects a bad seed with a one-line message naming the field (%#)', (seed, message) => {
    let error: Error | undefined;
    try {
      parseSeed(seed);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
  });

  it('converts rate keys to config ids and starts the clock at seed.now (Pacific when no offset)', async () => {
    const seed = parseSeed({ ...defaultSeed(), now: '2026-07-01T09:00:00', rates: { '2198': 8 } });
    expect(seed.rates).toEqual({ 2198: 8 });
    const sim = await startSimulator({ seed });
    try {
      expect(sim.clock.now().toISOString()).toBe('2026-07-01T16:00:00.000Z');
    } finally {
      await sim.stop();
    }
  });

  it('refuses seeds whose entitlements name unknown configs', async () => {
    const seed = defaultSeed();
    seed.entitlements[0]!.configId = 1;
    await expect(startSimulator({ seed })).rejects.toThrow(
      /^seed\.entitlements\[0\]\.configId: .* unknown config 1; expected the id of a seed config$/,
    );
  });
});
