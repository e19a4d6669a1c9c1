/**
 * Client-side rate limiter: two token buckets (per minute and per hour) that every API request passes
 * through. FortiFlex does not document its limits (one guide claims 100/min and 1000/h, with an error budget
 * on top), so the defaults stay below that and callers wait rather than fail.
 */
import { FortiFlexAbortError } from './errors';

/** Requests allowed per window; `Infinity` switches a bucket off. */
export interface RateLimitOptions {
  /** @default 90 */
  perMinute?: number;
  /** @default 900 */
  perHour?: number;
}

/** Conservative defaults, below the limits reported for FortiFlex (100/min, 1000/h). */
export const DEFAULT_RATE_LIMIT: Readonly<Required<RateLimitOptions>> = Object.freeze({
  perMinute: 90,
  perHour: 900,
});

const WAIT = 'rate limit wait';

interface Bucket {
  capacity: number;
  /** Tokens added per millisecond. */
  rate: number;
  tokens: number;
  updatedAt: number;
}

/** Two-bucket limiter. `acquire()` resolves when a request may be sent. */
export class RateLimiter {
  private readonly buckets: Bucket[];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    options: RateLimitOptions,
    private readonly now: () => number,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  ) {
    const start = now();
    this.buckets = [
      [options.perMinute ?? DEFAULT_RATE_LIMIT.perMinute, 60_000],
      [options.perHour ?? DEFAULT_RATE_LIMIT.perHour, 3_600_000],
    ]
      .filter(([limit]) => Number.isFinite(limit!) && limit! > 0)
      .map(([limit, windowMs]) => ({
        capacity: limit!,
        rate: limit! / windowMs!,
        tokens: limit!,
        updatedAt: start,
      }));
  }

  /** Whether any bucket is active (false when both limits are `Infinity`). */
  get enabled(): boolean {
    return this.buckets.length > 0;
  }

  /**
   * Waits until both buckets hold a token, then takes one from each. Callers are served in order. An aborted
   * caller leaves the line at once with a {@link FortiFlexAbortError} and takes no token.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    const turn = this.queue.then(() => this.take(signal));
    // The next waiter queues behind this one whether it succeeds or is aborted.
    this.queue = turn.catch(() => undefined);
    if (!signal) return turn;
    // While queued behind others this caller is not sleeping yet, so its signal is watched here as well.
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(new FortiFlexAbortError(WAIT));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      turn.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      // An abort while queued must not spend a token on a request that will never be sent.
      if (signal?.aborted) throw new FortiFlexAbortError(WAIT);
      const now = this.now();
      let waitMs = 0;
      for (const bucket of this.buckets) {
        bucket.tokens = Math.min(bucket.capacity, bucket.tokens + (now - bucket.updatedAt) * bucket.rate);
        bucket.updatedAt = now;
        if (bucket.tokens < 1)
          // The epsilon keeps float noise (0.9999…) from adding a millisecond.
          waitMs = Math.max(waitMs, Math.ceil((1 - bucket.tokens) / bucket.rate - 1e-6));
      }
      if (waitMs === 0) {
        for (const bucket of this.buckets) bucket.tokens -= 1;
        return;
      }
      await this.sleep(waitMs, signal);
    }
  }
}
