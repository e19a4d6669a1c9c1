/**
 * License claims: a booting instance asks its pool for a license and gets `{ serialNumber, token, status }`;
 * the same instance id always gets the same serial until it releases it.
 *
 * Guarantees:
 * - The claim row is created with an insert-if-absent on both the instance id and the serial before any
 *   token is revealed, so concurrent claims (HTTP or CLI, any number of processes) never share a serial and
 *   never give one instance two serials.
 * - A repeat claim reads the claim row and the entitlement only: no token regeneration.
 * - A token handed to a new instance is unused: a STOPPED member or one whose token was used is given a new
 *   token before it is revealed, and a release regenerates a token that was revealed but never used.
 * - The pool only grows (reactivate, unpark, create) under the pool lease, so concurrent claims create no
 *   more entitlements than instances need and never grow the pool past `max`.
 * - A member in use outside claims (ACTIVE, token used, no claim, not released by the scaler) is never handed
 *   out: a FortiGate may be running on it. It counts against `max` like a claim.
 * - A release regenerates any token it must kill and writes the member's record while the claim row still
 *   keeps other claims off the serial. When the departed instance's used token stays in place, the record
 *   says `claimRelease`: the token's user is known gone, so the member is a spare again.
 */
import type { Entitlement } from '../lib/fortiflex/types';
import type { Pool } from '../lib/rules';
import { ConcurrencyError, type ClaimRecord } from '../lib/state';
import {
  findPool,
  freshInventory,
  hintedInventory,
  isMarkedForRelease,
  isPoolMember,
  isReleasedByScaler,
  memberBeingTried,
  memberRole,
  noteClaimed,
  noteMember,
  noteReleased,
  peekHint,
  poolDescription,
  poolLeaseName,
  POOL_ACTIONS,
  tryingMember,
  withLease,
  type PoolDeps,
  type PoolInventory,
  type PoolMember,
} from './pools';
import { errorText, type ScaleMessage } from './scale';

/** What a claim reveals. */
export interface ClaimResult {
  serialNumber: string;
  token: string;
  status: string;
}

/** How a claim was satisfied. */
export type ClaimSource = 'repeat' | 'held' | 'cancelRelease' | 'reactivated' | 'unparked' | 'created';

/** A claim result plus how it was obtained (never logged with the token). */
export interface ClaimOutcome extends ClaimResult {
  source: ClaimSource;
}

/** The pool's numbers, returned with a 409 when it is at max. */
export interface PoolNumbers {
  pool: string;
  min: number;
  max: number;
  claimed: number;
  /** Licenses in use outside claims; they count against `max` like claims. */
  inUse: number;
  active: number;
}

/** The pool has no free license and may not grow. */
export class PoolAtMaxError extends Error {
  override readonly name = 'PoolAtMaxError';
  constructor(readonly numbers: PoolNumbers) {
    super(
      `pool "${numbers.pool}" is at max: ${numbers.claimed} claimed and ${numbers.inUse} in use outside claims ` +
        `of ${numbers.max} licenses`,
    );
  }
}

/** A release for an instance that holds no claim (and did not release recently). */
export class ClaimNotFoundError extends Error {
  override readonly name = 'ClaimNotFoundError';
  constructor(pool: string, instanceId: string) {
    super(`pool "${pool}": instance "${instanceId}" holds no claim`);
  }
}

/** An instance id that is not acceptable. */
export class InvalidInstanceIdError extends Error {
  override readonly name = 'InvalidInstanceIdError';
}

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Validates and normalises an instance id: the VM name (Azure IMDS `compute.name`, the scale-set VM's
 * `name`), compared case-insensitively, so it is stored lower-case.
 */
export function normalizeInstanceId(value: unknown): string {
  if (typeof value !== 'string' || !INSTANCE_ID.test(value)) {
    throw new InvalidInstanceIdError(
      'instanceId: expected the VM name, 1-128 characters: letters, digits, ".", "_", ":" or "-"',
    );
  }
  return value.toLowerCase();
}

/** How long a release is remembered so that a second DELETE answers 204. */
export const RELEASE_MEMORY_MS = 24 * 60 * 60 * 1000;

const releaseKey = (pool: string, instanceId: string): string => `release:${pool}:${instanceId}`;

/** Options of claim and release. */
export interface ClaimOptions {
  runId: string;
  actor?: string;
  /** Longest wait for the pool lease when the pool must grow. */
  leaseWaitMs?: number;
}

const scopeOf = (pool: Pool) => ({ configId: pool.configId, accountId: pool.fortiflex.accountId });

function expiry(pool: Pool, now: Date): string | undefined {
  return pool.claimTtlMinutes
    ? new Date(now.getTime() + pool.claimTtlMinutes * 60_000).toISOString()
    : undefined;
}

async function findEntitlement(
  deps: PoolDeps,
  pool: Pool,
  serialNumber: string,
): Promise<Entitlement | undefined> {
  const listed = await deps.client.listEntitlements(scopeOf(pool), { serialNumber });
  return listed.find((candidate) => candidate.serialNumber === serialNumber);
}

async function readEntitlement(deps: PoolDeps, pool: Pool, serialNumber: string): Promise<Entitlement> {
  const entitlement = await findEntitlement(deps, pool, serialNumber);
  if (!entitlement) throw new Error(`pool "${pool.name}": entitlement ${serialNumber} is not listed`);
  return entitlement;
}

/**
 * Claims a license of `poolName` for `instanceId` (already normalised). Throws {@link PoolAtMaxError} when
 * the pool is full, `UnknownPoolError` for an unknown pool and `PoolBusyError` when the pool must grow but
 * its lease stays busy.
 *
 * Critical path of a first claim that a free member can satisfy: this worker's inventory hint (memory), then
 * a point read of one member (entitlement and record, together), then the claim row, then the audit row.
 * Nothing lists the pool on that path; the hint is refreshed in the background.
 */
export async function claimLicense(
  deps: PoolDeps,
  poolName: string,
  instanceId: string,
  options: ClaimOptions,
): Promise<ClaimOutcome> {
  const policy = await deps.loadPolicy();
  const pool = findPool(policy, poolName);
  let hint = peekHint(deps, policy, pool);
  if (!hint) {
    // No usable hint: the claim row is read while the hint loads, so a repeat need not wait for the load.
    const loading = hintedInventory(deps, policy, pool);
    loading.catch(() => undefined);
    const existing = await deps.store.claims.get(pool.name, instanceId);
    if (existing) return repeatClaim(deps, pool, existing);
    hint = await loading;
  } else if (knowsClaim(hint, instanceId)) {
    // A claim this worker knows of is read first: a repeat costs its claim row and its one entitlement. An
    // unknown instance skips that read, because the claim row's insert-if-absent on the instance id sends a
    // repeat that the hint missed to the same place (see tryClaim).
    const existing = await deps.store.claims.get(pool.name, instanceId);
    if (existing) return repeatClaim(deps, pool, existing);
  }
  if (fastPathOpen(hint)) {
    // A few tries only: when those serials are taken, the hint is stale and the lease path reads afresh.
    const tried = new Set<string>();
    for (let tries = 0; tries < FAST_PATH_TRIES; tries += 1) {
      // The hint as it is now: claims of this worker that finished meanwhile are already in it.
      const current = tries === 0 ? hint : await hintedInventory(deps, policy, pool);
      if (!fastPathOpen(current)) break;
      const member = rotate(heldFree(current), instanceId).find(
        ({ entitlement: { serialNumber } }) =>
          !tried.has(serialNumber) && !memberBeingTried(deps.store, pool, serialNumber),
      );
      if (!member) break;
      tried.add(member.entitlement.serialNumber);
      const result = await tryFreeMember(deps, pool, instanceId, member.entitlement.serialNumber, options);
      if (result) return result;
    }
  } else if (atMax(hint)) {
    // The hint says full: answer from fresh reads (an instance that holds a claim still gets it back).
    const [existing, fresh] = await Promise.all([
      deps.store.claims.get(pool.name, instanceId),
      freshInventory(deps, policy, pool),
    ]);
    if (existing) return repeatClaim(deps, pool, existing);
    if (atMax(fresh)) throw new PoolAtMaxError(numbers(fresh));
  }
  return withLease(
    deps,
    poolLeaseName(pool.name),
    async () => {
      const [again, fresh] = await Promise.all([
        deps.store.claims.get(pool.name, instanceId),
        freshInventory(deps, policy, pool),
      ]);
      if (again) return repeatClaim(deps, pool, again);
      const at = deps.now();
      if (atMax(fresh)) throw new PoolAtMaxError(numbers(fresh));
      const candidates: [PoolMember[], ClaimSource][] = [
        [heldFree(fresh), 'held'],
        [fresh.members.filter((m) => m.role === 'releasing' && !m.claim && isActive(m)), 'cancelRelease'],
        [fresh.members.filter((m) => m.role === 'reserve' && !m.claim), 'reactivated'],
        [fresh.members.filter((m) => m.role === 'releasing' && !m.claim && !isActive(m)), 'unparked'],
      ];
      for (const [members, source] of candidates) {
        for (const member of members) {
          const result = await tryClaim(deps, pool, instanceId, member, at, options, source);
          if (result) return result;
        }
      }
      const [created] = await deps.client.createVmEntitlements({
        configId: pool.configId,
        count: 1,
        description: poolDescription(pool),
        ...(pool.folderPath ? { folderPath: pool.folderPath } : {}),
      });
      if (!created) throw new Error(`pool "${pool.name}": FortiFlex created no entitlement`);
      noteMember(deps.store, pool, created.serialNumber, created, undefined);
      const member: PoolMember = { entitlement: created, role: 'held' };
      const result = await tryClaim(deps, pool, instanceId, member, at, options, 'created');
      if (!result) throw new Error(`pool "${pool.name}": new entitlement ${created.serialNumber} was taken`);
      return result;
    },
    { waitMs: options.leaseWaitMs ?? 20_000 },
  );
}

function knowsClaim(inventory: PoolInventory, instanceId: string): boolean {
  return (
    inventory.members.some((member) => member.claim?.instanceId === instanceId) ||
    inventory.orphanClaims.some((claim) => claim.instanceId === instanceId)
  );
}

/**
 * Whether a claim may take a free member the hint shows without the lease. Taking a member the pool already
 * holds adds nothing to the pool, and a pool whose claimed, held and in-use members number at most `max`
 * cannot pass `max` that way however stale the claim counts are: the pool only grows under the lease with
 * fresh reads, within `max`. Otherwise (max lowered by a schedule, a debt of claimed members marked for
 * release) only fresh reads under the lease may decide.
 */
function fastPathOpen(inventory: PoolInventory): boolean {
  const potential = inventory.members.filter(
    (m) => m.claim !== undefined || m.role === 'held' || m.role === 'inUseOutsideClaims',
  ).length;
  return !atMax(inventory) && potential <= inventory.bounds.max;
}

/**
 * Tries a member the hint shows free: reads its entitlement and record afresh and takes it only if they
 * still make it a free held member of the pool (never one in use outside claims, marked for release or
 * stopped: those are the lease path's). Returns undefined when it is not free after all or was taken.
 */
async function tryFreeMember(
  deps: PoolDeps,
  pool: Pool,
  instanceId: string,
  serialNumber: string,
  options: ClaimOptions,
): Promise<ClaimOutcome | undefined> {
  const done = tryingMember(deps.store, pool, serialNumber);
  if (!done) return undefined;
  try {
    const [entitlement, record] = await Promise.all([
      findEntitlement(deps, pool, serialNumber),
      deps.store.records.get(serialNumber),
    ]);
    const free =
      entitlement !== undefined &&
      isPoolMember(pool, entitlement, record) &&
      memberRole(entitlement, record) === 'held';
    if (!free) {
      noteMember(deps.store, pool, serialNumber, entitlement, record);
      return undefined;
    }
    const member: PoolMember = { entitlement, record, role: 'held' };
    return await tryClaim(deps, pool, instanceId, member, deps.now(), options, 'held');
  } finally {
    done();
  }
}

const isActive = (member: PoolMember): boolean => member.entitlement.status === 'ACTIVE';

/** Serials a claim tries outside the lease before it queues for it. */
const FAST_PATH_TRIES = 3;

/** Starts each instance at a different candidate so concurrent claims rarely collide on one serial. */
function rotate<T>(items: readonly T[], instanceId: string): T[] {
  if (items.length < 2) return [...items];
  let hash = 0;
  for (const char of instanceId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const start = hash % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/**
 * Unclaimed members the pool holds for instances: ACTIVE (already paid) before PENDING. Members in use outside
 * claims have their own role, so they are never among them.
 */
function heldFree(inventory: PoolInventory): PoolMember[] {
  const free = inventory.members.filter((member) => member.role === 'held' && !member.claim);
  return [...free.filter(isActive), ...free.filter((member) => !isActive(member))];
}

/** Every license the pool may hold is taken by a claim or by a FortiGate outside claims. */
function atMax(inventory: PoolInventory): boolean {
  return inventory.claimed + inventory.inUse >= inventory.bounds.max;
}

function numbers(inventory: PoolInventory): PoolNumbers {
  return {
    pool: inventory.pool.name,
    min: inventory.bounds.min,
    max: inventory.bounds.max,
    claimed: inventory.claimed,
    inUse: inventory.inUse,
    active: inventory.active,
  };
}

/**
 * A repeat claim: the same serial and its current token (never regenerated); reactivated if someone stopped
 * it meanwhile. `known` is the entitlement when the caller already listed it.
 */
async function repeatClaim(
  deps: PoolDeps,
  pool: Pool,
  claim: ClaimRecord,
  known?: Entitlement,
): Promise<ClaimOutcome> {
  const now = deps.now();
  const expiresAt = expiry(pool, now);
  const renewedMs = Date.parse(claim.renewedAt ?? claim.claimedAt);
  // Renew at most every tenth of the TTL: repeats stay read-only in a retry storm.
  const due = !(now.getTime() - renewedMs < (pool.claimTtlMinutes ?? 0) * 6_000);
  // Renewal is best effort (a concurrent repeat renewing the same claim is just as good) and independent of
  // the entitlement, so both go out together.
  const renewal =
    expiresAt && due
      ? deps.store.claims.update({ ...claim, renewedAt: now.toISOString(), expiresAt }).then(
          () => undefined,
          (error: unknown) => {
            if (!(error instanceof ConcurrencyError)) throw error;
          },
        )
      : Promise.resolve();
  let [entitlement] = await Promise.all([known ?? readEntitlement(deps, pool, claim.serialNumber), renewal]);
  if (entitlement.status === 'STOPPED') {
    entitlement = await deps.client.reactivateEntitlement({
      serialNumber: claim.serialNumber,
      scope: scopeOf(pool),
    });
  }
  return {
    serialNumber: entitlement.serialNumber,
    token: entitlement.token,
    status: entitlement.status,
    source: 'repeat',
  };
}

/**
 * Tries to take `member` for the instance: creates the claim row first (insert-if-absent on instance and
 * serial), then reactivates / clears the release mark / regenerates the token as needed. Returns undefined
 * when the serial was taken by someone else; returns the existing claim when the instance won elsewhere.
 */
async function tryClaim(
  deps: PoolDeps,
  pool: Pool,
  instanceId: string,
  member: PoolMember,
  now: Date,
  options: ClaimOptions,
  source: ClaimSource,
): Promise<ClaimOutcome | undefined> {
  const { serialNumber } = member.entitlement;
  const claim: ClaimRecord = {
    pool: pool.name,
    instanceId,
    serialNumber,
    claimedAt: now.toISOString(),
    ...(expiry(pool, now) ? { expiresAt: expiry(pool, now) } : {}),
  };
  try {
    noteClaimed(deps.store, pool, await deps.store.claims.create(claim));
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    const mine = await deps.store.claims.get(pool.name, instanceId);
    if (mine) {
      noteClaimed(deps.store, pool, mine);
      return repeatClaim(deps, pool, mine);
    }
    // Someone else holds the serial: the hint shows it claimed until a fresh snapshot says who.
    noteClaimed(deps.store, pool, { ...claim, instanceId: '' });
    return undefined;
  }
  try {
    let entitlement = member.entitlement;
    const wasStopped = entitlement.status === 'STOPPED';
    if (wasStopped) {
      entitlement = await deps.client.reactivateEntitlement({ serialNumber, scope: scopeOf(pool) });
    }
    // A `claimRelease` record must not outlive the new claim: it would vouch for this instance's token.
    if (wasStopped || member.role === 'releasing' || isReleasedByScaler(member.record)) {
      const base = member.record ? { ...member.record } : { serialNumber, stoppedByScaler: false };
      delete base.etag;
      await deps.store.records.upsert({
        ...base,
        serialNumber,
        pool: pool.name,
        stoppedByScaler: false,
        ...(wasStopped ? { previousStatus: 'STOPPED' } : {}),
        lastAction: POOL_ACTIONS.assign,
        lastActionAt: now.toISOString(),
        lastReason: `claimed by ${instanceId}`,
      });
    }
    if (wasStopped || entitlement.tokenStatus === 'USED') {
      entitlement = await deps.client.regenerateToken({ serialNumber });
    }
    await deps.store.audit
      .append({
        at: now.toISOString(),
        runId: options.runId,
        actor: options.actor ?? 'claims',
        pool: pool.name,
        serialNumber,
        action: 'claim',
        outcome: 'succeeded',
        reason: `claimed by instance ${instanceId}`,
        details: { instanceId, source },
      })
      .catch(() => undefined);
    return {
      serialNumber,
      token: entitlement.token,
      status: entitlement.status === 'STOPPED' ? 'ACTIVE' : entitlement.status,
      source,
    };
  } catch (error) {
    // The license could not be readied: give the serial back so another claim can use it.
    await deps.store.claims.delete(pool.name, instanceId).catch(() => undefined);
    noteReleased(deps.store, pool, serialNumber);
    throw error;
  }
}

/** Options of {@link releaseClaim}. */
export interface ReleaseOptions extends ClaimOptions {
  /** Regenerate the token even if it was used, so the departed instance's token is dead. */
  regenerateToken?: boolean;
  /** Queue a `settle` message so the pool decides whether to stop the freed license. Default true. */
  notifyPool?: boolean;
}

/** What a release did. */
export type ReleaseOutcome = 'released' | 'alreadyReleased';

/**
 * Releases the claim of `instanceId`. A second release within {@link RELEASE_MEMORY_MS} answers
 * `alreadyReleased`; an instance that never held a claim throws {@link ClaimNotFoundError}.
 */
export async function releaseClaim(
  deps: PoolDeps,
  poolName: string,
  instanceId: string,
  options: ReleaseOptions,
): Promise<ReleaseOutcome> {
  const policy = await deps.loadPolicy();
  const pool = findPool(policy, poolName);
  const now = deps.now();
  const claim = await deps.store.claims.get(pool.name, instanceId);
  if (!claim) {
    // A 1 ms probe: false only while a real release (remembered for a day) is on record.
    const unseen = await deps.store.events.remember(releaseKey(pool.name, instanceId), 1, now);
    if (unseen) throw new ClaimNotFoundError(pool.name, instanceId);
    return 'alreadyReleased';
  }
  await releaseRow(deps, pool, claim, now, options);
  return 'released';
}

/**
 * Releases a claim row and does the follow-up (token, record, memory, audit, settle); shared with the sweep.
 * The token work and the record come first, while the claim row still keeps other claims off the serial: a
 * token regenerated after the row went could kill the token a new claim had just revealed.
 */
export async function releaseRow(
  deps: PoolDeps,
  pool: Pool,
  claim: ClaimRecord,
  now: Date,
  options: ReleaseOptions & { reason?: string },
): Promise<boolean> {
  let tokenError: string | undefined;
  let regenerated = false;
  let tokenUsed: boolean | undefined;
  const record = await deps.store.records.get(claim.serialNumber);
  const marked = isMarkedForRelease(record);
  try {
    const entitlement = await readEntitlement(deps, pool, claim.serialNumber);
    tokenUsed = entitlement.tokenStatus === 'USED';
    // A revealed token that was never used could still license another VM: kill it. A member marked for
    // release (a scale-in debt) gets a fresh token too, so it stays a plain unused member until it stops.
    if (options.regenerateToken || !tokenUsed || marked) {
      await deps.client.regenerateToken({ serialNumber: claim.serialNumber });
      regenerated = true;
      tokenUsed = false;
    }
  } catch (error) {
    tokenError = errorText(error);
  }
  // With the departed instance's token still in place, `claimRelease` says the scaler let that instance go,
  // so the used token no longer counts as in use. With a fresh token the entitlement itself says unused, and
  // the record must not vouch for whoever uses the new token later. A debt keeps its release mark.
  if (!(marked && tokenUsed === false)) {
    const base = record ? { ...record } : { serialNumber: claim.serialNumber, stoppedByScaler: false };
    delete base.etag;
    await deps.store.records.upsert({
      ...base,
      serialNumber: claim.serialNumber,
      pool: pool.name,
      lastAction: tokenUsed === false ? POOL_ACTIONS.unassignNewToken : POOL_ACTIONS.unassign,
      lastActionAt: now.toISOString(),
      lastReason: options.reason ?? `released by instance ${claim.instanceId}`,
    });
  }
  let removed: boolean;
  try {
    removed = await deps.store.claims.delete(pool.name, claim.instanceId, claim.etag);
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    // Renewed meanwhile: the instance is alive and asked again; release what is there now.
    removed = await deps.store.claims.delete(pool.name, claim.instanceId);
  }
  noteReleased(deps.store, pool, claim.serialNumber);
  await deps.store.events.remember(releaseKey(pool.name, claim.instanceId), RELEASE_MEMORY_MS, now);
  if (!removed) return false;
  await deps.store.audit
    .append({
      at: now.toISOString(),
      runId: options.runId,
      actor: options.actor ?? 'claims',
      pool: pool.name,
      serialNumber: claim.serialNumber,
      action: 'release',
      outcome: tokenError ? 'failed' : 'succeeded',
      reason: options.reason ?? `released by instance ${claim.instanceId}`,
      ...(tokenError ? { error: `token not regenerated: ${tokenError}` } : {}),
      details: { instanceId: claim.instanceId, tokenRegenerated: regenerated },
    })
    .catch(() => undefined);
  if (options.notifyPool !== false) {
    const message: ScaleMessage = {
      v: 1,
      kind: 'settle',
      pool: pool.name,
      source: 'release',
      reason: `license released by ${claim.instanceId}`,
      receivedAt: now.toISOString(),
    };
    // The sweep settles the pool anyway; a lost notification only delays the stop.
    await deps.store.queue.send(message).catch(() => undefined);
  }
  return true;
}
