/**
 * The simulator's clock. It never reads wall time: it starts at the seed's `now` and only moves when a test,
 * the demo or a benchmark sets or advances it, so billing history is reproducible.
 */
import { parseInstant } from './time';

/** A settable, advanceable clock that notifies listeners after every move. */
export class SimClock {
  private ms: number;
  private readonly listeners: Array<(nowMs: number) => void> = [];

  constructor(start: number) {
    this.ms = start;
  }

  /** The current simulated instant. */
  now(): Date {
    return new Date(this.ms);
  }

  /** The current simulated instant in epoch milliseconds. */
  nowMs(): number {
    return this.ms;
  }

  /** Moves the clock to `at` (ISO string or Date; strings without an offset are Pacific local time). */
  set(at: Date | string): void {
    this.ms = parseInstant(at, 'clock.set');
    this.notify();
  }

  /** Moves the clock forward by `ms` milliseconds (must be a finite number ≥ 0). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new Error(`clock.advance: ${ms} is not valid; expected a finite number of milliseconds >= 0`);
    }
    this.ms += ms;
    this.notify();
  }

  /** Registers a listener called after each move (used to expire entitlements whose endDate passed). */
  onChange(listener: (nowMs: number) => void): void {
    this.listeners.push(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener(this.ms);
  }
}
