/**
 * FortiOS's failed-login lockout: after `threshold` failed authentications in a row from one source address,
 * that address gets HTTP 429 for `durationMs`, whatever it sends (a correct key included). Wall-clock time:
 * the clients under test wait on real timers.
 */
import type { LockoutOptions } from './types';

export const DEFAULT_LOCKOUT_THRESHOLD = 3;
export const DEFAULT_LOCKOUT_MS = 60_000;

interface SourceState {
  failures: number;
  lockedUntil: number;
}

/** Failed-authentication counts and lockouts per source address. */
export class Lockout {
  private readonly threshold: number;
  private readonly durationMs: number;
  private readonly sources = new Map<string, SourceState>();

  constructor(
    options: LockoutOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.threshold = options.threshold ?? DEFAULT_LOCKOUT_THRESHOLD;
    this.durationMs = options.durationMs ?? DEFAULT_LOCKOUT_MS;
    if (!Number.isInteger(this.threshold) || this.threshold < 1)
      throw new Error(`lockout.threshold: ${this.threshold} is not valid; expected an integer >= 1`);
    if (!Number.isFinite(this.durationMs) || this.durationMs < 0)
      throw new Error(`lockout.durationMs: ${this.durationMs} is not valid; expected milliseconds >= 0`);
  }

  /** True while `source` is locked out. An expired lockout starts a fresh count. */
  isLocked(source: string): boolean {
    const state = this.sources.get(source);
    if (!state || state.lockedUntil === 0) return false;
    if (this.now() < state.lockedUntil) return true;
    this.sources.delete(source);
    return false;
  }

  /** Counts a failed authentication; locks the source at the threshold. */
  fail(source: string): void {
    const state = this.sources.get(source) ?? { failures: 0, lockedUntil: 0 };
    state.failures += 1;
    if (state.failures >= this.threshold) state.lockedUntil = this.now() + this.durationMs;
    this.sources.set(source, state);
  }

  /** A successful authentication resets the count. */
  succeed(source: string): void {
    this.sources.delete(source);
  }
}
