/**
 * How status views write instants and amounts: Pacific time for billing, the rule's zone for schedules, UTC
 * for the record, ages relative to the status instant (never to a clock: views are pure).
 */
import { DateTime } from 'luxon';
import { BILLING_ZONE } from '../rules';

/** `Fri 10-23 11:00 PT`. */
export function ptTime(iso: string): string {
  return `${DateTime.fromISO(iso, { zone: BILLING_ZONE }).toFormat('ccc MM-dd HH:mm')} PT`;
}

/** `Fri 10-23 20:00` in `zone`. */
export function zoneTime(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { zone }).toFormat('ccc MM-dd HH:mm');
}

/** `2026-10-23 18:00 UTC`. */
export function utcTime(iso: string): string {
  return `${DateTime.fromISO(iso, { zone: 'UTC' }).toFormat('yyyy-MM-dd HH:mm')} UTC`;
}

/** `5 min ago`, `3 h ago`, `2 d ago`, `in 4 h` relative to `now`. */
export function relative(iso: string, now: string): string {
  const ms = Date.parse(now) - Date.parse(iso);
  const abs = Math.abs(ms);
  if (abs < 60_000) return 'just now';
  const text =
    abs < 3_600_000
      ? `${Math.round(abs / 60_000)} min`
      : abs < 172_800_000
        ? `${Math.round(abs / 3_600_000)} h`
        : `${Math.round(abs / 86_400_000)} d`;
  return ms >= 0 ? `${text} ago` : `in ${text}`;
}

/** `1 entitlement` / `2 entitlements`. */
export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

/** Counts of `values` in first-seen order. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()];
}
