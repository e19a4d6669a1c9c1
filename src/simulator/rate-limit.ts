/**
 * Server-side rate limiting of the FortiFlex API: sliding windows of accepted requests
 * per minute and per hour, and of error answers per hour. Only v2 API requests count (the token endpoint is a
 * different service); a request refused by the limiter is not itself counted, so a client that waits for
 * Retry-After gets through.
 */
import { ErrorCode } from './errors';

/** Limits of {@link RateLimiter}; every limit is optional. */
export interface RateLimitOptions {
  /** Accepted API requests per sliding minute; the next one gets 429 and status -10. */
  perMinute?: number;
  /** Accepted API requests per sliding hour; the next one gets 429 and status -11. */
  perHour?: number;
  /** API error answers per sliding hour; once reached, requests get 429 and status -30. */
  errorsPerHour?: number;
  /**
   * Which clock the windows use. `wall` (default): real time, what a client sees. `simulated`: the
   * simulator's clock, for deterministic tests (windows then move only when the clock is set or advanced).
   */
  clock?: 'wall' | 'simulated';
}

/** Why a request was refused and how long to wait. */
export interface RateLimitRefusal {
  status: number;
  message: string;
  retryAfterSeconds: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Timestamps within a sliding window, oldest first; amortized O(1) per request. */
class Window {
  private readonly times: number[] = [];
  private head = 0;

  constructor(
    readonly limit: number,
    private readonly spanMs: number,
  ) {}

  /** Drops entries older than the window; compacts the array now and then. */
  private prune(now: number): void {
    while (this.head < this.times.length && this.times[this.head]! <= now - this.spanMs) this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Seconds until one more entry fits, or 0 if it fits now. */
  waitSeconds(now: number): number {
    this.prune(now);
    if (this.times.length - this.head < this.limit) return 0;
    const oldest = this.times[this.times.length - this.limit]!;
    return Math.max(1, Math.ceil((oldest + this.spanMs - now) / 1000));
  }

  add(now: number): void {
    this.times.push(now);
  }
}

function checkLimit(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`rateLimit.${name}: ${value} is not valid; expected an integer >= 1`);
  return value;
}

/** The limiter of one simulator. */
export class RateLimiter {
  private readonly minute?: Window;
  private readonly hour?: Window;
  private readonly errors?: Window;

  /** Throws a one-line error naming a bad limit. */
  constructor(
    options: RateLimitOptions,
    private readonly now: () => number,
  ) {
    const perMinute = checkLimit('perMinute', options.perMinute);
    const perHour = checkLimit('perHour', options.perHour);
    const errorsPerHour = checkLimit('errorsPerHour', options.errorsPerHour);
    if (options.clock !== undefined && options.clock !== 'wall' && options.clock !== 'simulated')
      throw new Error('rateLimit.clock: expected "wall" or "simulated"');
    if (perMinute) this.minute = new Window(perMinute, MINUTE);
    if (perHour) this.hour = new Window(perHour, HOUR);
    if (errorsPerHour) this.errors = new Window(errorsPerHour, HOUR);
  }

  /** Admits a request (and counts it), or returns the refusal to send instead. */
  admit(): RateLimitRefusal | undefined {
    const now = this.now();
    // The error limit is checked first: a client over it is refused even while under the request limits.
    for (const [window, status, message] of [
      [this.errors, ErrorCode.errorLimitHour, 'Exceed max error'],
      [this.minute, ErrorCode.rateLimitMinute, 'Exceed max requests in minute'],
      [this.hour, ErrorCode.rateLimitHour, 'Exceed max requests in hour'],
    ] as const) {
      const wait = window?.waitSeconds(now) ?? 0;
      if (wait > 0) return { status, message, retryAfterSeconds: wait };
    }
    this.minute?.add(now);
    this.hour?.add(now);
    return undefined;
  }

  /** Counts an error answer of the API towards `errorsPerHour`. */
  recordError(): void {
    this.errors?.add(this.now());
  }
}
