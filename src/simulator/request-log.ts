/**
 * One request log for every simulated service (FortiFlex, ARM), so a test can assert the order in which a use
 * case called them. Entries are numbered in arrival order across services and stamped with both the
 * simulated instant and the wall-clock time; the status is filled in when the response is sent.
 */
import type { SimClock } from './clock';

/** The services that share a log. */
export type SimService = 'fortiflex' | 'arm';

/** One request as the simulator saw it. No headers or bodies: nothing secret is kept. */
export interface LoggedRequest {
  /** Arrival order across all services sharing the log, from 1. */
  seq: number;
  service: SimService;
  method: string;
  /** URL path (no query). */
  path: string;
  /** Query string including `?`, or ''. */
  query: string;
  /**
   * What was asked, e.g. `entitlements/stop`, `oauth/token` (FortiFlex) or `vm.deallocate`,
   * `operation.status`, `vm.listAllStatus` (ARM).
   */
  operation: string;
  /** The resource the request was about, when there is one (ARM id, lower-cased). */
  target?: string;
  /** HTTP status sent; undefined while the response is pending (or was never sent: a hang). */
  status?: number;
  /** Simulated instant of arrival (ISO 8601). */
  at: string;
  /** Wall-clock epoch milliseconds of arrival (sub-millisecond precision). */
  wallMs: number;
}

/** Filter for {@link RequestLog.entries}. */
export interface RequestFilter {
  service?: SimService;
  operation?: string;
  target?: string;
}

/** The shared log. */
export class RequestLog {
  private readonly list: LoggedRequest[] = [];
  private seq = 0;

  constructor(private readonly clock: SimClock) {}

  /** Records an arriving request and returns its entry, to be completed with the status. */
  start(entry: Omit<LoggedRequest, 'seq' | 'at' | 'wallMs' | 'status'>): LoggedRequest {
    this.seq += 1;
    const logged: LoggedRequest = {
      ...entry,
      seq: this.seq,
      at: this.clock.now().toISOString(),
      wallMs: performance.timeOrigin + performance.now(),
    };
    this.list.push(logged);
    return logged;
  }

  /** Copies of the entries matching `filter`, in arrival order. */
  entries(filter: RequestFilter = {}): LoggedRequest[] {
    const target = filter.target?.toLowerCase();
    return this.list
      .filter(
        (e) =>
          (filter.service === undefined || e.service === filter.service) &&
          (filter.operation === undefined || e.operation === filter.operation) &&
          (target === undefined || e.target === target),
      )
      .map((e) => ({ ...e }));
  }

  /** Forgets every entry (numbering continues). */
  clear(): void {
    this.list.length = 0;
  }
}
