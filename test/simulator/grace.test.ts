import { afterEach, describe, expect, it } from 'vitest';
import { defaultSeed, startSimulator, type SimulatorHandle } from '../../src/simulator';
import { connect } from './helpers';

let sim: SimulatorHandle | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const DAY = 86_400_000;

describe('GRACE_PERIOD (prepaid balance below zero)', () => {
  it('moves charged entitlements to GRACE_PERIOD when the balance turns negative, still charging them', async () => {
    const seed = defaultSeed();
    // 20 ACTIVE entitlements charge ~150 points a day: 400 points last about two and a half days.
    seed.programs[0]!.pointBalance = 400;
    sim = await startSimulator({ seed, tokenTtlSeconds: 30 * 86_400 });
    const api = await connect(sim);
    const serialOf = (d: string) => sim!.entitlements().find((e) => e.description === d)!.serialNumber;
    const statusOf = (serial: string) => sim!.entitlements().find((e) => e.serialNumber === serial)!.status;
    const berlin = serialOf('branch-berlin-01');
    const hamburg = serialOf('branch-hamburg-01'); // STOPPED
    expect(statusOf(berlin)).toBe('ACTIVE');

    sim.clock.advance(DAY);
    expect(statusOf(berlin)).toBe('ACTIVE');
    sim.clock.advance(2 * DAY);
    expect(statusOf(berlin)).toBe('GRACE_PERIOD');
    expect(sim.entitlements().filter((e) => e.status === 'ACTIVE')).toEqual([]);
    const balance = await api('programs/points', { programSerialNumber: 'ELAVMR0000000519' });
    expect(balance.body.programs[0].pointBalance).toBeLessThan(0);

    // Still charged: another day costs its rate.
    const before = sim.pointsCharged({ serialNumber: berlin });
    sim.clock.advance(DAY);
    expect(sim.pointsCharged({ serialNumber: berlin })).toBe(Math.round((before + 6.39) * 100) / 100);

    // Stop works from GRACE_PERIOD; reactivating lands in GRACE_PERIOD again; a second reactivate is refused.
    expect((await api('entitlements/stop', { serialNumber: berlin })).body.entitlements[0].status).toBe(
      'STOPPED',
    );
    const back = await api('entitlements/reactivate', { serialNumber: hamburg });
    expect(back.body.entitlements[0].status).toBe('GRACE_PERIOD');
    const again = await api('entitlements/reactivate', { serialNumber: hamburg });
    expect(again.status).toBe(400);
    expect(again.body.message).toBe('Unable to update VM from current status.');
    // No new entitlements while the balance is spent.
    expect((await api('entitlements/vm/create', { configId: 2198 })).body.message).toBe(
      'Insufficient points in program ELAVMR0000000519.',
    );
  });

  it('keeps postpaid programs ACTIVE whatever they consume', async () => {
    const seed = defaultSeed();
    seed.programs[0]!.serialNumber = 'ELAVMS0000000519';
    seed.programs[0]!.pointBalance = 1;
    for (const config of seed.configs) config.programSerialNumber = 'ELAVMS0000000519';
    sim = await startSimulator({ seed });
    sim.clock.advance(5 * DAY);
    expect(sim.entitlements().some((e) => e.status === 'ACTIVE')).toBe(true);
    expect(sim.entitlements().some((e) => e.status === 'GRACE_PERIOD')).toBe(false);
  });
});
