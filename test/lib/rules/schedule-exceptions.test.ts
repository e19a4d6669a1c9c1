import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { compileSchedule, type ExceptionDef } from '../../../src/lib/rules';

const berlin = (local: string) => DateTime.fromISO(local, { zone: 'Europe/Berlin' }).toJSDate();
const office = (exceptions: ExceptionDef[], dates: string[] = []) =>
  compileSchedule('office', {
    timezone: 'Europe/Berlin',
    active: ['Mon-Fri 07:00-19:00'],
    holidays: { types: ['public'], dates },
    exceptions,
  });

describe('exceptions', () => {
  it('force inactive over business hours and active over a weekend, in local time', () => {
    const s = office([
      { from: '2026-12-28T00:00', to: '2027-01-02T00:00', state: 'inactive' },
      { from: '2026-06-13T08:00', to: '2026-06-14T20:00', state: 'active' },
    ]);
    expect(s.isActive(berlin('2026-12-29T10:00'))).toBe(false);
    expect(s.isActive(berlin('2026-06-13T07:59'))).toBe(false);
    expect(s.isActive(berlin('2026-06-13T08:00'))).toBe(true);
    expect(s.nextTransition(berlin('2026-06-13T08:00'))).toEqual({
      at: berlin('2026-06-14T20:00'),
      active: false,
    });
    expect(s.nextTransition(berlin('2026-12-25T19:00'))).toEqual({
      at: berlin('2027-01-04T07:00'),
      active: true,
    });
  });

  it('override holidays', () => {
    const s = office([{ from: '2026-12-24T09:00', to: '2026-12-24T12:00', state: 'active' }], ['2026-12-24']);
    expect(s.isActive(berlin('2026-12-24T08:00'))).toBe(false);
    expect(s.isActive(berlin('2026-12-24T09:00'))).toBe(true);
    expect(s.nextTransition(berlin('2026-12-24T09:00'))).toEqual({
      at: berlin('2026-12-24T12:00'),
      active: false,
    });
  });

  it('let the last listed exception win where they overlap', () => {
    const s = office([
      { from: '2026-06-08T00:00', to: '2026-06-13T00:00', state: 'inactive' },
      { from: '2026-06-10T09:00', to: '2026-06-10T17:00', state: 'active' },
    ]);
    expect(s.isActive(berlin('2026-06-09T10:00'))).toBe(false);
    expect(s.isActive(berlin('2026-06-10T10:00'))).toBe(true);
    expect(s.isActive(berlin('2026-06-10T17:30'))).toBe(false);
    const reversed = office([
      { from: '2026-06-10T09:00', to: '2026-06-10T17:00', state: 'active' },
      { from: '2026-06-08T00:00', to: '2026-06-13T00:00', state: 'inactive' },
    ]);
    expect(reversed.isActive(berlin('2026-06-10T10:00'))).toBe(false);
  });

  it('stop applying at their expiry, compared to the instant evaluated', () => {
    const s = office([
      { from: '2026-06-08T00:00', to: '2026-06-20T00:00', state: 'inactive', expires: '2026-06-10T12:00' },
    ]);
    expect(s.isActive(berlin('2026-06-10T11:59'))).toBe(false);
    expect(s.isActive(berlin('2026-06-10T12:00'))).toBe(true);
    expect(s.nextTransition(berlin('2026-06-09T12:00'))).toEqual({
      at: berlin('2026-06-10T12:00'),
      active: true,
    });
    const expired = office([
      { from: '2026-06-08T00:00', to: '2026-06-20T00:00', state: 'inactive', expires: '2026-06-01T00:00' },
    ]);
    expect(expired.isActive(berlin('2026-06-09T10:00'))).toBe(true);
  });

  it('make no transition where they agree with the base schedule', () => {
    const s = office([{ from: '2026-06-08T08:00', to: '2026-06-08T10:00', state: 'active' }]);
    expect(s.nextTransition(berlin('2026-06-08T07:30'))).toEqual({
      at: berlin('2026-06-08T19:00'),
      active: false,
    });
  });

  it('read a time in a spring-forward gap as the end of the gap', () => {
    const s = office([{ from: '2026-03-29T02:30', to: '2026-03-29T05:00', state: 'active' }]);
    expect(s.nextTransition(berlin('2026-03-28T20:00'))).toEqual({
      at: new Date('2026-03-29T01:00:00Z'),
      active: true,
    });
  });
});
