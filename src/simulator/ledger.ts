/**
 * The Pacific-day billing ledger (reference §9). Each entitlement's history is a list of (instant, status,
 * rate) events recorded as the simulated clock moves. A Pacific calendar day costs the entitlement the
 * highest rate it had while charged that day, if it was ACTIVE or GRACE_PERIOD at any moment of it; days
 * spent entirely PENDING, STOPPED or EXPIRED cost nothing.
 */
import { nextPtDay, ptDay, ptDayStart } from './time';

/** Statuses that consume points. */
const CHARGED = new Set(['ACTIVE', 'GRACE_PERIOD']);

interface LedgerEvent {
  at: number;
  status: string;
  rate: number;
}

/** Rounds to the API's two decimals without accumulating float noise. */
export function roundPoints(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Per-entitlement status history and the per-day charges derived from it. */
export class Ledger {
  private readonly histories = new Map<string, LedgerEvent[]>();

  /**
   * Records that from `at` on the entitlement has `status` and costs `rate` points per charged day. Events
   * never go back in time: if the clock was moved backwards, the event is placed at the latest known instant.
   */
  record(serialNumber: string, at: number, status: string, rate: number): void {
    let history = this.histories.get(serialNumber);
    if (!history) {
      history = [];
      this.histories.set(serialNumber, history);
    }
    const last = history[history.length - 1];
    if (last && last.status === status && last.rate === rate) return;
    history.push({ at: last ? Math.max(at, last.at) : at, status, rate });
  }

  /**
   * The charged Pacific days of one entitlement up to `nowMs`, each with the day's highest charged rate.
   * A charged interval [a, b) touches day [s, e) when a < e and b > s; an instantaneous one (a = b) touches
   * the day containing a; the current interval runs to `nowMs` inclusive.
   */
  dailyCharges(serialNumber: string, nowMs: number): Map<string, number> {
    const days = new Map<string, number>();
    const history = this.histories.get(serialNumber) ?? [];
    history.forEach((event, i) => {
      if (!CHARGED.has(event.status)) return;
      const next = history[i + 1];
      const start = event.at;
      // The open interval ends at the simulated now; a later `next` closes it earlier.
      const end = next ? next.at : Math.max(nowMs, start);
      const lastInstant = next && end > start ? end - 1 : end;
      for (let day = ptDay(start); ptDayStart(day) <= lastInstant; day = nextPtDay(day)) {
        days.set(day, Math.max(days.get(day) ?? 0, event.rate));
      }
    });
    return days;
  }

  /** Points charged to one entitlement over Pacific days [from, to] (both inclusive; open ends unbounded). */
  total(serialNumber: string, nowMs: number, from?: string, to?: string): number {
    let sum = 0;
    for (const [day, rate] of this.dailyCharges(serialNumber, nowMs)) {
      if ((from === undefined || day >= from) && (to === undefined || day <= to)) sum += rate;
    }
    return roundPoints(sum);
  }

  /** Every serial number with a history. */
  serialNumbers(): string[] {
    return [...this.histories.keys()];
  }
}
