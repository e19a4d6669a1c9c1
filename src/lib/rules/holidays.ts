/**
 * Holiday calendars: country/region calendars from date-holidays plus explicit dates. A holiday is a whole
 * local calendar day (`YYYY-MM-DD`) in the schedule's own zone.
 */
import Holidays from 'date-holidays';
import { dayNumberToIso, isoToDayNumber, localDayNumber, startOfLocalDay } from './time';
import type { HolidaysDef, HolidayType } from './types';

const HOUR_MS = 3_600_000;

const calendars = new Map<string, Holidays>();
const years = new Map<string, Set<string>>();
let countries: Record<string, string> | undefined;

function calendar(country: string, region?: string): Holidays {
  const key = `${country}/${region ?? ''}`;
  let hd = calendars.get(key);
  if (!hd) {
    hd = region ? new Holidays(country, region) : new Holidays(country);
    calendars.set(key, hd);
  }
  return hd;
}

/**
 * Checks a country/region pair against date-holidays. Returns undefined when known, else the problem with
 * the accepted form, and which field is wrong.
 */
export function checkHolidayCalendar(
  country: string,
  region?: string,
): { field: 'country' | 'region'; problem: string } | undefined {
  countries ??= new Holidays().getCountries();
  if (!Object.prototype.hasOwnProperty.call(countries, country)) {
    const upper = country.toUpperCase();
    const hint = Object.prototype.hasOwnProperty.call(countries, upper) ? `"${upper}"` : '"DE" or "US"';
    return {
      field: 'country',
      problem: `unknown holiday country; expected an ISO 3166-1 alpha-2 code such as ${hint}`,
    };
  }
  if (region !== undefined) {
    const states = new Holidays().getStates(country) ?? {};
    if (!Object.prototype.hasOwnProperty.call(states, region)) {
      const codes = Object.keys(states);
      return {
        field: 'region',
        problem: codes.length
          ? `unknown region of ${country}; expected one of ${codes.map((c) => `"${c}"`).join(', ')}`
          : `${country} has no regions in the holiday calendar; expected no region`,
      };
    }
  }
  return undefined;
}

/**
 * Holiday dates (`YYYY-MM-DD`) of a country/region calendar for the holidays that begin in `year`, for the
 * given holiday types. A holiday lasting several days (Eid al-Fitr is three in many calendars) contributes
 * every one of its days, including days that fall into the next year.
 */
export function calendarHolidays(
  country: string,
  region: string | undefined,
  year: number,
  types: readonly HolidayType[] = ['public'],
): ReadonlySet<string> {
  const key = `${country}/${region ?? ''}/${year}/${[...types].sort().join(',')}`;
  let dates = years.get(key);
  if (!dates) {
    dates = new Set();
    for (const h of calendar(country, region).getHolidays(year)) {
      if (!(types as readonly string[]).includes(h.type)) continue;
      const first = isoToDayNumber(h.date.slice(0, 10));
      // Local days touched, counted from midnight of the first; the hour of slack absorbs a DST change
      // inside a multi-day holiday. Half-day holidays (Christmas Eve from 14:00) blank their whole day.
      const startHour = Number(h.date.slice(11, 13)) || 0;
      const hours = (h.end.getTime() - h.start.getTime()) / HOUR_MS + startHour;
      const days = Math.max(1, Math.ceil((hours - 1) / 24));
      for (let d = 0; d < days; d++) dates.add(dayNumberToIso(first + d));
    }
    years.set(key, dates);
  }
  return dates;
}

/** A predicate telling whether a local date (`YYYY-MM-DD`) is a holiday under `def`. */
export function holidayPredicate(def: HolidaysDef | undefined): (isoDate: string) => boolean {
  if (!def) return () => false;
  const explicit = new Set(def.dates);
  const { country, region, types } = def;
  if (!country) return (iso) => explicit.has(iso);
  return (iso) => {
    if (explicit.has(iso)) return true;
    const year = +iso.slice(0, 4);
    // A holiday that began late in the previous year may still cover early January.
    return (
      calendarHolidays(country, region, year, types).has(iso) ||
      calendarHolidays(country, region, year - 1, types).has(iso)
    );
  };
}

/** A holiday of a schedule as instants: its whole local day in the schedule's zone. */
export interface HolidayDay {
  /** Local date, `YYYY-MM-DD`. */
  date: string;
  /** ISO instants of the local day's first instant and of the next day's. */
  start: string;
  end: string;
}

/**
 * The holidays of `def` (in `zone`) whose local day overlaps [from, to), for pictures and status pages. A
 * holiday makes its day inactive unless an exception says otherwise; the schedule itself decides that.
 */
export function holidaysBetween(
  def: HolidaysDef | undefined,
  zone: string,
  from: Date,
  to: Date,
): HolidayDay[] {
  if (!def || (!def.country && def.dates.length === 0)) return [];
  const isHoliday = holidayPredicate(def);
  const out: HolidayDay[] = [];
  const last = localDayNumber(zone, to.getTime() - 1);
  for (let day = localDayNumber(zone, from.getTime()); day <= last; day++) {
    const date = dayNumberToIso(day);
    if (!isHoliday(date)) continue;
    out.push({
      date,
      start: new Date(startOfLocalDay(zone, day)).toISOString(),
      end: new Date(startOfLocalDay(zone, day + 1)).toISOString(),
    });
  }
  return out;
}
