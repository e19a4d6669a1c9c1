/**
 * The result of one reconcile run, as returned by `runNow`, printed by the CLI and logged by the timer.
 */
import { roundPoints } from '../../lib/rules';
import type { PoolSweepReport } from '../pools/sweep';

/** What happened to one planned action. */
export interface ActionResult {
  serialNumber: string;
  action: 'stop' | 'reactivate' | 'switchConfig';
  rule: string;
  reason: string;
  /** `dryRun`: planned only; `skipped`: not attempted (action cap, lease lost, run aborted). */
  outcome: 'succeeded' | 'failed' | 'dryRun' | 'skipped';
  ptDaysSaved: number;
  pointsSaved: number;
  configId: number;
  targetConfigId?: number;
  /** Pacific days (`YYYY-MM-DD`) the action saves. */
  savedPtDays?: string[];
  /** One-line error (never contains credentials). */
  error?: string;
}

/** A problem that did not stop the run. */
export interface RunError {
  serialNumber?: string;
  /** Where it happened: `list`, `records`, `apply`, `record`, `audit`, `lease`, `sweep`, ... */
  stage: string;
  message: string;
}

/** Summary of one reconcile run. */
export interface RunSummary {
  runId: string;
  /** The run's clock reading (ISO). */
  at: string;
  dryRun: boolean;
  /** Actions the planner proposed. */
  planned: number;
  /** Actions applied successfully (0 in a dry run). */
  applied: number;
  failed: number;
  /** Actions not attempted plus entitlements the planner skipped (unprofitable stop, not ours, ...). */
  skipped: number;
  /** PT days / points saved by the applied actions (by the planned ones in a dry run). */
  ptDaysSaved: number;
  pointsSaved: number;
  actions: ActionResult[];
  /** Entitlements the planner left alone on purpose, with the reason (not ours, unprofitable, deferred, ...). */
  skippedEntitlements?: { serialNumber: string; rule: string; reason: string }[];
  errors: RunError[];
  /** Run-level remarks of the planner (unknown rates, folder selectors without folder data, ...). */
  notes?: string[];
  /** What the pool sweep at the end of the run did (claims released, pools settled). */
  pools?: PoolSweepReport;
  /** Set when the run did nothing on purpose, e.g. `another run holds the lease`. */
  skippedReason?: string;
  /** Account+program scopes listed and those whose list failed (absent when the run stopped before). */
  scopes?: { listed: number; failed: number };
}

/**
 * Why a run achieved nothing at all, or undefined when it did something: every entitlement list it tried
 * failed, every pool it tried to settle failed, and it applied nothing (bad credentials, FortiFlex
 * unreachable). `apply` exits 1 and the timer invocation fails with this reason, so such a run is never a
 * quiet success. A run skipped on purpose (lease held) or with nothing to list is not a failure.
 */
export function runFailure(summary: RunSummary): string | undefined {
  if (summary.skippedReason !== undefined || summary.applied > 0) return undefined;
  const scopes = summary.scopes ?? { listed: 0, failed: 0 };
  const pools = summary.pools?.pools ?? [];
  const poolErrors = pools.filter((p): p is { pool: string; error: string } => 'error' in p);
  const tried = scopes.listed + scopes.failed + pools.length;
  const busy = pools.some((p) => 'error' in p && p.busy === true);
  if (tried === 0 || scopes.listed > 0 || busy || poolErrors.length < pools.length) return undefined;
  const first =
    summary.errors.find((e) => e.stage === 'list')?.message ??
    (poolErrors[0] && `pool ${poolErrors[0].pool}: ${poolErrors[0].error}`) ??
    'no reason given';
  return `nothing could be listed or changed: ${first}`;
}

/** One log line: `reconcile <runId> applied 3/4 failed 1 skipped 2 saved 2 PT days, 24 points`. */
export function formatSummaryLine(summary: RunSummary): string {
  if (summary.skippedReason) return `reconcile ${summary.runId} skipped: ${summary.skippedReason}`;
  const mode = summary.dryRun ? ' (dry run)' : '';
  const saved = `${summary.dryRun ? 'would save' : 'saved'} ${summary.ptDaysSaved} PT day${summary.ptDaysSaved === 1 ? '' : 's'}, ${roundPoints(summary.pointsSaved)} points`;
  return (
    `reconcile ${summary.runId}${mode}: planned ${summary.planned}, applied ${summary.applied}, ` +
    `failed ${summary.failed}, skipped ${summary.skipped}; ${saved}` +
    (summary.errors.length > 0 ? `; ${summary.errors.length} error(s)` : '')
  );
}
