/**
 * Date options of the API commands: any ISO 8601 date or date-time, normalised to what FortiFlex takes.
 * FortiFlex reads dates without an offset as Pacific local time, so a value with a zone
 * designator (`Z`, `+02:00`) is converted to Pacific time; a value without one is taken as written.
 */
import { DateTime } from 'luxon';
import { BILLING_ZONE as PACIFIC } from '../lib/rules';
import { UsageError } from './io';

/** `YYYY-MM-DD`, optionally `[T ]hh:mm[:ss[.fff]]`, optionally a zone designator after a time. */
const ISO_FORM =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

interface Parsed {
  /** The value in Pacific local time. */
  pacific: DateTime;
  hasTime: boolean;
}

function parse(value: string): Parsed | undefined {
  const text = value.trim();
  const match = ISO_FORM.exec(text);
  if (!match) return undefined;
  // Luxon keeps an explicit offset as that instant and reads a bare local time in the zone given here.
  const parsed = DateTime.fromISO(text.replace(' ', 'T'), { zone: PACIFIC });
  if (!parsed.isValid) return undefined;
  // Luxon rolls nothing over, but a bare date must still be the same calendar day after parsing.
  if (match[2] === undefined && parsed.toFormat('yyyy-MM-dd') !== match[1]) return undefined;
  return { pacific: parsed.setZone(PACIFIC), hasTime: match[2] !== undefined };
}

/**
 * A day option (`--from`, `--to` of `entitlements points`) as the `YYYY-MM-DD` Pacific day the API takes:
 * a date as written, or the Pacific day of a date-time. Throws a {@link UsageError} naming `flag`.
 */
export function pacificDayOption(flag: string, value: string | undefined): string {
  const parsed = value === undefined ? undefined : parse(value);
  if (!parsed) {
    throw new UsageError(
      `${flag}: "${value ?? ''}" is not a date; expected YYYY-MM-DD or an ISO 8601 date-time such as 2026-03-01T00:00:00-08:00`,
    );
  }
  return parsed.pacific.toFormat('yyyy-MM-dd');
}

/**
 * `--end-date`: `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ss` (a date-time with a zone designator becomes Pacific
 * local time); "" or "program" means the program end date (null); undefined when the option was not given.
 */
export function endDateOption(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '' || value.trim().toLowerCase() === 'program') return null;
  const parsed = parse(value);
  if (!parsed) {
    throw new UsageError(
      `--end-date: "${value}" is not valid; expected YYYY-MM-DD or an ISO 8601 date-time (YYYY-MM-DDThh:mm:ss, optionally with Z or ±hh:mm), or "program" for the program end date`,
    );
  }
  return parsed.pacific.toFormat(parsed.hasTime ? "yyyy-MM-dd'T'HH:mm:ss" : 'yyyy-MM-dd');
}
