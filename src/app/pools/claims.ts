/**
 * License claims: a booting instance asks its pool for a license and gets `{ serialNumber, token, status }`;
 * the same instance id always gets the same serial until it releases it (see `release.ts`).
 *
 * Guarantees:
 * - The claim row is created with an insert-if-absent on both the instance id and the serial before any
 *   token is revealed, so concurrent claims (HTTP or CLI, any number of processes) never share a serial and
 *   never give one instance two serials.
 * - The row is created incomplete and a token is revealed only by the attempt that completes it; a repeat
 *   answers only from a complete row, reading the claim row and the entitlement only (no token
 *   regeneration). A failed or dead attempt leaves the license held for the instance's retry, never in use
 *   outside claims (see `claim-attempt.ts`).
 * - A token handed to a new instance is unused: a STOPPED member or one whose token was used is given a new
 *   token before it is revealed, and a release regenerates a token that was revealed but never used.
 * - The pool only grows (reactivate, unpark, create) under the pool lease, so concurrent claims create no
 *   more entitlements than instances need and never grow the pool past `max`.
 * - A member in use outside claims (ACTIVE, token used, no claim, not released by the scaler) is never handed
 *   out: a FortiGate may be running on it. It counts against `max` like a claim.
 */
import type { Policy, Pool } from '../../lib/rules';
import { BusyError, ConflictError, InvalidRequestError } from '../errors';
import { answerExisting, tryClaim } from './claim-attempt';
import { readMember } from './claim-rows';
import type { PoolDeps } from './deps';
import { createWithIntent, resolveIntents } from './intents';
import { poolLeaseName } from './lease';
import {
  atMax,
  freeMembers,
  isActive,
  isPoolMember,
  memberRole,
  poolNumbers,
  type PoolInventory,
  type PoolMember,
  type PoolNumbers,
} from './membership';
import { resolvePool } from './records';

/** What a claim reveals. */
export interface ClaimResult {
  serialNumber: string;
  token: string;
  status: string;
}

/** How a claim was satisfied (`resumed`: an earlier attempt of the instance failed or died and this one finished it). */
export type ClaimSource =
  'repeat' | 'resumed' | 'held' | 'cancelRelease' | 'reactivated' | 'unparked' | 'created';

/** A claim result plus how it was obtained (never logged with the token). */
export interface ClaimOutcome extends ClaimResult {
  source: ClaimSource;
}

/** The pool has no free license and may not grow. */
export class PoolAtMaxError extends ConflictError {
  override readonly name = 'PoolAtMaxError';
  constructor(readonly numbers: PoolNumbers) {
    super(
      `pool "${numbers.pool}" is at max: ${numbers.claimed} claimed and ${numbers.inUse} in use outside claims ` +
        `of ${numbers.max} licenses`,
      { ...numbers },
    );
  }
}

/** The license a claim created was taken by another claim before this one could take it. */
export class NewLicenseTakenError extends BusyError {
  override readonly name = 'NewLicenseTakenError';
  constructor(pool: string, serialNumber: string) {
    super(`pool "${pool}": the new license ${serialNumber} went to another claim; retry`, 1);
  }
}

/** An instance id that is not acceptable. */
export class InvalidInstanceIdError extends InvalidRequestError {
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
      'instanceId',
    );
  }
  return value.toLowerCase();
}

/** Options of claim and release. */
export interface ClaimOptions {
  runId: string;
  actor?: string;
  /** Longest wait for the pool lease when the pool must grow. */
  leaseWaitMs?: number;
  /** Longest wait for another attempt of the same instance to complete its claim (default 3 s). */
  repeatWaitMs?: number;
  /**
   * For a caller that already holds the pool lease (the pool sync): runs the lease path through this instead
   * of taking the lease again, which would wait for itself. It must run one body at a time.
   */
  underHeldLease?: <T>(body: () => Promise<T>) => Promise<T>;
}

/** Serials a claim tries outside the lease before it queues for it. */
const FAST_PATH_TRIES = 3;

/**
 * Claims a license of `poolName` for `instanceId` (already normalised). Throws {@link PoolAtMaxError} when
 * the pool is full, `UnknownPoolError` for an unknown pool, `PoolBusyError` when the pool must grow but its
 * lease stays busy, and `ClaimBusyError` while another attempt of the same instance is readying its claim.
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
  const { policy, pool } = await resolvePool(deps, poolName);
  let hint = deps.hints.peek(deps, policy, pool);
  if (!hint) {
    // No usable hint: the claim row is read while the hint loads, so a repeat need not wait for the load.
    const loading = deps.hints.inventory(deps, policy, pool);
    loading.catch(() => undefined);
    const existing = await deps.store.claims.get(pool.name, instanceId);
    const answered = existing && (await answerExisting(deps, pool, existing, options));
    if (answered) return answered;
    hint = await loading;
  } else if (knowsClaim(hint, instanceId)) {
    // A claim this worker knows of is read first: a repeat costs its claim row and its one entitlement. An
    // unknown instance skips that read, because the claim row's insert-if-absent on the instance id sends a
    // repeat that the hint missed to the same place (see tryClaim).
    const existing = await deps.store.claims.get(pool.name, instanceId);
    const answered = existing && (await answerExisting(deps, pool, existing, options));
    if (answered) return answered;
  }
  if (fastPathOpen(hint)) {
    // A few tries only: when those serials are taken, the hint is stale and the lease path reads afresh.
    const tried = new Set<string>();
    for (let tries = 0; tries < FAST_PATH_TRIES; tries += 1) {
      // The hint as it is now: claims of this worker that finished meanwhile are already in it.
      const current = tries === 0 ? hint : await deps.hints.inventory(deps, policy, pool);
      if (!fastPathOpen(current)) break;
      const member = rotate(freeMembers(current), instanceId).find(
        ({ entitlement: { serialNumber } }) =>
          !tried.has(serialNumber) && !deps.hints.beingTried(pool, serialNumber),
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
      deps.hints.fresh(deps, policy, pool),
    ]);
    const answered = existing && (await answerExisting(deps, pool, existing, options));
    if (answered) return answered;
    if (atMax(fresh)) throw new PoolAtMaxError(poolNumbers(fresh));
  }
  return claimUnderLease(deps, policy, pool, instanceId, options);
}

/** The lease path: fresh reads, then the cheapest member, growing the pool by one when none is free. */
function claimUnderLease(
  deps: PoolDeps,
  policy: Policy,
  pool: Pool,
  instanceId: string,
  options: ClaimOptions,
): Promise<ClaimOutcome> {
  const leases = options.underHeldLease ? heldLease(options.underHeldLease) : deps.leases;
  return leases.withLease(
    poolLeaseName(pool.name),
    async () => {
      const [again, fresh] = await Promise.all([
        deps.store.claims.get(pool.name, instanceId),
        deps.hints.fresh(deps, policy, pool),
      ]);
      // Under the lease a repeat waits less: other claims of the pool queue behind it.
      const answered =
        again && (await answerExisting(deps, pool, again, { ...options, repeatWaitMs: 1_000 }));
      if (answered) return answered;
      const at = deps.now();
      if (atMax(fresh)) throw new PoolAtMaxError(poolNumbers(fresh));
      const candidates: [PoolMember[], ClaimSource][] = [
        [freeMembers(fresh), 'held'],
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
      // A create is written ahead; an earlier one left open by a killed process is resolved first, so what
      // it made is not taken for this one's (see intents.ts).
      await resolveIntents(deps, fresh, { runId: options.runId, actor: options.actor ?? 'claims' }, at);
      const [created] = await createWithIntent(
        deps,
        fresh,
        1,
        {
          runId: options.runId,
          actor: options.actor ?? 'claims',
          reason: `claim by instance ${instanceId}: no free license`,
        },
        at,
      );
      if (!created) throw new Error(`pool "${pool.name}": FortiFlex created no entitlement`);
      deps.hints.noteMember(pool, created.serialNumber, created, undefined);
      const member: PoolMember = { entitlement: created, role: 'held' };
      const result = await tryClaim(deps, pool, instanceId, member, at, options, 'created');
      // Another worker's claim took it first (from a hint that already shows it): the pool grew for that
      // instance, and this one's retry finds the next free license.
      if (!result) throw new NewLicenseTakenError(pool.name, created.serialNumber);
      return result;
    },
    { waitMs: options.leaseWaitMs ?? 20_000 },
  );
}

/** The lease of a caller that holds it already, as `PoolLeases.withLease` is called. */
function heldLease(run: <T>(body: () => Promise<T>) => Promise<T>): Pick<PoolDeps['leases'], 'withLease'> {
  return { withLease: (_name, body) => run(body) };
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
  const done = deps.hints.trying(pool, serialNumber);
  if (!done) return undefined;
  try {
    const { entitlement, record } = await readMember(deps, pool, serialNumber);
    const free =
      entitlement !== undefined &&
      isPoolMember(pool, entitlement, record) &&
      memberRole(entitlement, record) === 'held';
    if (!free) return undefined;
    const member: PoolMember = { entitlement, record, role: 'held' };
    return await tryClaim(deps, pool, instanceId, member, deps.now(), options, 'held');
  } finally {
    done();
  }
}

/** Starts each instance at a different candidate so concurrent claims rarely collide on one serial. */
function rotate<T>(items: readonly T[], instanceId: string): T[] {
  if (items.length < 2) return [...items];
  let hash = 0;
  for (const char of instanceId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const start = hash % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}
