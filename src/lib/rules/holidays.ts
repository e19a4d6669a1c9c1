/**
 * Holiday calendars: country/region calendars from date-holidays plus explicit dates. A holiday is a whole
 * local calendar day (`YYYY-MM-DD`) in the schedule's own zone.
 */
import Holidays from 'date-holidays';
import type { HolidaysDef, HolidayType } from './types';

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

/** Holiday dates (`YYYY-MM-DD`) of a country/region calendar in one year, for the given holiday types. */
export function calendarHolidays(
  country: string,
  region: string | undefined,
  year: number,
  types: readonly HolidayType[] = ['public'],
): ReadonlySet<string> {
  const key = `${country}/${region ?? ''}/${year}/${[...types].sort().join(',')}`;
  let dates = years.get(key);
  if (!dates) {
    dates = new Set(
      calendar(country, region)
        .getHolidays(year)
        .filter((h) => (types as readonly string[]).includes(h.type))
        .map((h) => h.date.slice(0, 10)),
    );
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
  return (iso) => explicit.has(iso) || calendarHolidays(country, region, +iso.slice(0, 4), types).has(iso);
}
