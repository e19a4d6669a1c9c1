/**
 * Pool capacity changes: the `scaler-work` queue message, the pure step planner (scale out / scale in /
 * due releases) and the worker use case that applies a message under the pool's lease.
 *
 * Scale out (in this order, cheapest first): cancel pending releases (a license still ACTIVE and unassigned
 * is reused at zero cost), reactivate STOPPED members (token regenerated first when it was used), unpark
 * PENDING members (unused tokens, free until used), then create entitlements named after the pool. Scale in
 * marks surplus members for release, unclaimed ACTIVE ones first (they cost points), then unclaimed PENDING
 * ones (parked, free), then claimed ones (a debt that moves to the next member an instance frees). Members in
 * use outside claims are never marked, moved to or stopped: they count toward the size but only an operator
 * gives them back. A marked ACTIVE member is stopped when due: just before the next PT midnight, because the
 * current PT day is already paid. Before marking (or moving a release to) a member whose token was used by
 * an instance the scaler released, its token is regenerated, so a used token on an unclaimed member always
 * means use outside claims (see `pools.ts`).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Entitlement } from '../lib/fortiflex/types';
import type { Policy, Pool } from '../lib/rules';
import type { AuditEntry, EntitlementRecord } from '../lib/state';
import {
  findPool,
  forgetHint,
  isInUseOutsideClaims,
  isMarkedForRelease,
  loadInventory,
  poolDescription,
  poolLeaseName,
  POOL_ACTIONS,
  releaseDueAt,
  withLease,
  type InventoryReads,
  type PoolDeps,
  type PoolInventory,
  type PoolMember,
} from './pools';

/** Queue the webhook, the claim release and the CLI write to; the pool worker reads it. */
export const SCALE_QUEUE = 'scaler-work';

/** Largest pool size a message may ask for. */
export const MAX_DESIRED = 1000;

/** How long the worker remembers the event of a resize it applied (as long as the webhook dedupes). */
const APPLIED_TTL_MS = 24 * 60 * 60 * 1000;

/** Where a scale request came from. */
export type ScaleSource = 'alert' | 'autoscale' | 'generic' | 'cli' | 'release' | 'sweep';

/** A requested capacity change: an absolute size or a relative step. */
export type CapacityChange = { desired: number } | { delta: number };

/**
 * A `scaler-work` message (JSON). `scale` changes the pool's size then settles it; `settle` only runs due
 * releases and enforces the bounds in force (sent after a claim is released).
 */
export type ScaleMessage =
  | {
      v: 1;
      kind: 'scale';
      pool: string;
      change: CapacityChange;
      source: ScaleSource;
      reason: string;
      eventKey?: string;
      receivedAt: string;
    }
  | { v: 1; kind: 'settle'; pool: string; source: ScaleSource; reason: string; receivedAt: string };

const sourceSchema = z.enum(['alert', 'autoscale', 'generic', 'cli', 'release', 'sweep']);
const messageSchema = z.discriminatedUnion('kind', [
  z.object({
    v: z.literal(1),
    kind: z.literal('scale'),
    pool: z.string().min(1).max(200),
    change: z.union([
      z.strictObject({ desired: z.number().int().min(0).max(MAX_DESIRED) }),
      z.strictObject({ delta: z.number().int().min(-MAX_DESIRED).max(MAX_DESIRED) }),
    ]),
    source: sourceSchema,
    reason: z.string().max(500),
    eventKey: z.string().min(1).max(500).optional(),
    receivedAt: z.string().max(100),
  }),
  z.object({
    v: z.literal(1),
    kind: z.literal('settle'),
    pool: z.string().min(1).max(200),
    source: sourceSchema,
    reason: z.string().max(500),
    receivedAt: z.string().max(100),
  }),
]);

/** Thrown for a queue message that can never be processed. */
export class InvalidScaleMessageError extends Error {
  override readonly name = 'InvalidScaleMessageError';
}

/**
 * Validates a queue message. The Functions host hands over parsed JSON; a raw string is parsed here.
 * Throws {@link InvalidScaleMessageError} naming the first bad field.
 */
export function parseScaleMessage(value: unknown): ScaleMessage {
  let input = value;
  if (typeof input === 'string') {
    try {
      input = JSON.parse(input) as unknown;
    } catch {
      throw new InvalidScaleMessageError('message: not JSON; expected a scaler-work message object');
    }
  }
  const result = messageSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.length ? issue.path.join('.') : 'message';
    throw new InvalidScaleMessageError(`${path}: ${issue.message}`);
  }
  return result.data as ScaleMessage;
}

/** One planned change to a pool member (or a creation). */
export type PoolStep =
  | { kind: 'cancelRelease'; serialNumber: string }
  | { kind: 'reactivate'; serialNumber: string }
  | { kind: 'create'; count: number }
  | { kind: 'markRelease'; serialNumber: string }
  | { kind: 'moveRelease'; from: string; to: string }
  | { kind: 'stop'; serialNumber: string };

/** The size a change asks for, clamped to the bounds in force. */
export function targetSize(inventory: PoolInventory, change: CapacityChange): number {
  const wanted = 'desired' in change ? change.desired : inventory.size + change.delta;
  return Math.min(inventory.bounds.max, Math.max(inventory.bounds.min, wanted));
}

const isActive = (member: PoolMember): boolean => member.entitlement.status === 'ACTIVE';
/** An unclaimed member whose used token belonged to an instance the scaler released. */
const hasReleasedToken = (member: PoolMember | undefined): boolean =>
  member !== undefined && !member.claim && isActive(member) && member.entitlement.tokenStatus === 'USED';
const isPending = (member: PoolMember): boolean => member.entitlement.status === 'PENDING';
const serial = (member: PoolMember): string => member.entitlement.serialNumber;
const byNewestClaim = (a: PoolMember, b: PoolMember): number =>
  (b.claim?.claimedAt ?? '').localeCompare(a.claim?.claimedAt ?? '');

/** Steps that bring the pool's size to `target` (pure). */
export function planResize(inventory: PoolInventory, target: number): PoolStep[] {
  const steps: PoolStep[] = [];
  const { members } = inventory;
  if (target > inventory.size) {
    let need = target - inventory.size;
    const releasing = members.filter((member) => member.role === 'releasing');
    const order: PoolStep[] = [
      // A claimed member marked for release is a scale-in debt: cancelling it is free.
      ...releasing.filter((member) => member.claim).map((m) => cancel(m)),
      ...releasing.filter((member) => !member.claim && isActive(member)).map((m) => cancel(m)),
      ...members
        .filter((member) => member.role === 'reserve')
        .map((member): PoolStep => ({ kind: 'reactivate', serialNumber: serial(member) })),
      ...releasing.filter((member) => !member.claim && isPending(member)).map((m) => cancel(m)),
    ];
    for (const step of order) {
      if (need === 0) break;
      steps.push(step);
      need -= 1;
    }
    if (need > 0) steps.push({ kind: 'create', count: need });
  } else if (target < inventory.size) {
    const held = members.filter((member) => member.role === 'held');
    const order = [
      ...held.filter((member) => !member.claim && isActive(member)),
      ...held.filter((member) => !member.claim && !isActive(member)),
      ...held.filter((member) => member.claim).sort(byNewestClaim),
    ];
    for (const member of order.slice(0, inventory.size - target)) {
      steps.push({ kind: 'markRelease', serialNumber: serial(member) });
    }
  }
  return steps;
}

function cancel(member: PoolMember): PoolStep {
  return { kind: 'cancelRelease', serialNumber: serial(member) };
}

/**
 * Steps due at `now` (pure): move scale-in debts from claimed members to members nobody holds, then stop
 * marked ACTIVE members whose release is due. Marked PENDING members cost nothing and stay parked.
 */
export function planDue(inventory: PoolInventory, now: Date): PoolStep[] {
  const steps: PoolStep[] = [];
  const debts = inventory.members.filter((member) => member.role === 'releasing' && member.claim);
  const free = [
    ...inventory.members.filter((m) => m.role === 'held' && !m.claim && isActive(m)),
    ...inventory.members.filter((m) => m.role === 'held' && !m.claim && !isActive(m)),
  ];
  const moved = new Set<string>();
  for (const [index, debt] of debts.entries()) {
    const target = free[index];
    if (!target) break;
    steps.push({ kind: 'moveRelease', from: serial(debt), to: serial(target) });
    moved.add(serial(target));
  }
  for (const member of inventory.members) {
    const markedNow = moved.has(serial(member));
    if (!isActive(member) || member.claim) continue;
    if (!markedNow && member.role !== 'releasing') continue;
    const markedAt = markedNow ? now : new Date(member.record?.lastActionAt ?? now.toISOString());
    if (releaseDueAt(inventory.pool, markedAt).getTime() <= now.getTime()) {
      steps.push({ kind: 'stop', serialNumber: serial(member) });
    }
  }
  return steps;
}

/** What applying steps did. */
export interface ApplyReport {
  applied: PoolStep[];
  failed: { step: PoolStep; error: string }[];
  created: string[];
}

/** Context of one run, for audit rows. */
export interface RunContext {
  runId: string;
  actor: string;
  reason: string;
}

/** Human summary of an error without secrets (messages of our client never carry tokens or keys). */
export function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);
}

async function writeRecord(
  deps: Pick<PoolDeps, 'store'>,
  pool: Pool,
  existing: EntitlementRecord | undefined,
  serialNumber: string,
  change: Partial<EntitlementRecord>,
): Promise<void> {
  const base: EntitlementRecord = existing
    ? { ...existing }
    : { serialNumber, stoppedByScaler: false, pool: pool.name };
  delete base.etag;
  await deps.store.records.upsert({ ...base, pool: pool.name, ...change, serialNumber });
}

/** Defence in depth: the planners never pick such a member, and no stale plan may either. */
function assertReleasable(member: PoolMember | undefined, serialNumber: string): void {
  if (member?.role === 'inUseOutsideClaims') {
    throw new Error(`refusing to release ${serialNumber}: its license is in use outside claims`);
  }
}

async function audit(deps: Pick<PoolDeps, 'store'>, entry: AuditEntry): Promise<void> {
  // An audit failure must not undo or block a license change that already happened.
  await deps.store.audit.append(entry).catch(() => undefined);
}

/**
 * Applies steps one by one; each failure is isolated, recorded on the member's record and audited, and the
 * rest still run.
 */
export async function applySteps(
  deps: Pick<PoolDeps, 'client' | 'store'>,
  inventory: PoolInventory,
  steps: readonly PoolStep[],
  run: RunContext,
  now: Date,
): Promise<ApplyReport> {
  const { pool } = inventory;
  const at = now.toISOString();
  const bySerial = new Map(inventory.members.map((member) => [serial(member), member]));
  const report: ApplyReport = { applied: [], failed: [], created: [] };
  const scope = { configId: pool.configId, accountId: pool.fortiflex.accountId };
  const row = (action: string, outcome: AuditEntry['outcome'], extra: Partial<AuditEntry>): AuditEntry => ({
    at,
    runId: run.runId,
    actor: run.actor,
    pool: pool.name,
    action,
    outcome,
    reason: run.reason,
    ...extra,
  });
  /** Records that the scaler did `lastAction` to one member now (for this run's reason unless given). */
  const recordAction = (
    serialNumber: string,
    lastAction: string,
    fields: Partial<EntitlementRecord> = {},
  ): Promise<void> =>
    writeRecord(deps, pool, bySerial.get(serialNumber)?.record, serialNumber, {
      lastAction,
      lastActionAt: at,
      lastReason: run.reason,
      ...fields,
    });
  for (const step of steps) {
    try {
      switch (step.kind) {
        case 'cancelRelease': {
          await recordAction(step.serialNumber, POOL_ACTIONS.cancelRelease);
          await audit(deps, row('cancelRelease', 'succeeded', { serialNumber: step.serialNumber }));
          break;
        }
        case 'markRelease': {
          const member = bySerial.get(step.serialNumber);
          assertReleasable(member, step.serialNumber);
          // Keeps the invariant of pools.ts: a marked member never carries a used token.
          if (hasReleasedToken(member))
            await deps.client.regenerateToken({ serialNumber: step.serialNumber });
          await recordAction(step.serialNumber, POOL_ACTIONS.release);
          const dueAt = releaseDueAt(pool, now).toISOString();
          await audit(
            deps,
            row('markRelease', 'planned', { serialNumber: step.serialNumber, details: { dueAt } }),
          );
          break;
        }
        case 'moveRelease': {
          const target = bySerial.get(step.to);
          assertReleasable(target, step.to);
          if (hasReleasedToken(target)) await deps.client.regenerateToken({ serialNumber: step.to });
          await recordAction(step.from, POOL_ACTIONS.cancelRelease, {
            lastReason: `release moved to ${step.to}`,
          });
          await recordAction(step.to, POOL_ACTIONS.release, {
            lastReason: `release moved from ${step.from}, still claimed`,
          });
          await audit(
            deps,
            row('moveRelease', 'succeeded', { serialNumber: step.to, details: { from: step.from } }),
          );
          break;
        }
        case 'reactivate': {
          const member = bySerial.get(step.serialNumber);
          // A new token before reactivating: the spare then reads as unused (ACTIVE, NOTUSED), and a FortiGate
          // still holding the old token is not licensed again by accident. Regeneration works on STOPPED.
          if (member?.entitlement.tokenStatus === 'USED') {
            await deps.client.regenerateToken({ serialNumber: step.serialNumber });
          }
          await deps.client.reactivateEntitlement({ serialNumber: step.serialNumber, scope });
          await recordAction(step.serialNumber, POOL_ACTIONS.reactivate, {
            stoppedByScaler: false,
            previousStatus: member?.entitlement.status,
          });
          await audit(deps, row('reactivate', 'succeeded', { serialNumber: step.serialNumber }));
          break;
        }
        case 'stop': {
          const member = bySerial.get(step.serialNumber);
          assertReleasable(member, step.serialNumber);
          // The inventory is a few calls old and claims take held members without the lease: look again
          // right before the one step that unlicenses a firewall.
          const [claim, listed] = await Promise.all([
            deps.store.claims.findBySerial(pool.name, step.serialNumber),
            deps.client.listEntitlements(scope, { serialNumber: step.serialNumber }),
          ]);
          const current = listed.find((e) => e.serialNumber === step.serialNumber);
          if (claim || member?.claim) throw new Error(`refusing to stop ${step.serialNumber}: it is claimed`);
          if (current && isInUseOutsideClaims(current, member?.record)) {
            throw new Error(`refusing to stop ${step.serialNumber}: its license is in use outside claims`);
          }
          await deps.client.stopEntitlement({ serialNumber: step.serialNumber, scope });
          await recordAction(step.serialNumber, POOL_ACTIONS.stop, {
            stoppedByScaler: true,
            previousStatus: 'ACTIVE',
          });
          await audit(deps, row('stop', 'succeeded', { serialNumber: step.serialNumber }));
          break;
        }
        case 'create': {
          const created = await deps.client.createVmEntitlements({
            configId: pool.configId,
            count: step.count,
            description: poolDescription(pool),
            ...(pool.folderPath ? { folderPath: pool.folderPath } : {}),
          });
          report.created.push(...created.map((entitlement) => entitlement.serialNumber));
          await audit(
            deps,
            row('create', 'succeeded', {
              details: { count: step.count, serialNumbers: created.map((e) => e.serialNumber) },
            }),
          );
          break;
        }
      }
      report.applied.push(step);
    } catch (error) {
      const message = errorText(error);
      report.failed.push({ step, error: message });
      const serialNumber = 'serialNumber' in step ? step.serialNumber : undefined;
      if (serialNumber) {
        const member = bySerial.get(serialNumber);
        await writeRecord(deps, pool, member?.record, serialNumber, {
          lastError: message,
          lastErrorAt: at,
        }).catch(() => undefined);
      }
      await audit(deps, row(step.kind, 'failed', { serialNumber, error: message }));
    }
  }
  // Claims of this worker must not keep choosing members from before the change.
  if (steps.length > 0) forgetHint(deps.store, pool);
  return report;
}

/** What one worker run did to a pool. */
export interface ScaleOutcome {
  pool: string;
  before: number;
  target: number;
  after: number;
  bounds: { min: number; max: number };
  applied: PoolStep[];
  failed: { step: PoolStep; error: string }[];
  created: string[];
}

/** Options of {@link applyScaleMessage}. */
export interface ScaleRunOptions {
  runId: string;
  actor?: string;
  /** How long to wait for the pool lease before giving up with `PoolBusyError`. */
  leaseWaitMs?: number;
}

/**
 * Applies one message to its pool under the pool lease: resize (for `scale`), then enforce the bounds in
 * force and run due releases. Member failures are audited and reported, not thrown; a busy lease, an
 * unknown pool or a storage failure throws (so a queue message is retried).
 */
export async function applyScaleMessage(
  deps: PoolDeps,
  message: ScaleMessage,
  options: ScaleRunOptions,
): Promise<ScaleOutcome> {
  const policy = await deps.loadPolicy();
  const pool = findPool(policy, message.pool);
  return withLease(
    deps,
    poolLeaseName(pool.name),
    async () => {
      const now = deps.now();
      const run: RunContext = {
        runId: options.runId,
        actor: options.actor ?? 'scale',
        reason: message.reason,
      };
      const inventory = await loadInventory(deps, policy, pool, now);
      // The host delivers a message again when an earlier attempt threw after its resize (a settle that
      // failed), and a send the webhook took for failed may have arrived after all: one event resizes once.
      const resize =
        message.kind === 'scale' &&
        (message.eventKey === undefined ||
          (await deps.store.events.remember(
            `applied:${pool.name}:${createHash('sha256').update(message.eventKey).digest('hex')}`,
            APPLIED_TTL_MS,
            now,
          )));
      const target = targetSize(inventory, resize ? message.change : { delta: 0 });
      // A settle message only enforces bounds and due releases, which settleLoaded does.
      const steps = resize ? planResize(inventory, target) : [];
      const resized = await applySteps(deps, inventory, steps, run, now);
      const settled = await settleLoaded(deps, policy, pool, run, now);
      return {
        pool: pool.name,
        before: inventory.size,
        target,
        after: settled.size,
        bounds: { min: inventory.bounds.min, max: inventory.bounds.max },
        applied: [...resized.applied, ...settled.report.applied],
        failed: [...resized.failed, ...settled.report.failed],
        created: resized.created,
      };
    },
    { waitMs: options.leaseWaitMs ?? 10_000 },
  );
}

/** True when settling the inventory would change something: the bounds in force or a due release. */
function needsSettling(inventory: PoolInventory, now: Date): boolean {
  return targetSize(inventory, { delta: 0 }) !== inventory.size || planDue(inventory, now).length > 0;
}

/**
 * Enforces the bounds in force and runs due releases, and returns the pool's size afterwards plus the
 * inventory the changes were planned on. Caller holds the pool lease.
 *
 * Without `start` the pool is read first. With it, that inventory is used; a `provisional` one (built on
 * entitlements listed before the lease was taken) may only decide that nothing is to be done: when it shows
 * work, the pool is read again under the lease and the work planned on that, so every change rests on a
 * read made while no other lease holder can change the pool.
 */
async function settleLoaded(
  deps: PoolDeps,
  policy: Policy,
  pool: Pool,
  run: RunContext,
  now: Date,
  start?: { inventory: PoolInventory; provisional: boolean },
): Promise<{ size: number; report: ApplyReport; base: PoolInventory }> {
  let inventory = start?.inventory ?? (await loadInventory(deps, policy, pool, now));
  if (start?.provisional && needsSettling(inventory, now)) {
    inventory = await loadInventory(deps, policy, pool, now);
  }
  const base = inventory;
  const report: ApplyReport = { applied: [], failed: [], created: [] };
  const bounded = targetSize(inventory, { delta: 0 });
  if (bounded !== inventory.size) {
    const boundsRun = { ...run, reason: `capacity bounds ${inventory.bounds.min}..${inventory.bounds.max}` };
    merge(report, await applySteps(deps, inventory, planResize(inventory, bounded), boundsRun, now));
    inventory = await loadInventory(deps, policy, pool, now);
  }
  const due = planDue(inventory, now);
  if (due.length > 0) {
    merge(report, await applySteps(deps, inventory, due, { ...run, reason: 'scale-in release due' }, now));
    inventory = await loadInventory(deps, policy, pool, now);
  }
  return { size: inventory.size, report, base };
}

function merge(into: ApplyReport, from: ApplyReport): void {
  into.applied.push(...from.applied);
  into.failed.push(...from.failed);
  into.created.push(...from.created);
}

/** Options of {@link settlePool}. */
export interface SettleOptions extends ScaleRunOptions {
  /**
   * The pool's entitlements (its config, any status) as listed earlier in the caller's run, before the pool
   * lease was taken. Used instead of listing the pool when they show nothing to do; any change is still
   * planned on a fresh read under the lease. Absent: the pool is listed under the lease.
   */
  listed?: readonly Entitlement[];
}

/**
 * Settles one pool (bounds in force and due releases) under its lease; used by the sweep. Does what a
 * `settle` message does, reading the pool once when nothing needs doing.
 */
export async function settlePool(
  deps: PoolDeps,
  policy: Policy,
  pool: Pool,
  options: SettleOptions,
): Promise<ScaleOutcome> {
  return withLease(
    deps,
    poolLeaseName(pool.name),
    async () => {
      const now = deps.now();
      const run: RunContext = {
        runId: options.runId,
        actor: options.actor ?? 'scale',
        reason: 'periodic settle',
      };
      const listed = options.listed;
      const reads: InventoryReads | undefined = listed && {
        entitlements: Promise.resolve([...listed]),
        records: deps.store.records.list(),
        claims: deps.store.claims.list(pool.name),
      };
      const inventory = await loadInventory(deps, policy, pool, now, reads);
      const settled = await settleLoaded(deps, policy, pool, run, now, {
        inventory,
        provisional: listed !== undefined,
      });
      const { base } = settled;
      return {
        pool: pool.name,
        before: base.size,
        target: targetSize(base, { delta: 0 }),
        after: settled.size,
        bounds: { min: base.bounds.min, max: base.bounds.max },
        applied: settled.report.applied,
        failed: settled.report.failed,
        created: settled.report.created,
      };
    },
    { waitMs: options.leaseWaitMs ?? 10_000 },
  );
}

/** True when `record` marks a member for release (re-exported for status views). */
export { isMarkedForRelease };
