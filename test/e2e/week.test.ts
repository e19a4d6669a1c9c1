/**
 * End to end: the simulator, Azurite and the timer handler, driven hour by hour across a week in which
 * Europe/Berlin leaves summer time (Sunday 2026-10-25). At every step the entitlement states must match the
 * policy, and at the end the points the simulator's own ledger charged must equal the forecast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReconcileHandler } from '../../src/functions/reconcile';
import { forecast, parsePolicy, type Forecast } from '../../src/lib/rules';
import { defaultSeed } from '../../src/simulator';
import { createContext, createTimer } from '../support/functions';
import { RATES, startHarness, type Harness } from './harness';

const HOUR = 3_600_000;
/** Thursday 2026-10-22 00:00 Pacific (PDT) to Thursday 2026-10-29 00:00 Pacific: seven whole billing days. */
const FROM = new Date('2026-10-22T07:00:00Z');
const TO = new Date('2026-10-29T07:00:00Z');

const seed = defaultSeed();
// Every branch and lab entitlement starts ACTIVE so each one's bill depends only on the scaler.
seed.entitlements = seed.entitlements.map((e) =>
  e.status === 'STOPPED' && e.configId !== 2200 ? { ...e, status: 'ACTIVE' } : e,
);
const serialsIn = (region: string) =>
  seed.entitlements
    .filter((e) => e.folderPath === `My Assets/branches/${region}` && e.status === 'ACTIVE')
    .map((e) => e.serialNumber);
const EMEA = serialsIn('emea');
const AMERICAS = serialsIn('americas');
const LAB = seed.entitlements.filter((e) => e.description.startsWith('lab-')).map((e) => e.serialNumber);

const POLICY = `
fortiflex: { accountId: 12345, programSerialNumber: ELAVMR0000000519 }
safety: { maxActionsPerRun: 50, minActiveMinutesAfterReactivate: 60 }
schedules:
  office: { timezone: Europe/Berlin, active: ["Mon-Fri 07:00-19:00"] }
  us-store: { timezone: America/New_York, active: ["Mon-Fri 06:00-22:00", "Sat 08:00-14:00"] }
rules:
  - name: emea
    select: { serialNumbers: [${EMEA.join(', ')}] }
    schedule: office
    offHours: stop
  - name: americas
    select: { serialNumbers: [${AMERICAS.join(', ')}] }
    schedule: us-store
    offHours: stop
  - name: lab
    select: { descriptionPrefix: lab- }
    schedule: office
    offHours: stop
    billing: { stopTiming: lastSafeMoment, marginMinutes: 60 }
    enforce: always
rates: { 2198: 6.5, 2199: 3.25, 2200: 13 }
`;

/** Whether the forecast says the rule's entitlements are STOPPED at `at`. */
function expectedStopped(f: Forecast, rule: string, at: Date): boolean {
  const r = f.rules.find((x) => x.rule === rule)!;
  return r.windows.some(
    (w) =>
      w.stops && Date.parse(w.stopAt) <= at.getTime() && (w.end === null || at.getTime() < Date.parse(w.end)),
  );
}

describe('a simulated week with a DST change, hour by hour through the timer function', () => {
  let h: Harness;
  let predicted: Forecast;
  beforeAll(async () => {
    h = await startHarness({ seed: { ...seed, rates: RATES }, policy: POLICY, at: FROM.toISOString() });
    predicted = forecast({
      policy: parsePolicy(POLICY),
      entitlements: h.sim.entitlements(),
      from: FROM,
      to: TO,
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('keeps every entitlement in the state the policy wants and bills exactly the forecast', async () => {
    const handler = createReconcileHandler(async () => h.deps);
    const groups: [string, string[]][] = [
      ['emea', EMEA],
      ['americas', AMERICAS],
      ['lab', LAB],
    ];
    const mismatches: string[] = [];
    const errors: string[] = [];
    const transitions: string[] = [];
    let previous = new Map<string, string>();
    for (let at = FROM.getTime(); at < TO.getTime(); at += HOUR) {
      h.sim.clock.set(new Date(at));
      const { context, logs } = createContext('reconcile');
      await handler(createTimer(), context);
      errors.push(...logs.filter((l) => l.level === 'warning' || l.level === 'error').map((l) => l.message));
      const now = new Map(h.sim.entitlements().map((e) => [e.serialNumber, e.status]));
      for (const [rule, serials] of groups) {
        const want = expectedStopped(predicted, rule, new Date(at)) ? 'STOPPED' : 'ACTIVE';
        for (const serial of serials) {
          if (now.get(serial) !== want)
            mismatches.push(`${new Date(at).toISOString()} ${rule} ${serial}: ${now.get(serial)} ≠ ${want}`);
          if (previous.size > 0 && previous.get(serial) !== now.get(serial) && serial === serials[0]) {
            transitions.push(`${new Date(at).toISOString()} ${rule} → ${now.get(serial)}`);
          }
        }
      }
      previous = now;
    }
    expect(errors).toEqual([]);
    expect(mismatches).toEqual([]);
    // Berlin: off Fri 19:00 CEST (17:00Z), back Mon 07:00 CET (06:00Z, one hour later in UTC after the change);
    // New York: weekend from Sat 14:00 EDT; the lab stops just before Pacific Saturday.
    expect(transitions).toEqual([
      '2026-10-23T17:00:00.000Z emea → STOPPED',
      '2026-10-24T06:00:00.000Z lab → STOPPED',
      '2026-10-24T18:00:00.000Z americas → STOPPED',
      '2026-10-26T06:00:00.000Z emea → ACTIVE',
      '2026-10-26T06:00:00.000Z lab → ACTIVE',
      '2026-10-26T10:00:00.000Z americas → ACTIVE',
    ]);

    const managed = [...EMEA, ...AMERICAS, ...LAB];
    const rateOf = new Map(seed.entitlements.map((e) => [e.serialNumber, RATES[e.configId]!]));
    const days = 7;
    const alwaysOn = managed.reduce((sum, serial) => sum + rateOf.get(serial)! * days, 0);
    const charged = managed.reduce(
      (sum, serial) =>
        sum + h.sim.pointsCharged({ serialNumber: serial, from: '2026-10-22', to: '2026-10-28' }),
      0,
    );
    expect(predicted.totals.pointsSaved).toBeGreaterThan(0);
    expect(Math.round(charged * 100) / 100).toBe(
      Math.round((alwaysOn - predicted.totals.pointsSaved) * 100) / 100,
    );
    expect(predicted.totals.entitlementDaysSaved).toBe(managed.length);
  });
});
