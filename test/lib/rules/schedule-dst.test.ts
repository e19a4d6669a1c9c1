/**
 * Schedules on both DST transition days of every zone the rule tests use. Expected instants are written out
 * in UTC by hand from the zones' offsets, so the tests do not trust the code under test for the answer.
 *
 * Meaning pinned here: a local time in a spring-forward gap is the first instant after the gap; a local
 * time that occurs twice on a fall-back night is its first occurrence.
 */
import { describe, expect, it } from 'vitest';
import { compileSchedule, isoToDayNumber, localToInstant, parseLocalDateTime } from '../../../src/lib/rules';

const utc = (iso: string) => new Date(`${iso}Z`);

interface DstCase {
  zone: string;
  kind: 'spring' | 'fall' | 'none';
  /** The local calendar day under test. */
  day: string;
  /** `daily 02:30-04:00` (or 01:30 for US zones, whose ambiguous hour is 01:00-02:00) starts at: */
  ambiguousStart: string;
  /** … and ends at: */
  ambiguousEnd: string;
  /** `22:00-06:00` starting the evening before `day`: start and end instants. */
  overnight: [string, string];
  /** Local 07:00 on `day`. */
  seven: string;
}

/** Cases for a fixed-offset zone on every date the DST zones above switch on. */
function noDst(zone: string, offsetHours: number): DstCase[] {
  return ['2026-03-08', '2026-03-29', '2026-10-25', '2026-11-01'].map((day) => {
    const d = new Date(`${day}T00:00:00Z`).getTime();
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    const h = 3_600_000;
    const off = offsetHours * h;
    return {
      zone,
      kind: 'none',
      day,
      ambiguousStart: iso(d + 2.5 * h - off),
      ambiguousEnd: iso(d + 4 * h - off),
      overnight: [iso(d - 2 * h - off), iso(d + 6 * h - off)],
      seven: iso(d + 7 * h - off),
    };
  });
}

/** The Europe/Berlin case for one of its two DST days (defined in the table below). */
function berlinCase(day: string): DstCase {
  return cases.find((c) => c.zone === 'Europe/Berlin' && c.day === day)!;
}

const cases: DstCase[] = [
  // Europe/Berlin: CET +1 / CEST +2; gap 02:00-03:00 on 2026-03-29, repeated 02:00-03:00 on 2026-10-25.
  {
    zone: 'Europe/Berlin',
    kind: 'spring',
    day: '2026-03-29',
    ambiguousStart: '2026-03-29T01:00', // 02:30 does not exist → 03:00 CEST
    ambiguousEnd: '2026-03-29T02:00', // 04:00 CEST
    overnight: ['2026-03-28T21:00', '2026-03-29T04:00'], // 7 real hours
    seven: '2026-03-29T05:00',
  },
  {
    zone: 'Europe/Berlin',
    kind: 'fall',
    day: '2026-10-25',
    ambiguousStart: '2026-10-25T00:30', // first 02:30 is CEST
    ambiguousEnd: '2026-10-25T03:00', // 04:00 CET
    overnight: ['2026-10-24T20:00', '2026-10-25T05:00'], // 9 real hours
    seven: '2026-10-25T06:00',
  },
  // America/New_York: EST -5 / EDT -4; gap 02:00-03:00 on 2026-03-08, repeated 01:00-02:00 on 2026-11-01.
  {
    zone: 'America/New_York',
    kind: 'spring',
    day: '2026-03-08',
    ambiguousStart: '2026-03-08T07:00', // 02:30 → 03:00 EDT
    ambiguousEnd: '2026-03-08T08:00',
    overnight: ['2026-03-08T03:00', '2026-03-08T10:00'],
    seven: '2026-03-08T11:00',
  },
  {
    zone: 'America/New_York',
    kind: 'fall',
    day: '2026-11-01',
    ambiguousStart: '2026-11-01T05:30', // 01:30, first occurrence (EDT)
    ambiguousEnd: '2026-11-01T09:00', // 04:00 EST
    overnight: ['2026-11-01T02:00', '2026-11-01T11:00'],
    seven: '2026-11-01T12:00',
  },
  // America/Los_Angeles: PST -8 / PDT -7, same days as New York.
  {
    zone: 'America/Los_Angeles',
    kind: 'spring',
    day: '2026-03-08',
    ambiguousStart: '2026-03-08T10:00',
    ambiguousEnd: '2026-03-08T11:00',
    overnight: ['2026-03-08T06:00', '2026-03-08T13:00'],
    seven: '2026-03-08T14:00',
  },
  {
    zone: 'America/Los_Angeles',
    kind: 'fall',
    day: '2026-11-01',
    ambiguousStart: '2026-11-01T08:30',
    ambiguousEnd: '2026-11-01T12:00',
    overnight: ['2026-11-01T05:00', '2026-11-01T14:00'],
    seven: '2026-11-01T15:00',
  },
  // Australia/Sydney: AEST +10 / AEDT +11; DST ends 2026-04-05 (02:00-03:00 twice), starts 2026-10-04 (gap).
  {
    zone: 'Australia/Sydney',
    kind: 'fall',
    day: '2026-04-05',
    ambiguousStart: '2026-04-04T15:30', // first 02:30 is AEDT
    ambiguousEnd: '2026-04-04T18:00', // 04:00 AEST
    overnight: ['2026-04-04T11:00', '2026-04-04T20:00'],
    seven: '2026-04-04T21:00',
  },
  {
    zone: 'Australia/Sydney',
    kind: 'spring',
    day: '2026-10-04',
    ambiguousStart: '2026-10-03T16:00', // 02:30 → 03:00 AEDT
    ambiguousEnd: '2026-10-03T17:00',
    overnight: ['2026-10-03T12:00', '2026-10-03T19:00'],
    seven: '2026-10-03T20:00',
  },
  // Zones without DST (Kolkata +05:30, Tokyo +09:00, Buenos Aires -03:00, UTC): the dates other zones
  // switch on behave like any other day.
  ...noDst('Asia/Kolkata', 5.5),
  ...noDst('Asia/Tokyo', 9),
  ...noDst('America/Argentina/Buenos_Aires', -3),
  ...noDst('Etc/UTC', 0),
];
// Europe/Oslo shares Berlin's rules (CET/CEST, same transition instants): the same expected instants.
cases.push(...['2026-03-29', '2026-10-25'].map((day) => ({ ...berlinCase(day), zone: 'Europe/Oslo' })));

/** US zones repeat 01:00-02:00 on their fall-back night (Europe and Sydney repeat 02:00-03:00). */
const usZone = (zone: string) => zone === 'America/New_York' || zone === 'America/Los_Angeles';

describe.each(cases)('$zone on $day ($kind)', (c) => {
  const ambiguousSpan = usZone(c.zone) ? 'daily 01:30-04:00' : 'daily 02:30-04:00';
  const build = (active: string) =>
    compileSchedule('s', { timezone: c.zone, active: [active], exceptions: [] });

  it(`${ambiguousSpan}: gap → first instant after it, repeated time → first occurrence`, () => {
    const s = build(c.kind === 'spring' && usZone(c.zone) ? 'daily 02:30-04:00' : ambiguousSpan);
    const from = new Date(utc(c.ambiguousStart).getTime() - 6 * 3_600_000);
    expect(s.nextTransition(from)).toEqual({ at: utc(c.ambiguousStart), active: true });
    expect(s.nextTransition(utc(c.ambiguousStart))).toEqual({ at: utc(c.ambiguousEnd), active: false });
    expect(s.isActive(new Date(utc(c.ambiguousStart).getTime() - 1))).toBe(false);
    expect(s.isActive(new Date(utc(c.ambiguousEnd).getTime() - 1))).toBe(true);
  });

  it('overnight 22:00-06:00 lasts the wall-clock hours of that night', () => {
    const s = build('22:00-06:00');
    const [start, end] = c.overnight;
    expect(s.nextTransition(new Date(utc(start).getTime() - 3_600_000))).toEqual({
      at: utc(start),
      active: true,
    });
    expect(s.nextTransition(utc(start))).toEqual({ at: utc(end), active: false });
    const hours = (utc(end).getTime() - utc(start).getTime()) / 3_600_000;
    expect(hours).toBe(c.kind === 'spring' ? 7 : c.kind === 'fall' ? 9 : 8);
  });

  it('07:00-19:00 starts at local 07:00 of the new offset', () => {
    const s = build('daily 07:00-19:00');
    expect(s.nextTransition(utc(c.ambiguousEnd))).toEqual({ at: utc(c.seven), active: true });
    expect(s.isActive(utc(c.seven))).toBe(true);
  });
});

describe('localToInstant', () => {
  it('maps the whole gap to its end and repeated times to their first occurrence (Berlin)', () => {
    const spring = isoToDayNumber('2026-03-29');
    for (const minute of [120, 150, 179]) {
      expect(new Date(localToInstant('Europe/Berlin', spring, minute))).toEqual(utc('2026-03-29T01:00'));
    }
    expect(new Date(localToInstant('Europe/Berlin', spring, 180))).toEqual(utc('2026-03-29T01:00'));
    expect(new Date(localToInstant('Europe/Berlin', spring, 119))).toEqual(utc('2026-03-29T00:59'));
    const fall = isoToDayNumber('2026-10-25');
    expect(new Date(localToInstant('Europe/Berlin', fall, 120))).toEqual(utc('2026-10-25T00:00'));
    expect(new Date(localToInstant('Europe/Berlin', fall, 179))).toEqual(utc('2026-10-25T00:59'));
    expect(new Date(localToInstant('Europe/Berlin', fall, 180))).toEqual(utc('2026-10-25T02:00'));
  });

  it('treats a span ending inside the repeated hour as ended at its first occurrence', () => {
    // New York 2026-11-01: 01:15 happens at 05:15Z (EDT) and again at 06:15Z (EST).
    const s = compileSchedule('s', {
      timezone: 'America/New_York',
      active: ['daily 00:00-01:30'],
      exceptions: [],
    });
    expect(s.isActive(utc('2026-11-01T05:15'))).toBe(true);
    expect(s.isActive(utc('2026-11-01T05:30'))).toBe(false);
    expect(s.isActive(utc('2026-11-01T06:15'))).toBe(false);
  });

  it('drops a span lying wholly inside a spring-forward gap on that day only', () => {
    const s = compileSchedule('s', {
      timezone: 'Europe/Berlin',
      active: ['daily 02:15-02:45'],
      exceptions: [],
    });
    expect(s.nextTransition(utc('2026-03-28T12:00'))).toEqual({ at: utc('2026-03-30T00:15'), active: true });
  });
});

/** The Sunday each zone changes offset on (Kolkata: an ordinary Sunday), as whole-local-day instants. */
const sundays: { zone: string; day: string; start: string; end: string; hours: number }[] = [
  { zone: 'Europe/Berlin', day: '2026-03-29', start: '2026-03-28T23:00', end: '2026-03-29T22:00', hours: 23 },
  { zone: 'Europe/Berlin', day: '2026-10-25', start: '2026-10-24T22:00', end: '2026-10-25T23:00', hours: 25 },
  {
    zone: 'America/New_York',
    day: '2026-03-08',
    start: '2026-03-08T05:00',
    end: '2026-03-09T04:00',
    hours: 23,
  },
  {
    zone: 'America/New_York',
    day: '2026-11-01',
    start: '2026-11-01T04:00',
    end: '2026-11-02T05:00',
    hours: 25,
  },
  {
    zone: 'America/Los_Angeles',
    day: '2026-03-08',
    start: '2026-03-08T08:00',
    end: '2026-03-09T07:00',
    hours: 23,
  },
  {
    zone: 'America/Los_Angeles',
    day: '2026-11-01',
    start: '2026-11-01T07:00',
    end: '2026-11-02T08:00',
    hours: 25,
  },
  {
    zone: 'Australia/Sydney',
    day: '2026-04-05',
    start: '2026-04-04T13:00',
    end: '2026-04-05T14:00',
    hours: 25,
  },
  {
    zone: 'Australia/Sydney',
    day: '2026-10-04',
    start: '2026-10-03T14:00',
    end: '2026-10-04T13:00',
    hours: 23,
  },
  { zone: 'Asia/Kolkata', day: '2026-03-29', start: '2026-03-28T18:30', end: '2026-03-29T18:30', hours: 24 },
];

describe.each(sundays)('whole local day $day in $zone', (c) => {
  it(`"Sun 00:00-24:00" covers exactly the ${c.hours} real hours of the day`, () => {
    const s = compileSchedule('s', { timezone: c.zone, active: ['Sun 00:00-24:00'], exceptions: [] });
    expect((utc(c.end).getTime() - utc(c.start).getTime()) / 3_600_000).toBe(c.hours);
    expect(s.nextTransition(new Date(utc(c.start).getTime() - 86_400_000))).toEqual({
      at: utc(c.start),
      active: true,
    });
    expect(s.nextTransition(utc(c.start))).toEqual({ at: utc(c.end), active: false });
  });

  it('a holiday on that day is inactive from its first to its last instant, not 24 hours', () => {
    const s = compileSchedule('s', {
      timezone: c.zone,
      active: ['daily 00:00-24:00'],
      holidays: { types: ['public'], dates: [c.day] },
      exceptions: [],
    });
    expect(s.isActive(new Date(utc(c.start).getTime() - 1))).toBe(true);
    expect(s.nextTransition(new Date(utc(c.start).getTime() - 3_600_000))).toEqual({
      at: utc(c.start),
      active: false,
    });
    expect(s.nextTransition(utc(c.start))).toEqual({ at: utc(c.end), active: true });
  });
});

describe('week-wrapping spans across a DST change', () => {
  it.each([
    // Fri 18:00 in the old offset → Mon 06:00 in the new one.
    ['Europe/Berlin', '2026-03-26T12:00', '2026-03-27T17:00', '2026-03-30T04:00'],
    ['Europe/Berlin', '2026-10-22T12:00', '2026-10-23T16:00', '2026-10-26T05:00'],
    ['America/New_York', '2026-03-05T12:00', '2026-03-06T23:00', '2026-03-09T10:00'],
    ['America/Los_Angeles', '2026-10-29T12:00', '2026-10-31T01:00', '2026-11-02T14:00'],
    ['Australia/Sydney', '2026-04-02T00:00', '2026-04-03T07:00', '2026-04-05T20:00'],
  ])('"Fri 18:00-Mon 06:00" in %s', (zone, from, start, end) => {
    const s = compileSchedule('s', { timezone: zone, active: ['Fri 18:00-Mon 06:00'], exceptions: [] });
    expect(s.nextTransition(utc(from))).toEqual({ at: utc(start), active: true });
    expect(s.nextTransition(utc(start))).toEqual({ at: utc(end), active: false });
  });

  it('a span ending inside the spring gap ends where the gap ends', () => {
    const s = compileSchedule('s', {
      timezone: 'Europe/Berlin',
      active: ['Sat 22:00-Sun 02:30'],
      exceptions: [],
    });
    expect(s.nextTransition(utc('2026-03-28T21:00'))).toEqual({ at: utc('2026-03-29T01:00'), active: false });
  });
});

describe('exception edges on DST days (Europe/Berlin)', () => {
  const only = (from: string, to: string, expires?: string) =>
    compileSchedule('s', {
      timezone: 'Europe/Berlin',
      active: [],
      exceptions: [{ from, to, state: 'active', ...(expires !== undefined && { expires }) }],
    });

  it('reads repeated local times as their first occurrence', () => {
    const s = only('2026-10-25T02:30', '2026-10-25T02:45');
    expect(s.nextTransition(utc('2026-10-24T12:00'))).toEqual({ at: utc('2026-10-25T00:30'), active: true });
    expect(s.nextTransition(utc('2026-10-25T00:30'))).toEqual({ at: utc('2026-10-25T00:45'), active: false });
    // The second 02:30 (CET, 01:30Z) is not covered.
    expect(s.isActive(utc('2026-10-25T01:30'))).toBe(false);
  });

  it('ends an exception, or its expiry, that falls in the gap at the end of the gap', () => {
    expect(only('2026-03-29T01:00', '2026-03-29T02:30').nextTransition(utc('2026-03-29T00:00'))).toEqual({
      at: utc('2026-03-29T01:00'),
      active: false,
    });
    const expiring = only('2026-03-29T01:00', '2026-03-29T06:00', '2026-03-29T02:15');
    expect(expiring.nextTransition(utc('2026-03-29T00:00'))).toEqual({
      at: utc('2026-03-29T01:00'),
      active: false,
    });
    expect(expiring.isActive(utc('2026-03-29T01:00'))).toBe(false);
  });

  it('ignores an exception lying wholly inside the gap', () => {
    const s = only('2026-03-29T02:10', '2026-03-29T02:40');
    expect(s.isActive(utc('2026-03-29T01:00'))).toBe(false);
    expect(s.nextTransition(utc('2026-03-28T12:00'), 5)).toBeNull();
  });
});

describe('parseLocalDateTime', () => {
  it('maps a time with seconds inside the gap to the end of the gap, and keeps seconds elsewhere', () => {
    expect(parseLocalDateTime('Europe/Berlin', '2026-03-29T02:30:15')).toBe(
      utc('2026-03-29T01:00').getTime(),
    );
    expect(parseLocalDateTime('Europe/Berlin', '2026-03-29T03:00:15')).toBe(
      utc('2026-03-29T01:00').getTime() + 15_000,
    );
    expect(parseLocalDateTime('Europe/Berlin', '2026-10-25T02:30:07')).toBe(
      utc('2026-10-25T00:30').getTime() + 7_000,
    );
    expect(parseLocalDateTime('Europe/Berlin', '2026-03-28T24:00')).toBe(utc('2026-03-28T23:00').getTime());
    expect(parseLocalDateTime('Europe/Berlin', '2026-03-28T24:01')).toBeUndefined();
  });
});
