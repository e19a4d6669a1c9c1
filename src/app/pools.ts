/**
 * License pools: which entitlements belong to a pool, what state each member is in, and the pool's size and
 * bounds at an instant. Pure functions plus one loader that reads the pool's entitlements, claims and
 * records in parallel.
 *
 * Membership: an entitlement belongs to pool P when its config is P's `configId` and either its FortiFlex
 * description carries the marker `fortiflex-scaler pool <P>` (written when the scaler creates it, visible in
 * the FortiFlex portal and enough to recover the pool if local state is lost) or a record in the `records`
 * table says `pool: P` (written whenever the scaler acts on it). To add existing entitlements to a pool, set
 * their description to the marker.
 *
 * Member roles (the pool state machine), derived from the entitlement's status and token status, its claim
 * and its record:
 * - `inUseOutsideClaims`: ACTIVE, token USED, no claim, and the scaler did not release it. A FortiGate
 *   activated with that token (before the pool was managed, by hand, or with a token another tool handed
 *   out) and may still be running; the scaler cannot know when it is gone. Counts toward the pool's size like
 *   a claimed member, is never claimed, marked for release or stopped. An operator returns it to the pool by
 *   regenerating its token once its VM is gone (it becomes an unused spare).
 * - `held`: ACTIVE or PENDING, not marked for release, and either claimed or unused: PENDING (free until a
 *   VM uses the token), ACTIVE with an unused token (reactivated by the pool, created with skipPending), or
 *   ACTIVE with the used token of an instance the scaler released (record `lastAction: 'claimRelease'`,
 *   written by a release or by the sweep when the instance is gone). Counts toward the pool's size; the
 *   unclaimed ones are what claims take and what scale-in marks.
 * - `releasing`: marked for release by a scale-in (record `lastAction: 'poolRelease'`). An ACTIVE unclaimed
 *   one is stopped when due (just before the next PT midnight by default); a PENDING one costs nothing and
 *   simply stays parked; a claimed one is a scale-in debt that moves to the next member that is freed.
 * - `reserve`: STOPPED; reused (token regenerated, reactivated) on scale-out or claim.
 * - `unusable`: EXPIRED or any other status.
 *
 * The pool keeps one invariant that makes a used token trustworthy: it never leaves an unclaimed member with a
 * used token it did not release. Before it marks, moves a release to or reactivates a member whose token was
 * used, it regenerates the token; a claim regenerates a used token before revealing it and overwrites the
 * `claimRelease` record. So an unclaimed ACTIVE member with a USED token and any other record was activated
 * outside the pool's claims (even one the pool had parked: someone used its token since).
 */
import type { Entitlement } from '../lib/fortiflex/types';
import type { FortiFlexClient } from '../lib/fortiflex';
import {
  compileSchedules,
  nextPtMidnight,
  type CompiledSchedule,
  type Policy,
  type Pool,
} from '../lib/rules';
import type { ClaimRecord, EntitlementRecord, StateStore } from '../lib/state';
import type { SecretReader } from '../lib/secrets';

/** The FortiFlex calls pools make. */
export type PoolClient = Pick<
  FortiFlexClient,
  | 'listEntitlements'
  | 'createVmEntitlements'
  | 'reactivateEntitlement'
  | 'stopEntitlement'
  | 'regenerateToken'
>;

/** Lists the instance ids (VM names) that currently exist in a scale set. */
export type ScaleSetLister = (resourceId: string) => Promise<string[]>;

/**
 * What the pool use cases need. The app's dependencies (`getAppDependencies()`) satisfy it; tests and the
 * CLI pass their own.
 */
export interface PoolDeps {
  client: PoolClient;
  store: StateStore;
  loadPolicy(): Policy | Promise<Policy>;
  now(): Date;
  settings?: { keyVaultUrl?: string; webhookHmacSecret?: string };
  secrets?: SecretReader;
  /** Scale-set instance lister for the claim sweep; absent = claims expire by `claimTtlMinutes` only. */
  scaleSets?: ScaleSetLister;
  /** Waits between lease attempts; injectable so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

/** Role of a pool member (see the module comment). */
export type MemberRole = 'held' | 'inUseOutsideClaims' | 'releasing' | 'reserve' | 'unusable';

/** One pool member with everything known about it. */
export interface PoolMember {
  entitlement: Entitlement;
  record?: EntitlementRecord;
  claim?: ClaimRecord;
  role: MemberRole;
}

/** Capacity bounds in force at an instant. */
export interface CapacityBounds {
  min: number;
  max: number;
  /** Schedule of the matching entry; absent for an unconditional entry or the fallback. */
  schedule?: string;
}

/** A pool's members and derived counts at one instant. */
export interface PoolInventory {
  pool: Pool;
  at: Date;
  members: PoolMember[];
  /** Claims whose serial is not (or no longer) a pool member. */
  orphanClaims: ClaimRecord[];
  bounds: CapacityBounds;
  /** Members held for instances (`held` plus `inUseOutsideClaims`): the pool's size. */
  size: number;
  claimed: number;
  /** Members in use outside claims (see the module comment). */
  inUse: number;
  active: number;
}

/** Record `lastAction` values written by pools. */
export const POOL_ACTIONS = {
  release: 'poolRelease',
  cancelRelease: 'poolCancelRelease',
  stop: 'poolStop',
  reactivate: 'poolReactivate',
  assign: 'claimAssign',
  /**
   * A claim was released (by its instance, the CLI or the sweep) and its used token left in place: the token's
   * last user is known gone. Only this action makes an unclaimed member with a used token a spare.
   */
  unassign: 'claimRelease',
  /** A claim was released and the token regenerated: the entitlement itself shows the license unused. */
  unassignNewToken: 'claimReleaseNewToken',
} as const;

/** The description marker of a pool's entitlements. */
export function poolMarker(poolName: string): string {
  return `fortiflex-scaler pool ${poolName}`;
}

/** The description given to entitlements the scaler creates for a pool. */
export function poolDescription(pool: Pool): string {
  return pool.description ? `${poolMarker(pool.name)} - ${pool.description}` : poolMarker(pool.name);
}

/** True when `description` carries the marker of `poolName` (exactly, or followed by a space). */
export function hasPoolMarker(description: string, poolName: string): boolean {
  const marker = poolMarker(poolName);
  return description === marker || description.startsWith(`${marker} `);
}

/** True when the entitlement belongs to the pool (config plus description marker or record). */
export function isPoolMember(pool: Pool, entitlement: Entitlement, record?: EntitlementRecord): boolean {
  if (entitlement.configId !== pool.configId) return false;
  return hasPoolMarker(entitlement.description, pool.name) || record?.pool === pool.name;
}

/** True when the record marks the entitlement for release by a scale-in. */
export function isMarkedForRelease(record: EntitlementRecord | undefined): boolean {
  return record?.lastAction === POOL_ACTIONS.release;
}

/** True when the record says the scaler released the member's claim (the token's last user is gone). */
export function isReleasedByScaler(record: EntitlementRecord | undefined): boolean {
  return record?.lastAction === POOL_ACTIONS.unassign;
}

/**
 * True when the member is ACTIVE with a used token, holds no claim and the scaler did not release it: a
 * FortiGate may be running on it that the scaler knows nothing about.
 */
export function isInUseOutsideClaims(
  entitlement: Entitlement,
  record?: EntitlementRecord,
  claim?: ClaimRecord,
): boolean {
  return (
    entitlement.status === 'ACTIVE' &&
    entitlement.tokenStatus === 'USED' &&
    claim === undefined &&
    !isReleasedByScaler(record)
  );
}

/** The role of a member given its entitlement, record and claim (see the module comment). */
export function memberRole(
  entitlement: Entitlement,
  record?: EntitlementRecord,
  claim?: ClaimRecord,
): MemberRole {
  // Before the release mark: a mark never licenses the pool to stop a firewall someone else activated.
  if (isInUseOutsideClaims(entitlement, record, claim)) return 'inUseOutsideClaims';
  switch (entitlement.status) {
    case 'ACTIVE':
    case 'PENDING':
      return isMarkedForRelease(record) ? 'releasing' : 'held';
    case 'STOPPED':
      return 'reserve';
    default:
      return 'unusable';
  }
}

/**
 * When a release marked at `markedAt` is due: just before the next PT midnight (today is already paid), or
 * at once when the pool does not defer. A mark made inside the margin is due immediately, which still
 * saves the next day.
 */
export function releaseDueAt(pool: Pool, markedAt: Date): Date {
  if (!pool.scaleIn.deferUntilBillingDayEnd) return markedAt;
  return new Date(nextPtMidnight(markedAt).getTime() - pool.scaleIn.marginMinutes * 60_000);
}

/**
 * The capacity entry in force: the first whose schedule is active (or that has none). When none matches,
 * the pool may shrink to zero but still grows up to the largest `max` of any entry, because an unlicensed
 * firewall costs more than a day of points.
 */
export function capacityInForce(
  pool: Pool,
  schedules: ReadonlyMap<string, CompiledSchedule>,
  at: Date,
): CapacityBounds {
  for (const entry of pool.capacity) {
    if (entry.schedule === undefined) return { min: entry.min, max: entry.max };
    const schedule = schedules.get(entry.schedule);
    if (schedule?.isActive(at)) return { min: entry.min, max: entry.max, schedule: entry.schedule };
  }
  return { min: 0, max: Math.max(0, ...pool.capacity.map((entry) => entry.max)) };
}

/** Builds the inventory from raw lists; pure. */
export function buildInventory(input: {
  pool: Pool;
  at: Date;
  bounds: CapacityBounds;
  entitlements: readonly Entitlement[];
  records: readonly EntitlementRecord[];
  claims: readonly ClaimRecord[];
}): PoolInventory {
  const { pool } = input;
  const records = new Map(input.records.map((record) => [record.serialNumber, record]));
  const claims = new Map(input.claims.map((claim) => [claim.serialNumber, claim]));
  const members: PoolMember[] = [];
  for (const entitlement of input.entitlements) {
    const record = records.get(entitlement.serialNumber);
    if (!isPoolMember(pool, entitlement, record)) continue;
    const claim = claims.get(entitlement.serialNumber);
    members.push({ entitlement, record, claim, role: memberRole(entitlement, record, claim) });
  }
  members.sort((a, b) => a.entitlement.serialNumber.localeCompare(b.entitlement.serialNumber));
  const memberSerials = new Set(members.map((member) => member.entitlement.serialNumber));
  return {
    pool,
    at: input.at,
    members,
    orphanClaims: input.claims.filter((claim) => !memberSerials.has(claim.serialNumber)),
    bounds: input.bounds,
    size: members.filter((m) => m.role === 'held' || m.role === 'inUseOutsideClaims').length,
    claimed: members.filter((member) => member.claim).length,
    inUse: members.filter((member) => member.role === 'inUseOutsideClaims').length,
    active: members.filter((member) => member.entitlement.status === 'ACTIVE').length,
  };
}

/** Thrown when a route or command names a pool the policy does not define. */
export class UnknownPoolError extends Error {
  override readonly name = 'UnknownPoolError';
  constructor(readonly pool: string) {
    super(`pool "${pool}" is not defined in the policy`);
  }
}

/** The pool named `name`, or an {@link UnknownPoolError}. */
export function findPool(policy: Policy, name: string): Pool {
  const pool = policy.pools.find((candidate) => candidate.name === name);
  if (!pool) throw new UnknownPoolError(name);
  return pool;
}

const compiled = new WeakMap<Policy, Map<string, CompiledSchedule>>();

/** The policy's compiled schedules, compiled once per policy object (holiday calendars are costly). */
export function schedulesOf(policy: Policy): Map<string, CompiledSchedule> {
  let schedules = compiled.get(policy);
  if (!schedules) compiled.set(policy, (schedules = compileSchedules(policy)));
  return schedules;
}

/** The three reads an inventory is built from, started together. */
export interface InventoryReads {
  entitlements: Promise<Entitlement[]>;
  records: Promise<EntitlementRecord[]>;
  claims: Promise<ClaimRecord[]>;
}

/**
 * Starts the reads of a pool's inventory in parallel. Callers that may not need all of them (a repeat claim
 * needs only the entitlements) can await them separately; rejections are pre-handled so an unused read
 * never surfaces as an unhandled rejection.
 */
export function startInventoryReads(deps: Pick<PoolDeps, 'client' | 'store'>, pool: Pool): InventoryReads {
  const reads: InventoryReads = {
    entitlements: deps.client.listEntitlements({
      configId: pool.configId,
      accountId: pool.fortiflex.accountId,
    }),
    records: deps.store.records.list(),
    claims: deps.store.claims.list(pool.name),
  };
  for (const read of Object.values(reads)) (read as Promise<unknown>).catch(() => undefined);
  return reads;
}

/** Reads a pool's entitlements, records and claims in parallel and builds its inventory at `at`. */
export async function loadInventory(
  deps: Pick<PoolDeps, 'client' | 'store'>,
  policy: Policy,
  pool: Pool,
  at: Date,
  reads: InventoryReads = startInventoryReads(deps, pool),
): Promise<PoolInventory> {
  const [entitlements, records, claims] = await Promise.all([
    reads.entitlements,
    reads.records,
    reads.claims,
  ]);
  return buildInventory({
    pool,
    at,
    bounds: capacityInForce(pool, schedulesOf(policy), at),
    entitlements,
    records: records.filter((record) => record.pool === undefined || record.pool === pool.name),
    claims,
  });
}

/** Thrown when a pool lease stays busy past the wait limit. */
export class PoolBusyError extends Error {
  override readonly name = 'PoolBusyError';
  constructor(readonly lease: string) {
    super(`lease "${lease}" is held by another run; try again shortly`);
  }
}

/** Lease name of a pool. */
export function poolLeaseName(poolName: string): string {
  return `pool-${poolName}`;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * In-process turns per store and lease name: callers in one worker queue here instead of all polling the
 * blob lease, which keeps storage traffic flat when many requests of one process want the same pool.
 */
const localTurns = new WeakMap<object, Map<string, Promise<void>>>();

async function localTurn(store: object, name: string, waitMs: number): Promise<(() => void) | undefined> {
  let turns = localTurns.get(store);
  if (!turns) localTurns.set(store, (turns = new Map()));
  const previous = turns.get(name) ?? Promise.resolve();
  let pass!: () => void;
  const mine = new Promise<void>((resolve) => (pass = resolve));
  const chain = previous.then(() => mine);
  turns.set(name, chain);
  const done = (): void => {
    pass();
    if (turns.get(name) === chain) turns.delete(name);
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

/**
 * Runs `fn` while holding the lease `name`. Waits (in-process queue first, then polling the blob lease with
 * jitter) up to `waitMs` while another holder has it, then throws {@link PoolBusyError}. The lease is
 * released even when `fn` throws.
 */
export async function withLease<T>(
  deps: Pick<PoolDeps, 'store' | 'sleep'>,
  name: string,
  fn: () => Promise<T>,
  options: { waitMs?: number; ttlSeconds?: number } = {},
): Promise<T> {
  const sleep = deps.sleep ?? defaultSleep;
  const waitMs = options.waitMs ?? 0;
  const deadline = Date.now() + waitMs;
  const done = await localTurn(deps.store, name, waitMs);
  if (!done) throw new PoolBusyError(name);
  try {
    let delay = 5;
    for (;;) {
      const lease = await deps.store.leases.acquire(name, options.ttlSeconds ?? 60);
      if (lease) {
        try {
          return await fn();
        } finally {
          await lease.release().catch(() => undefined);
        }
      }
      if (Date.now() >= deadline) throw new PoolBusyError(name);
      await sleep(delay + Math.floor(Math.random() * delay));
      delay = Math.min(delay * 2, 100);
    }
  } finally {
    done();
  }
}

/**
 * Per-worker inventory hints: a recent snapshot of each pool's entitlements, records and claims, kept in
 * memory so a first claim need not list the whole pool on its critical path. A hint only suggests which
 * member to try and whether the fast path may be taken; it never decides. A claim re-reads the chosen
 * member (entitlement and record, point reads) before it creates the claim row, and the insert-if-absent
 * on instance and serial is what makes a claim. Growth, 409 answers and every lease-path decision use fresh
 * reads. Changes this worker makes (claims, releases, fresh reads of a member) are laid over the snapshot
 * until a snapshot taken after them replaces it.
 */
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
  /** Wall-clock ms when its reads started: changes noted at or after it are laid over it. */
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

const hints = new WeakMap<object, Map<string, HintState>>();

const hintKey = (pool: Pool): string => `${pool.name}|${pool.configId}|${pool.fortiflex.accountId ?? ''}`;

function hintState(store: object, pool: Pool): HintState {
  let pools = hints.get(store);
  if (!pools) hints.set(store, (pools = new Map()));
  let state = pools.get(hintKey(pool));
  if (!state) pools.set(hintKey(pool), (state = { changes: [], trying: new Set(), version: 0 }));
  return state;
}

async function readSnapshot(deps: Pick<PoolDeps, 'client' | 'store'>, pool: Pool): Promise<HintSnapshot> {
  const startedAt = Date.now();
  const reads = startInventoryReads(deps, pool);
  const [entitlements, records, claims] = await Promise.all([
    reads.entitlements,
    reads.records,
    reads.claims,
  ]);
  return { startedAt, entitlements, records, claims };
}

function adopt(state: HintState, snapshot: HintSnapshot): void {
  if (state.snapshot && state.snapshot.startedAt > snapshot.startedAt) return;
  state.snapshot = snapshot;
  state.changes = state.changes.filter((change) => change.at >= snapshot.startedAt);
  state.version += 1;
}

function loadHint(
  deps: Pick<PoolDeps, 'client' | 'store'>,
  pool: Pool,
  state: HintState,
): Promise<HintSnapshot> {
  if (!state.loading) {
    const loading = readSnapshot(deps, pool).then((snapshot) => {
      adopt(state, snapshot);
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

function builtInventory(state: HintState, policy: Policy, pool: Pool, at: Date): PoolInventory {
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

/**
 * The pool's inventory from this worker's hint (see above): no storage or FortiFlex reads while the hint is
 * young, a refresh started in the background once it ages, and a wait for fresh reads when there is none
 * or it is too old. Never a basis for a decision on its own.
 */
export async function hintedInventory(
  deps: Pick<PoolDeps, 'client' | 'store' | 'now'>,
  policy: Policy,
  pool: Pool,
): Promise<PoolInventory> {
  const ready = peekHint(deps, policy, pool);
  if (ready) return ready;
  const state = hintState(deps.store, pool);
  await loadHint(deps, pool, state);
  return builtInventory(state, policy, pool, deps.now());
}

/**
 * The hinted inventory if this worker has one young enough to use, without waiting; undefined otherwise
 * (a load is then started in the background, so a later call finds it).
 */
export function peekHint(
  deps: Pick<PoolDeps, 'client' | 'store' | 'now'>,
  policy: Policy,
  pool: Pool,
): PoolInventory | undefined {
  const state = hintState(deps.store, pool);
  const age = state.snapshot ? Date.now() - state.snapshot.startedAt : Infinity;
  if (age > HINT_REFRESH_AFTER_MS) void loadHint(deps, pool, state).catch(() => undefined);
  return age > HINT_MAX_AGE_MS ? undefined : builtInventory(state, policy, pool, deps.now());
}

/**
 * Reads the pool's inventory now (never from the hint) and makes it this worker's hint. Changes this worker
 * noted while the reads ran are laid over it, which only makes it more current.
 */
export async function freshInventory(
  deps: Pick<PoolDeps, 'client' | 'store' | 'now'>,
  policy: Policy,
  pool: Pool,
): Promise<PoolInventory> {
  const state = hintState(deps.store, pool);
  adopt(state, await readSnapshot(deps, pool));
  return builtInventory(state, policy, pool, deps.now());
}

function note(store: object, pool: Pool, change: HintChange): void {
  const state = hintState(store, pool);
  state.changes.push(change);
  state.version += 1;
}

/** Tells this worker's hint that `claim` was created. */
export function noteClaimed(store: object, pool: Pool, claim: ClaimRecord): void {
  note(store, pool, { at: Date.now(), kind: 'claim', claim });
}

/** Tells this worker's hint that the claim on `serialNumber` is gone. */
export function noteReleased(store: object, pool: Pool, serialNumber: string): void {
  note(store, pool, { at: Date.now(), kind: 'release', serialNumber });
}

/** Tells this worker's hint what a point read found for `serialNumber` (undefined = not listed / no record). */
export function noteMember(
  store: object,
  pool: Pool,
  serialNumber: string,
  entitlement: Entitlement | undefined,
  record: EntitlementRecord | undefined,
): void {
  note(store, pool, { at: Date.now(), kind: 'fresh', serialNumber, entitlement, record });
}

/** Drops this worker's hint of `pool` after a change the hint cannot follow (resize, stop, reactivate). */
export function forgetHint(store: object, pool: Pool): void {
  hints.get(store)?.delete(hintKey(pool));
}

/** True while a claim of this worker is trying `serialNumber`. */
export function memberBeingTried(store: object, pool: Pool, serialNumber: string): boolean {
  return hints.get(store)?.get(hintKey(pool))?.trying.has(serialNumber) ?? false;
}

/**
 * Marks `serialNumber` as being tried by a claim of this worker; returns false when another claim here is
 * already trying it. Call the returned release function when done.
 */
export function tryingMember(store: object, pool: Pool, serialNumber: string): (() => void) | undefined {
  const state = hintState(store, pool);
  if (state.trying.has(serialNumber)) return undefined;
  state.trying.add(serialNumber);
  return () => {
    state.trying.delete(serialNumber);
  };
}
