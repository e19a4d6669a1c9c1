/**
 * Pool leases: who may change a pool's size right now. A pool changes only under its blob lease
 * (`pool-<name>`), so two workers never grow or shrink one pool at once; claims that a free member satisfies
 * need no lease (their claim row's insert-if-absent decides). See docs/architecture.md §"Pools".
 *
 * Inside one worker, callers queue for a pool in memory first and only the head of the queue polls the blob
 * lease, which keeps storage traffic flat when many requests of one process want the same pool. One
 * {@link PoolLeases} exists per worker (built by the composition root); its clock and randomness are
 * injected so tests control the waits.
 */
import { BusyError } from '../errors';
import type { StateStore } from '../../lib/state';

/** Thrown when a pool lease stays busy past the wait limit. */
export class PoolBusyError extends BusyError {
  override readonly name = 'PoolBusyError';
  constructor(readonly lease: string) {
    super(`lease "${lease}" is held by another run; try again shortly`);
  }
}

/** Lease name of a pool. */
export function poolLeaseName(poolName: string): string {
  return `pool-${poolName}`;
}

/** Timing seams of {@link PoolLeases}. */
export interface PoolLeaseOptions {
  /** Waits between lease attempts. Default a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Monotonic milliseconds for wait deadlines (never the simulated run clock). Default `Date.now`. */
  clock?: () => number;
}

/** Options of one {@link PoolLeases.withLease} call. */
export interface WithLeaseOptions {
  /** Longest wait for the lease before {@link PoolBusyError}. Default 0: one attempt. */
  waitMs?: number;
  /** Lease duration. Default 60 s (the storage maximum for a finite lease). */
  ttlSeconds?: number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** This worker's pool leases over `store`. */
export class PoolLeases {
  private readonly turns = new Map<string, Promise<void>>();
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly clock: () => number;

  constructor(
    private readonly store: Pick<StateStore, 'leases'>,
    options: PoolLeaseOptions = {},
  ) {
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Runs `fn` while holding the lease `name`. Waits (in-process queue first, then polling the blob lease with
   * jitter) up to `waitMs` while another holder has it, then throws {@link PoolBusyError}. The lease is
   * released even when `fn` throws.
   */
  async withLease<T>(name: string, fn: () => Promise<T>, options: WithLeaseOptions = {}): Promise<T> {
    const waitMs = options.waitMs ?? 0;
    const deadline = this.clock() + waitMs;
    const done = await this.localTurn(name, waitMs);
    if (!done) throw new PoolBusyError(name);
    try {
      let delay = 5;
      for (;;) {
        const lease = await this.store.leases.acquire(name, options.ttlSeconds ?? 60);
        if (lease) {
          try {
            return await fn();
          } finally {
            await lease.release().catch(() => undefined);
          }
        }
        if (this.clock() >= deadline) throw new PoolBusyError(name);
        await this.sleep(delay + Math.floor(this.random() * delay));
        delay = Math.min(delay * 2, 100);
      }
    } finally {
      done();
    }
  }

  /** Waits up to `waitMs` for this worker's turn at `name`; resolves to the release function, or undefined. */
  private async localTurn(name: string, waitMs: number): Promise<(() => void) | undefined> {
    const previous = this.turns.get(name) ?? Promise.resolve();
    let pass!: () => void;
    const mine = new Promise<void>((resolve) => (pass = resolve));
    const chain = previous.then(() => mine);
    this.turns.set(name, chain);
    const done = (): void => {
      pass();
      if (this.turns.get(name) === chain) this.turns.delete(name);
    };
    let timer: NodeJS.Timeout | undefined;
    const arrived = await Promise.race([
      previous.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
    ]);
    clearTimeout(timer);
    if (arrived) return done;
    // Gave up waiting: hand the turn on as soon as it comes.
    void previous.then(done);
    return undefined;
  }
}
