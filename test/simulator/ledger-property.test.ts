/**
 * The incremental ledger against a straightforward reference: for every Pacific day, is any charged
 * interval (closed: the state holds at the instant it ends) touching it, and at which highest rate. Randomized histories cross PT midnights and both 2026
 * DST days (03-08 spring forward, 11-01 fall back).
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/simulator/ledger';

const PT = 'America/Los_Angeles';
const HOUR = 3_600_000;
const STATUSES = ['ACTIVE', 'STOPPED', 'PENDING', 'GRACE_PERIOD', 'EXPIRED'];
const CHARGED = new Set(['ACTIVE', 'GRACE_PERIOD']);
/** Rates with the API's two decimals, as seeds and tools/calc give them. */
const RATES = [0, 1.1, 6.39, 10.33, 12.91, 0.07];

/** Instants around each DST change: 2026-03-07 and 2026-10-31 00:00 PT ± a few days. */
const ANCHORS = [
  DateTime.fromISO('2026-03-06T00:00', { zone: PT }).toMillis(),
  DateTime.fromISO('2026-10-30T00:00', { zone: PT }).toMillis(),
];

interface Event {
  at: number;
  status: string;
  rate: number;
}

/** Days (YYYY-MM-DD) touched by the closed instant range [a, b], walking hour by hour then checking b. */
function daysTouched(a: number, b: number): string[] {
  const days = new Set<string>();
  for (let t = a; t <= b; t += HOUR) days.add(DateTime.fromMillis(t, { zone: PT }).toISODate()!);
  days.add(DateTime.fromMillis(b, { zone: PT }).toISODate()!);
  return [...days];
}

/** The reference: per-day max charged rate over the event list, then the inclusive range sum in cents. */
function reference(events: Event[], nowMs: number, from?: string, to?: string): number {
  // Same collapsing and clamping as the ledger contract: repeated (status, rate) is no change; no time travel.
  const history: Event[] = [];
  for (const e of events) {
    const last = history[history.length - 1];
    if (last && last.status === e.status && last.rate === e.rate) continue;
    history.push({ ...e, at: last ? Math.max(e.at, last.at) : e.at });
  }
  const perDay = new Map<string, number>();
  history.forEach((e, i) => {
    if (!CHARGED.has(e.status)) return;
    const next = history[i + 1];
    const end = next ? next.at : Math.max(nowMs, e.at);
    // Closed at both ends: the state holds at the instant of the next change too.
    for (const day of daysTouched(e.at, end)) perDay.set(day, Math.max(perDay.get(day) ?? 0, e.rate));
  });
  let cents = 0;
  for (const [day, rate] of perDay) {
    if ((from === undefined || day >= from) && (to === undefined || day <= to))
      cents += Math.round(rate * 100);
  }
  return cents / 100;
}

const arbHistory = fc.record({
  anchor: fc.constantFrom(...ANCHORS),
  // Steps of up to ~1.5 days, often landing near midnights: minutes of 0..2,200.
  steps: fc.array(
    fc.record({
      minutes: fc.oneof(fc.integer({ min: 0, max: 2200 }), fc.constant(0), fc.integer({ min: 0, max: 3 })),
      status: fc.constantFrom(...STATUSES),
      rate: fc.constantFrom(...RATES),
      backwards: fc.integer({ min: 0, max: 20 }).map((n) => n === 0),
    }),
    { minLength: 1, maxLength: 25 },
  ),
  tailMinutes: fc.integer({ min: 0, max: 3000 }),
  range: fc.tuple(fc.integer({ min: -1, max: 8 }), fc.integer({ min: -1, max: 8 })),
});

describe('incremental ledger', () => {
  it('matches the straightforward per-day reference over random histories', () => {
    fc.assert(
      fc.property(arbHistory, ({ anchor, steps, tailMinutes, range }) => {
        const ledger = new Ledger();
        const events: Event[] = [];
        let t = anchor;
        for (const step of steps) {
          // Now and then an event is stamped before the previous one (clock moved back): both clamp it.
          t = step.backwards ? t - step.minutes * 60_000 : t + step.minutes * 60_000;
          events.push({ at: t, status: step.status, rate: step.rate });
          ledger.record('S', t, step.status, step.rate);
        }
        const now = Math.max(...events.map((e) => e.at)) + tailMinutes * 60_000;
        const day = (offset: number): string | undefined =>
          offset < 0
            ? undefined
            : DateTime.fromMillis(anchor, { zone: PT }).plus({ days: offset }).toISODate()!;
        const [a, b] = range;
        expect(ledger.total('S', now)).toBe(reference(events, now));
        expect(ledger.total('S', now, day(a), day(b))).toBe(reference(events, now, day(a), day(b)));
        const daily = [...ledger.dailyCharges('S', now)].reduce(
          (sum, [, rate]) => sum + Math.round(rate * 100),
          0,
        );
        expect(daily / 100).toBe(reference(events, now));
      }),
      { numRuns: 300 },
    );
  });

  it('charges both DST days once: 23 h on 2026-03-08 and 25 h on 2026-11-01', () => {
    const ledger = new Ledger();
    const start = DateTime.fromISO('2026-03-08T00:00', { zone: PT }).toMillis();
    ledger.record('S', start, 'ACTIVE', 2);
    ledger.record('S', start + 23 * HOUR - 60_000, 'STOPPED', 2); // 23:59 PDT: nothing of 03-09 used
    expect(ledger.total('S', start + 100 * HOUR)).toBe(2);
    const fall = DateTime.fromISO('2026-11-01T00:00', { zone: PT }).toMillis();
    ledger.record('T', fall + 24 * HOUR, 'ACTIVE', 3); // 23:00 PST, still 11-01 on the 25 h day
    ledger.record('T', fall + 24.5 * HOUR, 'STOPPED', 3);
    expect([...ledger.dailyCharges('T', fall + 50 * HOUR)]).toEqual([['2026-11-01', 3]]);
  });
});
