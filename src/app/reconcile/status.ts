/**
 * The status use case (docs/architecture.md §"Status"): per rule, desired vs actual state of every entitlement it
 * selects, the schedule's next transitions, the scaler's last action and error per entitlement, what the
 * scaler saved this (Pacific) month according to its audit trail, and the 30-day forecast. Read-only: it
 * lists entitlements and reads state, and never takes the run lease.
 */
import type { Entitlement } from '../../lib/fortiflex/types';
import {
  compileSchedules,
  forecast,
  planActions,
  ptDay,
  ptDayStart,
  roundPoints,
  runsAfter,
  renderTimelineSvg,
  ruleSelects,
  type Forecast,
  type Plan,
  type Policy,
} from '../../lib/rules';
import { InvalidRequestError } from '../errors';
import type { AppDependencies } from '../dependencies';
import type { ManagedRecord } from './apply';
import { listEntitlements } from './listing';
import { selectedMissingRates } from './rates';
import { errorMessage } from '../../lib/error-message';
import type { RunError } from './run-summary';

const DAY_MS = 86_400_000;
/** Days covered by the forecast in the status answer. */
export const FORECAST_DAYS = 30;
/** Transitions listed per rule. */
const TRANSITIONS = 3;

/** One entitlement under one rule. */
export interface EntitlementStatusRow {
  serialNumber: string;
  description: string;
  configId: number;
  /** Status reported by FortiFlex now. */
  actual: string;
  /** Status the policy wants now (equal to `actual` when nothing is to be done or the planner holds off). */
  desired: string;
  /** The change the next run would make, if any. */
  pendingAction?: 'stop' | 'reactivate' | 'switchConfig';
  targetConfigId?: number;
  /** Why the planner acts or holds off. */
  reason?: string;
  stoppedByScaler: boolean;
  lastAction?: string;
  lastActionAt?: string;
  lastReason?: string;
  lastError?: string;
  lastErrorAt?: string;
}

/** One rule's status. */
export interface RuleStatus {
  name: string;
  schedule: string;
  timezone?: string;
  /** Whether the rule's schedule is active now. */
  activeNow?: boolean;
  nextTransitions: { at: string; active: boolean }[];
  entitlements: EntitlementStatusRow[];
  counts: { selected: number; inDesiredState: number; pending: number };
}

/** The whole status answer. */
export interface StatusReport {
  at: string;
  mode: Policy['mode'];
  /** True when nothing is changed by runs (policy `mode: dryRun` or `SCALER_DRY_RUN`). */
  dryRun: boolean;
  rules: RuleStatus[];
  /** Applied stops and config switches since the start of the current Pacific month, from the audit. */
  thisMonth: { from: string; actions: number; ptDaysSaved: number; pointsSaved: number };
  /** Savings the policy is expected to make over the next {@link FORECAST_DAYS} days. */
  forecast: {
    from: string;
    to: string;
    entitlementDaysSaved: number;
    pointsSaved: number;
    rules: { rule: string; entitlements: number; ptDaysSaved: number; pointsSaved: number }[];
    advice: Forecast['advice'];
    notes: string[];
  };
  notes: string[];
  errors: RunError[];
}

function desiredOf(
  e: Entitlement,
  plan: { actions: Map<string, Plan['actions'][number]>; skipped: Map<string, string> },
): Pick<EntitlementStatusRow, 'desired' | 'pendingAction' | 'targetConfigId' | 'reason'> {
  const action = plan.actions.get(e.serialNumber);
  if (action) {
    const desired =
      action.action === 'stop'
        ? 'STOPPED'
        : action.action === 'reactivate'
          ? 'ACTIVE'
          : `${e.status} (config ${action.targetConfigId})`;
    return {
      desired,
      pendingAction: action.action,
      ...(action.targetConfigId !== undefined && { targetConfigId: action.targetConfigId }),
      reason: action.reason,
    };
  }
  const skipped = plan.skipped.get(e.serialNumber);
  return { desired: e.status, ...(skipped !== undefined && { reason: skipped }) };
}

/** Start of the Pacific month containing `now`. */
export function ptMonthStart(now: Date): Date {
  return ptDayStart(`${ptDay(now).slice(0, 7)}-01`);
}

/** A bad status request (unknown rule name); the HTTP adapter answers 400. */
export class StatusRequestError extends InvalidRequestError {
  override readonly name = 'StatusRequestError';
}

/** Builds the status answer at `now`. */
export async function buildStatus(deps: AppDependencies, now: Date): Promise<StatusReport> {
  const policy = await deps.loadPolicy();
  const errors: RunError[] = [];
  const [entitlements, recordList, monthRows] = await Promise.all([
    listEntitlements(deps, policy, errors),
    deps.store.records.list(),
    deps.store.audit
      .query({ since: ptMonthStart(now), until: new Date(now.getTime() + 1) })
      .catch((error: unknown) => {
        errors.push({ stage: 'audit', message: errorMessage(error) });
        return [];
      }),
  ]);
  const records = new Map(recordList.map((r) => [r.serialNumber, r as ManagedRecord]));
  const schedules = compileSchedules(policy);
  // Rates the policy leaves out come from tools/calc through the worker's cache; none asked when it has all.
  const needs = deps.rates
    ? selectedMissingRates(policy, entitlements, (serial) => records.get(serial)?.originalConfigId)
    : [];
  const found =
    needs.length > 0 && deps.rates ? await deps.rates.lookup(needs, now) : { rates: {}, notes: [] };
  const rates = found.rates;
  // The same later runs as the reconcile timer, so a lastSafeMoment deferral reads as the timer will act.
  const laterRuns = runsAfter(deps.settings.schedule, now);
  const plan = planActions({
    policy,
    entitlements,
    records: [...records.values()],
    now,
    schedules,
    rates,
    laterRuns,
  });
  const lookups = {
    actions: new Map(plan.actions.map((a) => [a.serialNumber, a])),
    skipped: new Map(plan.skipped.map((s) => [s.serialNumber, s.reason])),
  };

  const rules: RuleStatus[] = policy.rules.map((rule) => {
    const schedule = schedules.get(rule.schedule);
    const transitions: RuleStatus['nextTransitions'] = [];
    let cursor = now;
    while (schedule && transitions.length < TRANSITIONS) {
      const next = schedule.nextTransition(cursor, 60);
      if (!next) break;
      transitions.push({ at: next.at.toISOString(), active: next.active });
      cursor = next.at;
    }
    const rows = entitlements
      .filter((e) => {
        const original = records.get(e.serialNumber)?.originalConfigId;
        return ruleSelects(rule, e, original !== undefined ? { originalConfigId: original } : undefined);
      })
      .map((e): EntitlementStatusRow => {
        const record = records.get(e.serialNumber);
        return {
          serialNumber: e.serialNumber,
          description: e.description,
          configId: e.configId,
          actual: e.status,
          ...desiredOf(e, lookups),
          stoppedByScaler: record?.stoppedByScaler ?? false,
          ...(record?.lastAction !== undefined && { lastAction: record.lastAction }),
          ...(record?.lastActionAt !== undefined && { lastActionAt: record.lastActionAt }),
          ...(record?.lastReason !== undefined && { lastReason: record.lastReason }),
          ...(record?.lastError !== undefined && { lastError: record.lastError }),
          ...(record?.lastErrorAt !== undefined && { lastErrorAt: record.lastErrorAt }),
        };
      });
    const pending = rows.filter((r) => r.pendingAction !== undefined).length;
    return {
      name: rule.name,
      schedule: rule.schedule,
      ...(schedule && { timezone: schedule.timezone, activeNow: schedule.isActive(now) }),
      nextTransitions: transitions,
      entitlements: rows,
      counts: { selected: rows.length, inDesiredState: rows.length - pending, pending },
    };
  });

  const applied = monthRows.filter(
    (row) => row.outcome === 'succeeded' && (row.action === 'stop' || row.action === 'switchConfig'),
  );
  const to = new Date(now.getTime() + FORECAST_DAYS * DAY_MS);
  const predicted = forecast({ policy, entitlements, from: now, to, rates });
  return {
    at: now.toISOString(),
    mode: policy.mode,
    dryRun: policy.mode === 'dryRun' || deps.settings.forceDryRun,
    rules,
    thisMonth: {
      from: ptMonthStart(now).toISOString(),
      actions: applied.length,
      ptDaysSaved: applied.reduce((sum, row) => sum + (row.ptDaysSaved ?? 0), 0),
      pointsSaved: roundPoints(applied.reduce((sum, row) => sum + (row.pointsSaved ?? 0), 0)),
    },
    forecast: {
      from: predicted.from,
      to: predicted.to,
      entitlementDaysSaved: predicted.totals.entitlementDaysSaved,
      pointsSaved: predicted.totals.pointsSaved,
      rules: predicted.rules.map((r) => ({
        rule: r.rule,
        entitlements: r.entitlements,
        ptDaysSaved: r.ptDaysSaved,
        pointsSaved: r.pointsSaved,
      })),
      advice: predicted.advice,
      notes: predicted.notes,
    },
    notes: [...plan.notes, ...found.notes],
    errors,
  };
}

/**
 * The week timeline picture (business hours, Pacific billing days, planned stops) for the Pacific week
 * (Monday 00:00 PT to Monday 00:00 PT) containing `now`, optionally for one rule.
 */
export async function renderStatusSvg(
  deps: AppDependencies,
  now: Date,
  options: { rule?: string } = {},
): Promise<string> {
  const policy = await deps.loadPolicy();
  if (options.rule !== undefined && !policy.rules.some((r) => r.name === options.rule)) {
    throw new StatusRequestError(
      `rule: no rule named "${options.rule}"; expected one of ${policy.rules.map((r) => r.name).join(', ')}`,
      'rule',
    );
  }
  const entitlements = await listEntitlements(deps, policy, []);
  const today = ptDay(now);
  const noonUtc = Date.parse(`${today}T12:00:00Z`);
  const monday = new Date(noonUtc - ((new Date(noonUtc).getUTCDay() + 6) % 7) * DAY_MS)
    .toISOString()
    .slice(0, 10);
  const weekStart = ptDayStart(monday);
  const week = forecast({
    policy,
    entitlements,
    from: weekStart,
    to: new Date(weekStart.getTime() + 7 * DAY_MS),
  });
  return renderTimelineSvg(week, { weekStart, ...(options.rule !== undefined && { rule: options.rule }) });
}
