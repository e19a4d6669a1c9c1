import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { compileSchedule, offsetMinutes, parseSpan, type ExceptionDef } from '../../../src/lib/rules';
import { PROPERTY_ZONES } from '../../support/zones';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const START = Date.UTC(2026, 0, 1);
const YEAR = 365 * 86_400_000;

const time = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const day = fc.constantFrom(...DAYS);
const span = fc
  .oneof(
    fc.tuple(day, day, time, time).map(([a, b, s, e]) => `${a}-${b} ${s}-${e}`),
    fc.tuple(day, time, time).map(([a, s, e]) => `${a} ${s}-${e}`),
    fc.tuple(time, time).map(([s, e]) => `${s}-${e}`),
    fc.tuple(day, time, day, time).map(([a, s, b, e]) => `${a} ${s}-${b} ${e}`),
    fc.tuple(fc.subarray(DAYS, { minLength: 1 }), time).map(([ds, s]) => `${ds.join(',')} ${s}-24:00`),
  )
  .filter((text) => parseSpan(text).ok);

const localStamp = fc
  .integer({ min: 0, max: 364 * 96 })
  .map((q) => DateTime.fromMillis(START + q * 900_000, { zone: 'UTC' }).toFormat("yyyy-MM-dd'T'HH:mm"));
const exception: fc.Arbitrary<ExceptionDef> = fc
  .tuple(
    localStamp,
    fc.integer({ min: 1, max: 7 * 96 }),
    fc.boolean(),
    fc.option(fc.integer({ min: 0, max: 96 * 8 })),
  )
  .map(([from, quarters, active, expiresAfter]) => {
    const f = DateTime.fromISO(from, { zone: 'UTC' });
    const fmt = (d: DateTime) => d.toFormat("yyyy-MM-dd'T'HH:mm");
    return {
      from,
      to: fmt(f.plus({ minutes: quarters * 15 })),
      state: active ? 'active' : 'inactive',
      ...(expiresAfter === null ? {} : { expires: fmt(f.plus({ minutes: expiresAfter * 15 })) }),
    };
  });

const scheduleArb = fc.record({
  zone: fc.constantFrom(...PROPERTY_ZONES),
  active: fc.array(span, { maxLength: 4 }),
  dates: fc.array(
    localStamp.map((s) => s.slice(0, 10)),
    { maxLength: 3 },
  ),
  exceptions: fc.array(exception, { maxLength: 3 }),
});
const instant = fc.integer({ min: 0, max: YEAR }).map((ms) => new Date(START + ms));

describe('schedule properties', () => {
  it('nextTransition agrees with isActive: constant before it, flipped at it, on a minute boundary', () => {
    fc.assert(
      fc.property(
        scheduleArb,
        instant,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        (def, after, samples) => {
          const s = compileSchedule('p', {
            timezone: def.zone,
            active: def.active,
            holidays: { country: 'DE', types: ['public'], dates: def.dates },
            exceptions: def.exceptions,
          });
          const before = s.isActive(after);
          const next = s.nextTransition(after, 30);
          const end = next ? next.at.getTime() : after.getTime() + 30 * 86_400_000;
          for (const f of samples) {
            const t = after.getTime() + Math.floor(f * (end - after.getTime() - 1));
            expect(s.isActive(new Date(t))).toBe(before);
          }
          if (next) {
            expect(next.at.getTime()).toBeGreaterThan(after.getTime());
            expect(next.at.getTime() % 60_000).toBe(0);
            expect(next.active).toBe(!before);
            expect(s.isActive(next.at)).toBe(next.active);
            expect(s.isActive(new Date(next.at.getTime() - 1))).toBe(before);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('away from DST changes, isActive equals reading the local wall clock', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PROPERTY_ZONES),
        fc.array(span, { minLength: 1, maxLength: 4 }),
        instant,
        (zone, active, at) => {
          const ms = at.getTime();
          fc.pre(offsetMinutes(zone, ms - 3 * 86_400_000) === offsetMinutes(zone, ms + 3 * 86_400_000));
          const s = compileSchedule('p', { timezone: zone, active, exceptions: [] });
          const local = DateTime.fromMillis(ms, { zone });
          const minuteOfWeek = (local.weekday - 1) * 1440 + local.hour * 60 + local.minute;
          const expected = active.some((text) => {
            const parsed = parseSpan(text);
            return (
              parsed.ok &&
              parsed.spans.some((sp) => {
                const offset = (((minuteOfWeek - sp.startMinute) % 10080) + 10080) % 10080;
                return offset < sp.durationMinutes;
              })
            );
          });
          expect(s.isActive(at)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
