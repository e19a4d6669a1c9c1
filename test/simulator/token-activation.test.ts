import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { connect, type Reply } from './helpers';

let sim: SimulatorHandle;
let api: (endpoint: string, body?: unknown) => Promise<Reply>;

beforeEach(async () => {
  sim = await startSimulator();
  api = await connect(sim);
});
afterEach(async () => sim.stop());

const bySerial = (serial: string) => sim.entitlements().find((e) => e.serialNumber === serial)!;
const first = (status: string, tokenStatus: string) =>
  sim.entitlements().find((e) => e.status === status && e.tokenStatus === tokenStatus)!;

describe('FortiFlex token activation (what a FortiGate licence download asks FortiCare)', () => {
  it('activates an unused PENDING token: the entitlement turns ACTIVE now and starts charging today', () => {
    const pending = first('PENDING', 'NOTUSED');
    expect(sim.pointsCharged({ serialNumber: pending.serialNumber })).toBe(0);
    expect(sim.activateToken(pending.token)).toEqual({ ok: true, serialNumber: pending.serialNumber });
    expect(bySerial(pending.serialNumber)).toMatchObject({ status: 'ACTIVE', tokenStatus: 'USED' });
    expect(sim.entitlementStatus(pending.serialNumber)).toBe('ACTIVE');
    expect(sim.pointsCharged({ serialNumber: pending.serialNumber })).toBeGreaterThan(0);
  });

  it('refuses a token used before, and leaves the entitlement as it was', () => {
    const pending = first('PENDING', 'NOTUSED');
    sim.activateToken(pending.token);
    expect(sim.activateToken(pending.token)).toEqual({ ok: false, reason: 'used' });
    const used = first('ACTIVE', 'USED');
    expect(sim.activateToken(used.token)).toEqual({ ok: false, reason: 'used' });
    expect(bySerial(used.serialNumber)).toMatchObject({ status: 'ACTIVE', tokenStatus: 'USED' });
  });

  it('refuses unknown tokens and tokens replaced by a regeneration', async () => {
    expect(sim.activateToken('0000000000DEADBEEF00')).toEqual({ ok: false, reason: 'invalid' });
    expect(sim.activateToken('')).toEqual({ ok: false, reason: 'invalid' });
    const pending = first('PENDING', 'NOTUSED');
    const regenerated = await api('entitlements/vm/token', { serialNumber: pending.serialNumber });
    const fresh = regenerated.body.entitlements[0].token as string;
    expect(fresh).not.toBe(pending.token);
    expect(sim.activateToken(pending.token)).toEqual({ ok: false, reason: 'invalid' });
    expect(bySerial(pending.serialNumber).status).toBe('PENDING');
    expect(sim.activateToken(fresh)).toEqual({ ok: true, serialNumber: pending.serialNumber });
  });

  it('gives no licence for the fresh token of a STOPPED entitlement until it is reactivated', async () => {
    const stopped = first('STOPPED', 'USED');
    const regenerated = await api('entitlements/vm/token', { serialNumber: stopped.serialNumber });
    const token = regenerated.body.entitlements[0].token as string;
    expect(sim.activateToken(token)).toEqual({ ok: false, reason: 'notActive', status: 'STOPPED' });
    expect(bySerial(stopped.serialNumber)).toMatchObject({ status: 'STOPPED', tokenStatus: 'NOTUSED' });
    await api('entitlements/reactivate', { serialNumber: stopped.serialNumber });
    expect(sim.activateToken(token)).toEqual({ ok: true, serialNumber: stopped.serialNumber });
    expect(bySerial(stopped.serialNumber)).toMatchObject({ status: 'ACTIVE', tokenStatus: 'USED' });
  });

  it('reports no status for an unknown serial', () => {
    expect(sim.entitlementStatus('FGVMMLTM99999999')).toBeUndefined();
  });
});
