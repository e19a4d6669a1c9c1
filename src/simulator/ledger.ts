/**
 * The Pacific-day billing ledger. A Pacific calendar day costs an entitlement the highest
 * rate it had while charged that day, if it was ACTIVE or GRACE_PERIOD at any moment of it, its first
 * instant included: a stop at exactly 00:00:00 PT still pays for that day, a stop at 23:59:00 PT saves the
 * next one. Days spent entirely PENDING, STOPPED or EXPIRED cost nothing.
 *
 * The ledger is incremental so that request cost does not grow with history: each entitlement keeps the
 * charged days of its closed intervals as an append-only, day-ordered array with prefix sums, plus its
 * current (open) interval. A status or rate change closes the open interval once; a query sums a day range
 * with two binary searches and adds the open interval's days arithmetically. Charges are kept in integer
 * micro-points, so sums are exact and independent of the order in which they were added.
 */
import { dayNumberOf, ptDayNumber } from './time';

/** Statuses that consume points. */
const CHARGED = new Set(['ACTIVE', 'GRACE_PERIOD']);

/** Charges are summed in integer micro-points: exact for every rate with up to six decimals. */
const UNITS_PER_POINT = 1_000_000;

/** Micro-points to points with two decimals, rounding half up on the exact integer value. */
function unitsToPoints(units: number): number {
  return Math.round(units / (UNITS_PER_POINT / 100)) / 100;
}

/** The state an entitlement has been in since `at` (the open end of its history). */
interface OpenInterval {
  at: number;
  status: string;
  rate: number;
  units: number;
  charged: boolean;
}

/** One entitlement's billing: closed charged days (ascending day numbers) and the open interval. */
interface Account {
  days: number[];
  units: number[];
  /** prefix[i] = units[0] + … + units[i]. */
  prefix: number[];
  open: OpenInterval;
}

/** Index of the first element of ascending `values` that is ≥ `target` (values.length if none). */
function lowerBound(values: readonly number[], target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function dayString(dayNumber: number): string {
  return new Date(dayNumber * 86_400_000).toISOString().slice(0, 10);
}

/** Per-entitlement Pacific-day charges, maintained incrementally as statuses and rates change. */
export class Ledger {
  private readonly accounts = new Map<string, Account>();

  /**
   * Records that from `at` on the entitlement has `status` and costs `rate` points per charged day. Events
   * never go back in time: if the clock was moved backwards, the event is placed at the latest known instant.
   */
  record(serialNumber: string, at: number, status: string, rate: number): void {
    const units = Math.round(rate * UNITS_PER_POINT);
    const account = this.accounts.get(serialNumber);
    if (!account) {
      this.accounts.set(serialNumber, {
        days: [],
        units: [],
        prefix: [],
        open: { at, status, rate, units, charged: CHARGED.has(status) },
      });
      return;
    }
    const { open } = account;
    if (open.status === status && open.rate === rate) return;
    const start = Math.max(at, open.at);
    if (open.charged) {
      // The closed interval is [open.at, start]: the entitlement still had this state at the instant of the
      // change, so a stop at exactly a Pacific midnight pays for the day it begins (FortiFlex charges a day on
      // which the entitlement was ACTIVE at its first instant; "consumption stops from the next day").
      const last = ptDayNumber(start);
      for (let day = ptDayNumber(open.at); day <= last; day += 1) charge(account, day, open.units);
    }
    account.open = { at: start, status, rate, units, charged: CHARGED.has(status) };
  }

  /**
   * Points charged to one entitlement up to `nowMs` over Pacific days [from, to] (`YYYY-MM-DD`, both
   * inclusive; open ends unbounded). The current interval runs to `nowMs` inclusive.
   */
  total(serialNumber: string, nowMs: number, from?: string, to?: string): number {
    const account = this.accounts.get(serialNumber);
    if (!account) return 0;
    const first = from === undefined ? -Infinity : dayNumberOf(from);
    const last = to === undefined ? Infinity : dayNumberOf(to);
    if (first > last) return 0;
    const { days, prefix, open } = account;
    const lo = lowerBound(days, first);
    const hi = lowerBound(days, last + 1) - 1;
    let sum = hi >= lo ? prefix[hi]! - (lo > 0 ? prefix[lo - 1]! : 0) : 0;
    if (open.charged) {
      const openFirst = ptDayNumber(open.at);
      const a = Math.max(openFirst, first);
      const b = Math.min(ptDayNumber(Math.max(nowMs, open.at)), last);
      if (b >= a) {
        sum += (b - a + 1) * open.units;
        // The open interval's first day may already carry a closed charge: that day costs the larger one.
        const n = days.length;
        if (a === openFirst && n > 0 && days[n - 1] === openFirst) {
          sum -= Math.min(account.units[n - 1]!, open.units);
        }
      }
    }
    return unitsToPoints(sum);
  }

  /**
   * The charged Pacific days of one entitlement up to `nowMs`, each with the day's highest charged rate
   * (for inspection and tests; proportional to the entitlement's charged days).
   */
  dailyCharges(serialNumber: string, nowMs: number): Map<string, number> {
    const result = new Map<string, number>();
    const account = this.accounts.get(serialNumber);
    if (!account) return result;
    account.days.forEach((day, i) => result.set(dayString(day), account.units[i]! / UNITS_PER_POINT));
    const { open } = account;
    if (open.charged) {
      const last = ptDayNumber(Math.max(nowMs, open.at));
      for (let day = ptDayNumber(open.at); day <= last; day += 1) {
        const key = dayString(day);
        result.set(key, Math.max(result.get(key) ?? 0, open.rate));
      }
    }
    return result;
  }
}

/** Charges `units` on `day`, which is never before the account's last closed day. */
function charge(account: Account, day: number, units: number): void {
  const n = account.days.length;
  if (n > 0 && account.days[n - 1] === day) {
    const previous = account.units[n - 1]!;
    if (units > previous) {
      account.units[n - 1] = units;
      account.prefix[n - 1]! += units - previous;
    }
    return;
  }
  account.days.push(day);
  account.units.push(units);
  account.prefix.push((n > 0 ? account.prefix[n - 1]! : 0) + units);
}
