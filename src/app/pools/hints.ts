/**
 * Per-worker inventory hints: a recent snapshot of each pool's entitlements, records and claims, kept in
 * memory so a first claim need not list the whole pool on its critical path. A hint only suggests which
 * member to try and whether the fast path may be taken; it never decides. A claim re-reads the chosen
 * member (entitlement and record, point reads) before it creates the claim row, and the insert-if-absent
 * on instance and serial is what makes a claim. Growth, 409 answers and every lease-path decision use fresh
 * reads. Changes this worker makes (claims, releases, fresh reads of a member) are laid over the snapshot
 * until a snapshot taken after them replaces it.
 *
 * One {@link PoolHints} exists per worker, built by the composition root and passed in the pool
 * dependencies. Callers never update it by hand: the claim-row helpers in `claim-rows.ts` and the step
 * applier tell it what they changed. Its clock is injected (wall-clock milliseconds, never the simulated run
 * clock: a hint ages in real time).
 */
import type { Entitlement } from '../../lib/fortiflex/types';
import type { Policy, Pool } from '../../lib/rules';
import type { ClaimRecord, EntitlementRecord } from '../../lib/state';
import type { PoolDeps } from './deps';
import { startInventoryReads, schedulesOf } from './inventory';
import { buildInventory, capacityInForce, type PoolInventory } from './membership';

/** Past this age a hint is refreshed in the background. */
const HINT_REFRESH_AFTER_MS = 5_000;
/** Past this age a hint is not used at all: the claim waits for a fresh snapshot. */
const HINT_MAX_AGE_MS = 15_000;

type HintChange =
  | { at: number; kind: 'claim'; claim: ClaimRecord }
  | { at: number; kind: 'release'; serialNumber: string }
  | {
      at: number;
      kind: 'fresh';
      serialNumber: string;
      entitlement?: Entitlement;
      record?: EntitlementRecord;
    };

interface HintSnapshot {
  /** Clock ms when its reads started: changes noted at or after it are laid over it. */
  startedAt: number;
  entitlements: Entitlement[];
  records: EntitlementRecord[];
  claims: ClaimRecord[];
}

interface HintState {
  snapshot?: HintSnapshot;
  loading?: Promise<HintSnapshot>;
  changes: HintChange[];
  /** Serials a claim of this worker is trying right now; other claims here pick another one first. */
  trying: Set<string>;
  built?: { version: number; pool: Pool; inventory: PoolInventory };
  version: number;
}

type HintDeps = Pick<PoolDeps, 'client' | 'store' | 'now'>;

const hintKey = (pool: Pool): string => `${pool.name}|${pool.configId}|${pool.fortiflex.accountId ?? ''}`;

/** This worker's inventory hints, per pool. */
export class PoolHints {
  private readonly pools = new Map<string, HintState>();
  private readonly clock: () => number;

  /** `clock`: wall-clock milliseconds (default `Date.now`). */
  constructor(options: { clock?: () => number } = {}) {
    this.clock = options.clock ?? Date.now;
  }

  /**
   * The pool's inventory from the hint: no storage or FortiFlex reads while the hint is young, a refresh
   * started in the background once it ages, and a wait for fresh reads when there is none or it is too old.
   * Never a basis for a decision on its own.
   */
  async inventory(deps: HintDeps, policy: Policy, pool: Pool): Promise<PoolInventory> {
    const ready = this.peek(deps, policy, pool);
    if (ready) return ready;
    const state = this.state(pool);
    await this.load(deps, pool, state);
    return this.build(state, policy, pool, deps.now());
  }

  /**
   * The hinted inventory if this worker has one young enough to use, without waiting; undefined otherwise
   * (a load is then started in the background, so a later call finds it).
   */
  peek(deps: HintDeps, policy: Policy, pool: Pool): PoolInventory | undefined {
    const state = this.state(pool);
    const age = state.snapshot ? this.clock() - state.snapshot.startedAt : Infinity;
    if (age > HINT_REFRESH_AFTER_MS) void this.load(deps, pool, state).catch(() => undefined);
    return age > HINT_MAX_AGE_MS ? undefined : this.build(state, policy, pool, deps.now());
  }

  /**
   * Reads the pool's inventory now (never from the hint) and makes it the hint. Changes noted while the
   * reads ran are laid over it, which only makes it more current.
   */
  async fresh(deps: HintDeps, policy: Policy, pool: Pool): Promise<PoolInventory> {
    const state = this.state(pool);
    this.adopt(state, await this.read(deps, pool));
    return this.build(state, policy, pool, deps.now());
  }

  /** A claim row was created (an empty instance id stands for another worker's claim). */
  noteClaimed(pool: Pool, claim: ClaimRecord): void {
    this.note(pool, { at: this.clock(), kind: 'claim', claim });
  }

  /** The claim on `serialNumber` is gone. */
  noteReleased(pool: Pool, serialNumber: string): void {
    this.note(pool, { at: this.clock(), kind: 'release', serialNumber });
  }

  /** What a point read found for `serialNumber` (undefined = not listed / no record). */
  noteMember(
    pool: Pool,
    serialNumber: string,
    entitlement: Entitlement | undefined,
    record: EntitlementRecord | undefined,
  ): void {
    this.note(pool, { at: this.clock(), kind: 'fresh', serialNumber, entitlement, record });
  }

  /** Drops the hint of `pool` after a change the hint cannot follow (resize, stop, reactivate). */
  forget(pool: Pool): void {
    this.pools.delete(hintKey(pool));
  }

  /** True while a claim of this worker is trying `serialNumber`. */
  beingTried(pool: Pool, serialNumber: string): boolean {
    return this.pools.get(hintKey(pool))?.trying.has(serialNumber) ?? false;
  }

  /**
   * Marks `serialNumber` as being tried by a claim of this worker; undefined when another claim here is
   * already trying it. Call the returned function when done.
   */
  trying(pool: Pool, serialNumber: string): (() => void) | undefined {
    const state = this.state(pool);
    if (state.trying.has(serialNumber)) return undefined;
    state.trying.add(serialNumber);
    return () => {
      state.trying.delete(serialNumber);
    };
  }

  private state(pool: Pool): HintState {
    let state = this.pools.get(hintKey(pool));
    if (!state) this.pools.set(hintKey(pool), (state = { changes: [], trying: new Set(), version: 0 }));
    return state;
  }

  private note(pool: Pool, change: HintChange): void {
    const state = this.state(pool);
    state.changes.push(change);
    state.version += 1;
  }

  private async read(deps: HintDeps, pool: Pool): Promise<HintSnapshot> {
    const startedAt = this.clock();
    const reads = startInventoryReads(deps, pool);
    const [entitlements, records, claims] = await Promise.all([
      reads.entitlements,
      reads.records,
      reads.claims,
    ]);
    return { startedAt, entitlements, records, claims };
  }

  private adopt(state: HintState, snapshot: HintSnapshot): void {
    if (state.snapshot && state.snapshot.startedAt > snapshot.startedAt) return;
    state.snapshot = snapshot;
    state.changes = state.changes.filter((change) => change.at >= snapshot.startedAt);
    state.version += 1;
  }

  private load(deps: HintDeps, pool: Pool, state: HintState): Promise<HintSnapshot> {
    if (!state.loading) {
      const loading = this.read(deps, pool).then((snapshot) => {
        this.adopt(state, snapshot);
        return snapshot;
      });
      state.loading = loading;
      const clear = (): void => {
        if (state.loading === loading) state.loading = undefined;
      };
      loading.then(clear, clear);
    }
    return state.loading;
  }

  private build(state: HintState, policy: Policy, pool: Pool, at: Date): PoolInventory {
    const bounds = capacityInForce(pool, schedulesOf(policy), at);
    if (state.built?.version === state.version && state.built.pool === pool) {
      return { ...state.built.inventory, at, bounds };
    }
    const snapshot = state.snapshot!;
    const entitlements = new Map(snapshot.entitlements.map((e) => [e.serialNumber, e]));
    const records = new Map(snapshot.records.map((r) => [r.serialNumber, r]));
    const claims = new Map(snapshot.claims.map((c) => [c.serialNumber, c]));
    for (const change of state.changes) {
      if (change.kind === 'claim') {
        // An empty instance id stands for a claim of another worker whose instance is not known here.
        for (const [serial, claim] of claims) {
          if (change.claim.instanceId !== '' && claim.instanceId === change.claim.instanceId) {
            claims.delete(serial);
          }
        }
        claims.set(change.claim.serialNumber, change.claim);
      } else if (change.kind === 'release') {
        claims.delete(change.serialNumber);
      } else {
        if (change.entitlement) entitlements.set(change.serialNumber, change.entitlement);
        else entitlements.delete(change.serialNumber);
        if (change.record) records.set(change.serialNumber, change.record);
        else records.delete(change.serialNumber);
      }
    }
    const inventory = buildInventory({
      pool,
      at,
      bounds,
      entitlements: [...entitlements.values()],
      records: [...records.values()].filter((r) => r.pool === undefined || r.pool === pool.name),
      claims: [...claims.values()],
    });
    state.built = { version: state.version, pool, inventory };
    return inventory;
  }
}
