/**
 * The status use case (docs/architecture.md §"Status"): per rule, desired vs actual state of every entitlement it
 * selects, the schedule's next transitions, the scaler's last action and error per entitlement; per pool its
 * size, bounds, claims, members and pending deliveries; what the scaler saved this (Pacific) month according
 * to its audit trail; the 30-day forecast; and a timeline from yesterday's Pacific midnight a week ahead.
 * Read-only: it lists entitlements and reads state, and never takes a lease. The answer's shape (the view
 * model every status view renders) is in `lib/views/status-model.ts`.
 */
import { DateTime } from 'luxon';
import type { Entitlement } from '../../lib/fortiflex/types';
import {
  BILLING_ZONE,
  compileSchedules,
  forecast,
  planActions,
  ptDay,
  ptDayStart,
  roundPoints,
  runsAfter,
  renderTimelineSvg,
  ruleSelects,
  ruleTimeline,
  type Plan,
  type Policy,
} from '../../lib/rules';
import type {
  EntitlementStatusRow,
  RuleStatus,
  StatusError,
  StatusReport,
} from '../../lib/views/status-model';
import { InvalidRequestError } from '../errors';
import type { AppDependencies } from '../dependencies';
import type { ManagedRecord } from './apply';
import { listEntitlements, listPolicy } from './listing';
import { selectedMissingRates } from './rates';
import { errorMessage } from '../../lib/error-message';
import { noPendingDeliveries, readPoolStatuses, type PendingDeliveryReader } from './status-pools';

export type {
  EntitlementStatusRow,
  PoolStatus,
  RuleStatus,
  StatusReport,
} from '../../lib/views/status-model';

const DAY_MS = 86_400_000;
/** Days covered by the forecast in the status answer. */
export const FORECAST_DAYS = 30;
/** Pacific days the status timeline draws, starting at the Pacific midnight before yesterday ends. */
export const TIMELINE_DAYS = 7;
/** Transitions listed per rule. */
const TRANSITIONS = 3;

/** Options of {@link buildStatus}. */
export interface StatusOptions {
  /** Only this rule (and no pool unless `pool` is given too). */
  rule?: string;
  /** Only this pool (and no rule unless `rule` is given too). */
  pool?: string;
  /** Reads a pool's pending licence deliveries; default: none. */
  pendingDeliveries?: PendingDeliveryReader;
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

/** The status timeline's range: from the start of yesterday (Pacific) over {@link TIMELINE_DAYS} Pacific days. */
export function timelineRange(now: Date): { from: Date; to: Date } {
  const from = DateTime.fromMillis(ptDayStart(ptDay(now)).getTime(), { zone: BILLING_ZONE }).minus({
    days: 1,
  });
  return { from: from.toJSDate(), to: from.plus({ days: TIMELINE_DAYS }).toJSDate() };
}

/** A bad status request (unknown rule or pool name); the HTTP adapter answers 400. */
export class StatusRequestError extends InvalidRequestError {
  override readonly name = 'StatusRequestError';
}

/** Checks that `options` name a rule and a pool of the policy. */
export function checkStatusFilter(policy: Policy, options: Pick<StatusOptions, 'rule' | 'pool'>): void {
  if (options.rule !== undefined && !policy.rules.some((r) => r.name === options.rule)) {
    throw new StatusRequestError(
      `rule: no rule named "${options.rule}"; expected one of ${policy.rules.map((r) => r.name).join(', ') || '(none)'}`,
      'rule',
    );
  }
  if (options.pool !== undefined && !policy.pools.some((p) => p.name === options.pool)) {
    throw new StatusRequestError(
      `pool: no pool named "${options.pool}"; expected one of ${policy.pools.map((p) => p.name).join(', ') || '(none)'}`,
      'pool',
    );
  }
}

/** Builds the status answer at `now`, narrowed to a rule and/or a pool when `options` name them. */
export async function buildStatus(
  deps: AppDependencies,
  now: Date,
  options: StatusOptions = {},
): Promise<StatusReport> {
  const policy = await deps.loadPolicy();
  checkStatusFilter(policy, options);
  const narrowed = options.rule !== undefined || options.pool !== undefined;
  const wantedRules = policy.rules.filter((r) => (narrowed ? r.name === options.rule : true));
  const wantedPools = policy.pools.filter((p) => (narrowed ? p.name === options.pool : true));
  const errors: StatusError[] = [];
  const [listing, recordList, monthRows] = await Promise.all([
    listPolicy(deps.client, policy, errors),
    deps.store.records.list(),
    deps.store.audit
      .query({ since: ptMonthStart(now), until: new Date(now.getTime() + 1) })
      .catch((error: unknown) => {
        errors.push({ stage: 'audit', message: errorMessage(error) });
        return [];
      }),
  ]);
  const { entitlements } = listing;
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

  const rules: RuleStatus[] = wantedRules.map((rule) => {
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

  const range = timelineRange(now);
  const week = forecast({ policy, entitlements, from: range.from, to: range.to, rates });
  const pools = await readPoolStatuses({
    deps,
    policy,
    pools: wantedPools,
    now,
    listed: listing.byScope,
    records: recordList,
    deliveries: options.pendingDeliveries ?? noPendingDeliveries,
    range,
    errors,
  });

  const wantedNames = new Set(wantedRules.map((r) => r.name));
  const applied = monthRows.filter(
    (row) =>
      row.outcome === 'succeeded' &&
      (row.action === 'stop' || row.action === 'switchConfig') &&
      (options.rule === undefined || row.rule === options.rule),
  );
  const to = new Date(now.getTime() + FORECAST_DAYS * DAY_MS);
  const predicted = forecast({ policy, entitlements, from: now, to, rates });
  return {
    at: now.toISOString(),
    mode: policy.mode,
    dryRun: policy.mode === 'dryRun' || deps.settings.forceDryRun,
    ...(narrowed && {
      filter: {
        ...(options.rule !== undefined && { rule: options.rule }),
        ...(options.pool !== undefined && { pool: options.pool }),
      },
    }),
    rules,
    pools: pools.pools,
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
      rules: predicted.rules
        .filter((r) => wantedNames.has(r.rule))
        .map((r) => ({
          rule: r.rule,
          entitlements: r.entitlements,
          ptDaysSaved: r.ptDaysSaved,
          pointsSaved: r.pointsSaved,
        })),
      advice: predicted.advice.filter((a) => wantedNames.has(a.rule)),
      notes: predicted.notes,
    },
    timeline: {
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      rules: week.rules
        .filter((r) => wantedNames.has(r.rule))
        .map((r) => ruleTimeline(r, range.from, range.to)),
      pools: pools.timelines,
    },
    notes: [...plan.notes, ...found.notes],
    errors,
  };
}

/**
 * The week timeline picture (business hours, holidays, Pacific billing days, planned stops, now) for the
 * Pacific week (Monday 00:00 PT to Monday 00:00 PT) containing `now`, optionally for one rule.
 */
export async function renderStatusSvg(
  deps: AppDependencies,
  now: Date,
  options: { rule?: string } = {},
): Promise<string> {
  const policy = await deps.loadPolicy();
  checkStatusFilter(policy, options);
  const entitlements = await listEntitlements(deps, policy, []);
  const today = ptDay(now);
  const noonUtc = Date.parse(`${today}T12:00:00Z`);
  const monday = new Date(noonUtc - ((new Date(noonUtc).getUTCDay() + 6) % 7) * DAY_MS)
    .toISOString()
    .slice(0, 10);
  const weekStart = ptDayStart(monday);
  const weekEnd = DateTime.fromJSDate(weekStart, { zone: BILLING_ZONE }).plus({ days: 7 }).toJSDate();
  const week = forecast({ policy, entitlements, from: weekStart, to: weekEnd });
  return renderTimelineSvg(week, { now, ...(options.rule !== undefined && { rule: options.rule }) });
}
