import { afterEach, describe, expect, it } from 'vitest';
import { defaultSeed, startSimulator, type SimulatorHandle } from '../../src/simulator';
import { Ledger } from '../../src/simulator/ledger';
import { ACCOUNT, connect, type Reply } from './helpers';

let sim: SimulatorHandle | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const ENT2 = 6.39; // config 2198
const FC1 = 1.1; // config 2199

/** Starts a simulator whose clock is at `now`, with a client. */
async function world(
  now: string,
): Promise<{ s: SimulatorHandle; api: (e: string, b?: unknown) => Promise<Reply> }> {
  // Long-lived tokens: these tests jump the clock by days and test billing, not token expiry.
  sim = await startSimulator({ seed: { ...defaultSeed(), now }, tokenTtlSeconds: 10 * 365 * 86_400 });
  return { s: sim, api: await connect(sim) };
}

const serialOf = (s: SimulatorHandle, description: string) =>
  s.entitlements().find((e) => e.description === description)!.serialNumber;

describe('Ledger (unit)', () => {
  it('charges the day of an instantaneous ACTIVE state and nothing for STOPPED-only days', () => {
    const ledger = new Ledger();
    const t = Date.parse('2026-03-02T20:00:00Z'); // 12:00 PST
    ledger.record('S', t, 'STOPPED', 5);
    ledger.record('S', t + 1000, 'ACTIVE', 5);
    ledger.record('S', t + 1000, 'STOPPED', 5);
    expect([...ledger.dailyCharges('S', t + 3 * 86_400_000)]).toEqual([['2026-03-02', 5]]);
  });

  it('charges the day a stop at exactly 00:00:00 PT begins; a stop at 23:59:00 PT saves the next day', () => {
    const ledger = new Ledger();
    ledger.record('S', Date.parse('2026-03-02T20:00:00Z'), 'ACTIVE', 2);
    ledger.record('S', Date.parse('2026-03-03T08:00:00Z'), 'STOPPED', 2); // exactly 00:00:00 PST 03-03
    const later = Date.parse('2026-03-05T00:00:00Z');
    expect([...ledger.dailyCharges('S', later).keys()]).toEqual(['2026-03-02', '2026-03-03']);
    expect(ledger.total('S', later, '2026-03-03', '2026-03-03')).toBe(2);
    ledger.record('T', Date.parse('2026-03-02T20:00:00Z'), 'ACTIVE', 2);
    ledger.record('T', Date.parse('2026-03-03T07:59:00Z'), 'STOPPED', 2); // 23:59:00 PST 03-02
    expect([...ledger.dailyCharges('T', later).keys()]).toEqual(['2026-03-02']);
    expect(ledger.total('T', later, '2026-03-03', '2026-03-03')).toBe(0);
  });
});

describe('Pacific-day billing ledger', () => {
  it('charges an ACTIVE entitlement for the current day immediately', async () => {
    const { s } = await world('2026-03-02T08:00:00-08:00');
    const serial = serialOf(s, 'branch-berlin-01');
    expect(s.pointsCharged({ serialNumber: serial })).toBe(ENT2);
    s.clock.advance(15 * 3_600_000); // 23:00 PST, same day
    expect(s.pointsCharged({ serialNumber: serial })).toBe(ENT2);
    s.clock.advance(2 * 3_600_000); // 01:00 PST next day
    expect(s.pointsCharged({ serialNumber: serial })).toBe(2 * ENT2);
  });

  it('bills the day a stop made at exactly 00:00:00 PT begins, but not the day after a 23:59:00 stop', async () => {
    const { s, api } = await world('2026-03-05T12:00:00');
    const late = serialOf(s, 'branch-berlin-01');
    const midnight = serialOf(s, 'branch-berlin-02');
    s.clock.set('2026-03-06T23:59:00');
    await api('entitlements/stop', { serialNumber: late });
    s.clock.set('2026-03-07T00:00:00');
    await api('entitlements/stop', { serialNumber: midnight });
    s.clock.set('2026-03-09T12:00:00');
    expect(s.pointsCharged({ serialNumber: late, from: '2026-03-07', to: '2026-03-07' })).toBe(0);
    expect(s.pointsCharged({ serialNumber: midnight, from: '2026-03-07', to: '2026-03-07' })).toBe(ENT2);
    expect(s.pointsCharged({ serialNumber: midnight, from: '2026-03-08', to: '2026-03-08' })).toBe(0);
  });

  it('charges a stop and a reactivation on the same PT day as one day', async () => {
    const { s, api } = await world('2026-03-04T09:00:00-08:00');
    const serial = serialOf(s, 'branch-berlin-01');
    s.clock.set('2026-03-04T10:00:00');
    await api('entitlements/stop', { serialNumber: serial });
    s.clock.set('2026-03-04T15:00:00');
    await api('entitlements/reactivate', { serialNumber: serial });
    s.clock.set('2026-03-04T22:00:00');
    await api('entitlements/stop', { serialNumber: serial });
    s.clock.set('2026-03-07T12:00:00');
    expect(s.pointsCharged({ serialNumber: serial })).toBe(ENT2);
    expect(s.pointsCharged({ serialNumber: serial, from: '2026-03-05', to: '2026-03-07' })).toBe(0);
  });

  it('charges both days when ACTIVE across PT midnight, and frees whole STOPPED days', async () => {
    const { s, api } = await world('2026-03-02T08:00:00-08:00');
    const serial = serialOf(s, 'branch-hamburg-01'); // STOPPED
    s.clock.set('2026-03-05T23:30:00');
    await api('entitlements/reactivate', { serialNumber: serial });
    s.clock.set('2026-03-06T00:30:00');
    await api('entitlements/stop', { serialNumber: serial });
    s.clock.set('2026-03-10T12:00:00');
    expect(s.pointsCharged({ serialNumber: serial })).toBe(2 * ENT2);
    expect(s.pointsCharged({ serialNumber: serial, from: '2026-03-06', to: '2026-03-06' })).toBe(ENT2);
    // 23:30 PT is already the next UTC day: a UTC-day ledger would get this wrong.
    expect(s.pointsCharged({ serialNumber: serial, from: '2026-03-05', to: '2026-03-05' })).toBe(ENT2);
  });

  it('handles the 23-hour day of 2026-03-08 (spring forward)', async () => {
    const { s, api } = await world('2026-03-07T12:00:00-08:00');
    const serial = serialOf(s, 'branch-berlin-01');
    await api('entitlements/stop', { serialNumber: serial });
    // 00:30 PDT on 03-09 is 07:30Z; a fixed 24 h day from 03-08 00:00 PST (08:00Z) would put it on 03-08.
    s.clock.set('2026-03-09T07:30:00Z');
    await api('entitlements/reactivate', { serialNumber: serial });
    s.clock.set('2026-03-09T12:00:00');
    expect(s.pointsCharged({ serialNumber: serial, from: '2026-03-07', to: '2026-03-09' })).toBe(2 * ENT2);
    expect(s.pointsCharged({ serialNumber: serial, from: '2026-03-08', to: '2026-03-08' })).toBe(0);
  });

  it('handles the 25-hour day of 2026-11-01 (fall back)', async () => {
    const { s, api } = await world('2026-10-30T12:00:00-07:00');
    const serial = serialOf(s, 'branch-berlin-01');
    await api('entitlements/stop', { serialNumber: serial });
    // 23:30 PST on 11-01 is 07:30Z on 11-02; a fixed 24 h day from 11-01 00:00 PDT (07:00Z) would call it 11-02.
    s.clock.set('2026-11-02T07:30:00Z');
    await api('entitlements/reactivate', { serialNumber: serial });
    s.clock.set('2026-11-02T07:45:00Z');
    await api('entitlements/stop', { serialNumber: serial });
    s.clock.set('2026-11-04T12:00:00');
    expect(s.pointsCharged({ serialNumber: serial, from: '2026-10-31', to: '2026-11-01' })).toBe(ENT2);
    expect(s.pointsCharged({ serialNumber: serial, from: '2026-11-02', to: '2026-11-04' })).toBe(0);
    expect(s.pointsCharged({ serialNumber: serial })).toBe(2 * ENT2); // 10-30 and 11-01
  });

  it('charges the most expensive config of a day when the config changes that day', async () => {
    const { s, api } = await world('2026-03-02T08:00:00-08:00');
    const serial = serialOf(s, 'lab-dev-01'); // ACTIVE on 2199
    s.clock.set('2026-03-02T12:00:00');
    await api('entitlements/update', { serialNumber: serial, configId: 2198 });
    s.clock.set('2026-03-02T13:00:00');
    await api('entitlements/update', { serialNumber: serial, configId: 2199 });
    s.clock.set('2026-03-03T12:00:00');
    expect(s.pointsCharged({ serialNumber: serial, from: '2026-03-02', to: '2026-03-02' })).toBe(ENT2);
    expect(s.pointsCharged({ serialNumber: serial, from: '2026-03-03', to: '2026-03-03' })).toBe(FC1);
  });

  it('re-rates every entitlement on a config when the config is updated, from that day on', async () => {
    const { s, api } = await world('2026-03-02T08:00:00-08:00');
    const serial = serialOf(s, 'branch-berlin-01');
    s.clock.set('2026-03-03T18:00:00');
    await api('configs/update', { id: 2198, parameters: [{ id: 1, value: '4' }] });
    s.clock.set('2026-03-04T12:00:00');
    expect(s.pointsCharged({ serialNumber: serial, from: '2026-03-02', to: '2026-03-02' })).toBe(ENT2);
    expect(s.pointsCharged({ serialNumber: serial, from: '2026-03-03', to: '2026-03-04' })).toBe(2 * 12.91);
  });

  it('does not charge PENDING entitlements until their token is used', async () => {
    const { s } = await world('2026-03-02T08:00:00-08:00');
    const serial = s.entitlements().find((e) => e.status === 'PENDING')!.serialNumber;
    s.clock.set('2026-03-05T10:00:00');
    expect(s.pointsCharged({ serialNumber: serial })).toBe(0);
    s.useToken(serial);
    s.clock.set('2026-03-06T10:00:00');
    expect(s.pointsCharged({ serialNumber: serial })).toBe(2 * 10.33);
  });

  it('uses seed rates over derived ones', async () => {
    sim = await startSimulator({ seed: { ...defaultSeed(), rates: { 2198: 7 } } });
    const serial = serialOf(sim, 'branch-berlin-01');
    expect(sim.pointsCharged({ serialNumber: serial })).toBe(7);
  });

  it('entitlements/points reports per-entitlement ledger totals with both ends inclusive', async () => {
    const { s, api } = await world('2026-03-02T08:00:00-08:00');
    await api('entitlements/stop', { serialNumber: serialOf(s, 'branch-paris-01') });
    s.clock.set('2026-03-09T09:00:00');
    const range = { from: '2026-03-03', to: '2026-03-08' };
    const reply = await api('entitlements/points', { ...ACCOUNT, startDate: range.from, endDate: range.to });
    expect(reply.status).toBe(200);
    const rows: { serialNumber: string; accountId: number; points: number }[] = reply.body.entitlements;
    const total = rows.reduce((sum, row) => sum + row.points, 0);
    expect(Math.round(total * 100) / 100).toBe(s.pointsCharged(range));
    for (const row of rows)
      expect(row.points).toBe(s.pointsCharged({ serialNumber: row.serialNumber, ...range }));
    const berlin = rows.find((row) => row.serialNumber === serialOf(s, 'branch-berlin-01'))!;
    expect(berlin).toEqual({ serialNumber: berlin.serialNumber, accountId: 12345, points: 38.34 }); // 6 days × 6.39

    const oneDay = await api('entitlements/points', {
      configId: '2198',
      serialNumber: berlin.serialNumber,
      startDate: '2026-03-04',
      endDate: '2026-03-04',
    });
    expect(oneDay.body.entitlements).toEqual([
      { serialNumber: berlin.serialNumber, accountId: 12345, points: ENT2 },
    ]);
    const unscoped = await api('entitlements/points', { startDate: '2026-03-04', endDate: '2026-03-04' });
    expect(unscoped.status).toBe(400);
    const badDate = await api('entitlements/points', {
      configId: 2198,
      startDate: '03/04/2026',
      endDate: '2026-03-04',
    });
    expect(badDate.body.message).toBe('startDate: expected a date as YYYY-MM-DD');
  });
});
