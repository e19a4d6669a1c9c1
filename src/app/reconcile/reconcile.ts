/**
 * The reconcile use case (docs/architecture.md §"Reconcile"): one level-triggered pass that brings every entitlement the policy's
 * rules select to its wanted state at `now`.
 *
 * Read policy → take the run lease → list entitlements (one call per account+program) → load records → close
 * the intents a killed run left open → plan
 * → apply with bounded concurrency, per-entitlement isolation and the plan's action cap → sweep the pools
 * (reusing the run's listing of their scopes) → release the lease.
 * A run that finds the lease held changes nothing and says so; a dry run plans and audits but changes nothing
 * (and needs no lease). Whatever a run misses or gets wrong, the next run sees the real state and converges.
 */
import { randomUUID } from 'node:crypto';
import type { Entitlement } from '../../lib/fortiflex/types';
import { mapWithConcurrency } from '../../lib/concurrency';
import { errorMessage } from '../../lib/error-message';
import {
  planActions,
  roundPoints,
  runsAfter,
  type Plan,
  type PlanAction,
  type Policy,
} from '../../lib/rules';
import type { Lease } from '../../lib/state';
import type { AppDependencies } from '../dependencies';
import { sweepPools, type PoolSweepReport } from '../pools/sweep';
import { closeOpenIntents } from './intents';
import { listPolicy, scopesOf, type RunListing } from './listing';
import {
  applyAction,
  auditDryRun,
  auditRow,
  baseResult,
  intentRecord,
  type ApplyContext,
  type ManagedRecord,
} from './apply';
import { createJournal } from './journal';
import { missingRates } from './rates';
import type { ActionResult, RunError, RunSummary } from './run-summary';

/** Name of the blob lease that makes reconcile runs exclusive. */
export const RECONCILE_LEASE = 'reconcile';
/** Lease duration in seconds (the storage maximum for a finite lease); renewed during long runs. */
export const LEASE_SECONDS = 60;
/** Default number of FortiFlex changes in flight at once. */
export const DEFAULT_CONCURRENCY = 8;

/** How one run behaves. */
export interface ReconcileOptions {
  /** Audit actor: `reconcile` (timer, default), `runNow`, `cli`. */
  actor?: string;
  /** Plan and audit only; also forced by `SCALER_DRY_RUN` and the policy's `mode: dryRun`. */
  dryRun?: boolean;
  /** Changes in flight at once. Default {@link DEFAULT_CONCURRENCY}. */
  concurrency?: number;
  runId?: string;
  /** Aborting stops starting new actions (those in flight finish or fail) and cancels API calls. */
  signal?: AbortSignal;
  /** Lease renewal period in ms. Default a third of the lease duration. */
  renewEveryMs?: number;
  /**
   * Points per day per config id; the policy's `rates` win over these, and these over the rates `deps.rates`
   * looks up (tools/calc) for configs still without one.
   */
  rates?: Record<number, number>;
  /**
   * Asset folder per serial number, for `folderPath` selectors. FortiFlex never reports an entitlement's
   * folder, so without this map such selectors match nothing (the plan notes say so).
   */
  folders?: Record<string, string>;
  /** Progress lines (lease held, list failures). Never receives credentials. */
  log?: (line: string) => void;
  /**
   * NCRONTAB (UTC) of the reconcile runs, which tells the planner when the later runs come (a
   * `lastSafeMoment` stop waits only for one of them). Default `deps.settings.schedule` (`SCALER_SCHEDULE`).
   */
  schedule?: string;
}

/** A run id that sorts by time: `20261024T1500Z-1a2b3c4d`. */
export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace(/(T\d{4})\d{2}Z$/, '$1Z');
  return `${stamp}-${randomUUID().slice(0, 8)}`;
}

function emptySummary(runId: string, now: Date, dryRun: boolean): RunSummary {
  return {
    runId,
    at: now.toISOString(),
    dryRun,
    planned: 0,
    applied: 0,
    failed: 0,
    skipped: 0,
    ptDaysSaved: 0,
    pointsSaved: 0,
    actions: [],
    errors: [],
  };
}

/**
 * A state storage failure that stops the run before anything is applied, as one line naming the setting to
 * check (the SDK's own message says only what failed, e.g. `connect ECONNREFUSED`).
 */
function storageError(what: string, error: unknown): Error {
  return new Error(
    `state storage unavailable while ${what}: ${errorMessage(error)}; check AzureWebJobsStorage and that the storage account is reachable`,
  );
}

/** Keeps the lease alive while the run works; `lost` turns true if a renewal fails. */
function keepAlive(
  lease: Lease,
  everyMs: number,
  errors: RunError[],
): { lost: () => boolean; stop: () => void } {
  let lost = false;
  // One renewal at a time: a renewal still hanging when the next tick comes must not be stacked behind.
  let renewing = false;
  const timer = setInterval(() => {
    if (lost || renewing) return;
    renewing = true;
    lease
      .renew()
      .catch((error: unknown) => {
        if (!lost) errors.push({ stage: 'lease', message: `lease renewal failed: ${errorMessage(error)}` });
        lost = true;
      })
      .finally(() => (renewing = false));
  }, everyMs);
  timer.unref();
  return { lost: () => lost, stop: () => clearInterval(timer) };
}

/**
 * An entitlement seen ACTIVE whose record still claims the scaler stopped it (a stop that failed or was never
 * sent, or a reactivation whose success was not recorded): the scaler no longer owns a stop, so the flag is
 * cleared and a later manual stop is not undone. Pool-managed records belong to the pool logic.
 */
async function clearStaleOwnership(
  deps: Pick<AppDependencies, 'store'>,
  entitlements: Entitlement[],
  records: Map<string, ManagedRecord>,
  acted: Set<string>,
  errors: RunError[],
): Promise<void> {
  const stale = entitlements.filter((e) => {
    const record = records.get(e.serialNumber);
    return (
      e.status === 'ACTIVE' && record?.stoppedByScaler === true && !record.pool && !acted.has(e.serialNumber)
    );
  });
  await mapWithConcurrency(stale, DEFAULT_CONCURRENCY, async (e) => {
    const record = records.get(e.serialNumber)!;
    try {
      await deps.store.records.put({
        ...record,
        stoppedByScaler: false,
        lastReason: 'seen ACTIVE: the earlier stop is no longer the scaler’s to undo',
      });
    } catch (error) {
      errors.push({ serialNumber: e.serialNumber, stage: 'record', message: errorMessage(error) });
    }
  });
}

/** The pool sweep (claims of gone instances, pool bounds, due scale-in stops); its failures never fail the run. */
async function sweep(
  deps: AppDependencies,
  now: Date,
  policy: Policy,
  listing: RunListing,
  errors: RunError[],
): Promise<PoolSweepReport | undefined> {
  try {
    const report = await sweepPools(deps, now, { policy, runId: listing.runId, listing });
    for (const claims of report.claims) {
      if (claims.listError)
        errors.push({ stage: 'sweep', message: `pool ${claims.pool}: ${claims.listError}` });
      for (const message of claims.releaseErrors ?? []) {
        errors.push({ stage: 'sweep', message: `pool ${claims.pool}: ${message}` });
      }
    }
    if (report.purgeError) errors.push({ stage: 'sweep', message: `events purge: ${report.purgeError}` });
    for (const pool of report.pools) {
      if ('error' in pool) errors.push({ stage: 'sweep', message: `pool ${pool.pool}: ${pool.error}` });
      else {
        for (const failure of pool.failed) {
          errors.push({ stage: 'sweep', message: `pool ${pool.pool}: ${failure.error}` });
        }
      }
    }
    return report;
  } catch (error) {
    errors.push({ stage: 'sweep', message: errorMessage(error) });
    return undefined;
  }
}

function totals(summary: RunSummary, plan: Plan, results: ActionResult[]): RunSummary {
  const counted = results.filter((r) => r.outcome === 'succeeded' || r.outcome === 'dryRun');
  return {
    ...summary,
    planned: plan.actions.length + plan.skipped.filter((s) => s.reason.includes('maxActionsPerRun')).length,
    applied: results.filter((r) => r.outcome === 'succeeded').length,
    failed: results.filter((r) => r.outcome === 'failed').length,
    skipped: plan.skipped.length + results.filter((r) => r.outcome === 'skipped').length,
    skippedEntitlements: plan.skipped,
    ptDaysSaved: counted.reduce((sum, r) => sum + r.ptDaysSaved, 0),
    pointsSaved: roundPoints(counted.reduce((sum, r) => sum + r.pointsSaved, 0)),
    actions: results,
  };
}

/**
 * Runs one reconcile at `now` (the caller reads the clock once). Resolves to the run summary; rejects only
 * when nothing could be planned (policy unreadable, records unreadable, storage down).
 */
export async function runReconcile(
  deps: AppDependencies,
  now: Date,
  options: ReconcileOptions = {},
): Promise<RunSummary> {
  const log = options.log ?? (() => undefined);
  const runId = options.runId ?? newRunId(now);
  const policy = await deps.loadPolicy();
  const dryRun = options.dryRun === true || deps.settings.forceDryRun || policy.mode === 'dryRun';
  const summary = emptySummary(runId, now, dryRun);
  const errors = summary.errors;

  let lease: Lease | null = null;
  if (!dryRun) {
    lease = await deps.store.leases
      .acquire(RECONCILE_LEASE, LEASE_SECONDS)
      .catch((error: unknown) => Promise.reject(storageError('taking the run lease', error)));
    if (lease === null) {
      log(`reconcile ${runId}: another run holds the lease; nothing applied`);
      return { ...summary, skippedReason: 'another run holds the lease' };
    }
  }
  const alive = lease
    ? keepAlive(lease, options.renewEveryMs ?? (LEASE_SECONDS * 1000) / 3, errors)
    : undefined;
  try {
    const [{ entitlements, byScope }, recordList] = await Promise.all([
      listPolicy(deps.client, policy, errors, options.signal),
      deps.store.records
        .list()
        .catch((error: unknown) => Promise.reject(storageError('reading the entitlement records', error))),
    ]);
    const records = new Map<string, ManagedRecord>(
      recordList.map((record) => [record.serialNumber, record as ManagedRecord]),
    );
    summary.scopes = { listed: byScope.size, failed: scopesOf(policy).length - byScope.size };
    // A killed run's changes get their outcome before anything is planned on those records (intents.ts).
    if (!dryRun) {
      await closeOpenIntents(
        {
          store: deps.store,
          policy,
          runId,
          actor: options.actor ?? 'reconcile',
          now,
          entitlements,
          listedScopes: new Set(byScope.keys()),
          errors,
        },
        records,
      );
    }
    const planInput = {
      policy,
      entitlements,
      records: [...records.values()],
      now,
      laterRuns: runsAfter(options.schedule ?? deps.settings.schedule, now),
      ...(options.rates && { rates: options.rates }),
      ...(options.folders && { folders: options.folders }),
    };
    let plan = planActions(planInput);
    // Configs the plan acts on without a known rate are priced through tools/calc (cached per worker) and the
    // plan is made again with those rates, so savings and the action cap's "most valuable first" use them.
    const needs = deps.rates ? missingRates(plan, policy, options.rates) : [];
    if (needs.length > 0 && deps.rates) {
      const found = await deps.rates.lookup(needs, now, options.signal);
      if (Object.keys(found.rates).length > 0) {
        plan = planActions({ ...planInput, rates: { ...found.rates, ...options.rates } });
      }
      plan = { ...plan, notes: [...plan.notes, ...found.notes] };
    }
    for (const note of plan.notes) log(`reconcile ${runId}: ${note}`);

    const byserial = new Map(entitlements.map((e) => [e.serialNumber, e]));
    const ctx: ApplyContext = {
      client: deps.client,
      store: deps.store,
      runId,
      actor: options.actor ?? 'reconcile',
      now,
      errors,
      ...(options.signal && { signal: options.signal }),
    };
    const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    const stopped = (): string | undefined =>
      options.signal?.aborted ? 'run aborted' : alive?.lost() ? 'run lease lost' : undefined;
    let settled: PromiseSettledResult<ActionResult>[];
    if (dryRun) {
      settled = (await auditDryRun(ctx, plan.actions)).map((value) => ({ status: 'fulfilled', value }));
    } else {
      // Every action's intent and `started` row are written ahead in batches (the first one small, the rest
      // while earlier changes are in flight); outcomes are written in batches behind the changes.
      const journal = createJournal(
        deps.store,
        plan.actions.map((action) => ({
          record: intentRecord(action, byserial.get(action.serialNumber), records.get(action.serialNumber), {
            runId,
            now,
          }),
          started: auditRow(ctx, action, 'started'),
        })),
        errors,
        { firstBatch: concurrency, stopped },
      );
      try {
        settled = await mapWithConcurrency(plan.actions, concurrency, (action: PlanAction, i: number) =>
          applyAction(ctx, journal, i, action, records.get(action.serialNumber), stopped),
        );
      } finally {
        // Every outcome is written before the lease is released.
        await journal.close();
      }
    }
    const results = settled.map((result, i): ActionResult => {
      if (result.status === 'fulfilled') return result.value;
      // applyAction never rejects; this only guards against a bug turning into a lost action.
      const action = plan.actions[i]!;
      const message = errorMessage(result.reason);
      errors.push({ serialNumber: action.serialNumber, stage: 'apply', message });
      return { ...baseResult(action), outcome: 'failed', error: message };
    });

    let pools: PoolSweepReport | undefined;
    // Clearing ownership and the pool sweep change state too: only while the run still holds the lease.
    if (!dryRun && stopped() === undefined) {
      const acted = new Set(plan.actions.map((a) => a.serialNumber));
      await clearStaleOwnership(deps, entitlements, records, acted, errors);
      if (policy.pools.length > 0) {
        // The sweep settles pools on this run's listing where it is still current: every action (applied,
        // failed or skipped; a failed call may still have changed the entitlement) makes its configs' stale.
        const changedConfigs = new Set(
          plan.actions.flatMap((a) =>
            a.targetConfigId === undefined ? [a.configId] : [a.configId, a.targetConfigId],
          ),
        );
        pools = await sweep(deps, now, policy, { runId, scopes: byScope, changedConfigs }, errors);
      }
    }
    return {
      ...(pools && { pools }),
      ...totals(summary, plan, results),
      ...(plan.notes.length > 0 && { notes: plan.notes }),
    };
  } finally {
    alive?.stop();
    if (lease) {
      await lease.release().catch((error: unknown) => {
        errors.push({ stage: 'lease', message: `lease release failed: ${errorMessage(error)}` });
      });
    }
  }
}
