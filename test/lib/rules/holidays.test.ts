import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  calendarHolidays,
  checkHolidayCalendar,
  compileSchedule,
  holidayPredicate,
  type HolidaysDef,
} from '../../../src/lib/rules';

const berlin = (local: string) => DateTime.fromISO(local, { zone: 'Europe/Berlin' }).toJSDate();
const office = (holidays: Partial<HolidaysDef>, active = ['Mon-Fri 07:00-19:00']) =>
  compileSchedule('office', {
    timezone: 'Europe/Berlin',
    active,
    holidays: { types: ['public'], dates: [], ...holidays },
    exceptions: [],
  });

describe('holiday calendars', () => {
  it('lists public holidays of a country and region', () => {
    const by = calendarHolidays('DE', 'BY', 2026);
    expect(by.has('2026-01-06')).toBe(true); // Epiphany: Bavaria only
    expect(by.has('2026-06-04')).toBe(true); // Corpus Christi
    expect(calendarHolidays('DE', 'BE', 2026).has('2026-01-06')).toBe(false);
    expect(calendarHolidays('DE', undefined, 2026).has('2026-10-03')).toBe(true);
  });

  it('covers every day of a multi-day holiday, also across the new year', () => {
    // Eid al-Fitr lasts three days in the United Arab Emirates' calendar.
    const ae = calendarHolidays('AE', undefined, 2026);
    expect(
      ['2026-03-19', '2026-03-20', '2026-03-21', '2026-03-22', '2026-03-23'].map((d) => ae.has(d)),
    ).toEqual([false, true, true, true, false]);
    // Eswatini's Incwala begins on 2025-12-28 and runs six days, into January 2026.
    expect(calendarHolidays('SZ', undefined, 2026).has('2026-01-02')).toBe(false);
    const sz = holidayPredicate({ country: 'SZ', types: ['public'], dates: [] });
    expect(['2025-12-28', '2026-01-02', '2026-01-03'].map(sz)).toEqual([true, true, false]);
  });

  it('takes only public holidays unless other types are asked for', () => {
    // Christmas Eve is a "bank" holiday in date-holidays' German calendar.
    expect(calendarHolidays('DE', 'BY', 2026).has('2026-12-24')).toBe(false);
    expect(calendarHolidays('DE', 'BY', 2026, ['public', 'bank']).has('2026-12-24')).toBe(true);
  });

  it('combines explicit dates with the calendar', () => {
    const isHoliday = holidayPredicate({
      country: 'DE',
      region: 'BY',
      types: ['public'],
      dates: ['2026-12-24'],
    });
    expect(['2026-12-24', '2026-12-25', '2026-12-23'].map(isHoliday)).toEqual([true, true, false]);
    expect(holidayPredicate({ types: ['public'], dates: ['2026-05-04'] })('2026-05-04')).toBe(true);
    expect(holidayPredicate(undefined)('2026-12-25')).toBe(false);
  });

  it.each([
    ['DE', 'BY', undefined],
    ['US', undefined, undefined],
    [
      'XX',
      undefined,
      {
        field: 'country',
        problem: 'unknown holiday country; expected an ISO 3166-1 alpha-2 code such as "DE" or "US"',
      },
    ],
    [
      'de',
      undefined,
      {
        field: 'country',
        problem: 'unknown holiday country; expected an ISO 3166-1 alpha-2 code such as "DE"',
      },
    ],
  ])('checks %s/%s', (country, region, expected) => {
    expect(checkHolidayCalendar(country, region)).toEqual(expected);
  });

  it('names the valid regions of a country', () => {
    expect(checkHolidayCalendar('DE', 'Bavaria')?.problem).toMatch(
      /^unknown region of DE; expected one of "BB", .*"BY"/,
    );
  });
});

describe('holidays in schedules', () => {
  it('makes the whole local day inactive', () => {
    const s = office({ country: 'DE', region: 'BY' });
    expect(s.isActive(berlin('2026-01-06T10:00'))).toBe(false); // Tuesday, Epiphany
    expect(s.isActive(berlin('2026-01-07T10:00'))).toBe(true);
    expect(s.nextTransition(berlin('2026-01-05T19:00'))).toEqual({
      at: berlin('2026-01-07T07:00'),
      active: true,
    });
  });

  it('blanks only the holiday part of an overnight span', () => {
    const s = office({ dates: ['2026-01-06'] }, ['Mon-Fri 22:00-06:00']);
    expect(s.isActive(berlin('2026-01-05T23:00'))).toBe(true);
    expect(s.isActive(berlin('2026-01-06T01:00'))).toBe(false);
    expect(s.nextTransition(berlin('2026-01-05T22:30'))).toEqual({
      at: berlin('2026-01-06T00:00'),
      active: false,
    });
    // The holiday's own evening hours are off; the part of its span on the next (working) day is kept.
    expect(s.isActive(berlin('2026-01-06T22:30'))).toBe(false);
    expect(s.nextTransition(berlin('2026-01-06T00:00'))).toEqual({
      at: berlin('2026-01-07T00:00'),
      active: true,
    });
  });

  it('uses the date in the schedule zone, not in UTC', () => {
    const s = compileSchedule('ny', {
      timezone: 'America/New_York',
      active: ['daily 00:00-24:00'],
      holidays: { types: ['public'], dates: ['2026-07-06'] },
      exceptions: [],
    });
    // 2026-07-07T02:00Z is still 2026-07-06 22:00 in New York.
    expect(s.isActive(new Date('2026-07-07T02:00:00Z'))).toBe(false);
    expect(s.isActive(new Date('2026-07-07T04:00:00Z'))).toBe(true);
    expect(s.nextTransition(new Date('2026-07-06T12:00:00Z'))).toEqual({
      at: new Date('2026-07-07T04:00:00Z'),
      active: true,
    });
  });
});
