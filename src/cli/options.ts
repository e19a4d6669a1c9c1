/**
 * Parsers of option values shared by the commands. Each throws a {@link UsageError} (exit 2) naming the
 * option and the accepted form.
 */
import { DateTime } from 'luxon';
import { BILLING_ZONE } from '../lib/rules';
import { UsageError } from './io';

/** Parses an integer option value `>= min`. */
export function parseIntegerOption(
  option: string,
  value: string,
  { min = 0 }: { min?: number } = {},
): number {
  if (!/^-?\d+$/.test(value.trim()) || Number(value) < min) {
    throw new UsageError(`${option}: "${value}" is not a valid number; expected an integer >= ${min}`);
  }
  return Number(value);
}

/** Parses an ISO 8601 instant with an offset (or Z). */
export function parseInstantOption(option: string, value: string): Date {
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)
    ? new Date(value)
    : null;
  if (at === null || Number.isNaN(at.getTime())) {
    throw new UsageError(
      `${option}: "${value}" is not an instant; expected ISO 8601 with offset, e.g. 2026-03-06T19:00:00+01:00`,
    );
  }
  return at;
}

/** Parses a Pacific billing day `YYYY-MM-DD` (its midnight) or an ISO instant with offset. */
export function parsePacificDateOption(option: string, value: string): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = DateTime.fromISO(value, { zone: BILLING_ZONE });
    if (!day.isValid)
      throw new UsageError(`${option}: "${value}" is not a date; expected YYYY-MM-DD, e.g. 2026-03-02`);
    return day.toJSDate();
  }
  if (value.includes('T')) return parseInstantOption(option, value);
  throw new UsageError(
    `${option}: "${value}" is not a date; expected YYYY-MM-DD (a Pacific billing day), e.g. 2026-03-02`,
  );
}
