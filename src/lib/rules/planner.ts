/**
 * The planner: for every entitlement a rule selects, the wanted state at `now` and the action that gets it
 * there, with the rule, a reason in the schedule's local time and the Pacific billing days it saves.
 *
 * Decisions, in order:
 * 1. Selection: {@link buildRuleIndex}; an entitlement under several rules is wanted ACTIVE when ANY of their
 *    schedules is active (an unlicensed firewall is worse than a day of points).
 * 2. PENDING (free, token unused), EXPIRED, GRACE_PERIOD and unknown statuses are never touched.
 * 3. Wanted ACTIVE: reactivate a STOPPED entitlement only when the scaler stopped it (`stoppedByScaler`)
 *    or an active rule says `enforce: always`; switch a config back when the scaler switched it.
 * 4. Wanted off: stop (or switch to the off-hours config) unless the window saves no whole Pacific day and
 *    the rule skips unprofitable stops, the scaler reactivated it less than
 *    `safety.minActiveMinutesAfterReactivate` ago, `stopTiming: lastSafeMoment` defers the stop to just
 *    before the first saved Pacific day, or (`enforce: ownChangesOnly`) the scaler already acted on it in
 *    this window and someone turned it back on by hand.
 * 5. `safety.maxActionsPerRun` caps the plan: reactivations and config restores first, then by points
 *    saved, then by serial number; the rest is reported as skipped and picked up by the next run.
 *
 * Each rule's schedule is evaluated once per run, and each distinct set of matching rules once, so the cost
 * per entitlement is a few hash lookups.
 */
import type { Entitlement } from '../fortiflex/types';
import { nextPtMidnight, ptDayStart, ptDaysSavedByStop, roundPoints } from './billing';
import { compileSchedules, type CompiledSchedule } from './schedule';
import { buildRuleIndex } from './selectors';
import { combineInactive, stateAt, type ScheduleState } from './schedule-walk';
import { clockTime, daysText, localDateTime, localTime, ptDayLabel, windowText } from './planner-format';
import type { Policy, Rule } from './types';

/**
 * What the scaler remembers about an entitlement it manages (persisted by the apply layer, one row per
 * serial). After applying an action the apply layer writes:
 * - `stop`: `stoppedByScaler: true, lastAction: 'stop', lastActionAt: now`;
 * - `reactivate`: `stoppedByScaler: false, lastAction: 'reactivate', lastActionAt: now`;
 * - `switchConfig` with `originalConfigId` set: `originalConfigId`, `lastAction: 'switchConfig'`, `lastActionAt`;
 * - `switchConfig` with `restore: true`: clears `originalConfigId`, `lastAction: 'switchConfig'`, `lastActionAt`.
 */
export interface PlannerRecord {
  serialNumber: string;
  /** The scaler stopped this entitlement and has not reactivated it since. */
  stoppedByScaler: boolean;
  /** ISO instant of the last action the scaler applied. */
  lastActionAt?: string;
  /** `stop`, `reactivate` or `switchConfig`: the last action the scaler applied. */
  lastAction?: string;
  /** Config id before the scaler switched the entitlement to an off-hours config; absent when not switched. */
  originalConfigId?: number;
}

/** Everything the planner looks at. Pure data: the caller reads the clock, the API and the state store. */
export interface PlanInput {
  policy: Policy;
  entitlements: Entitlement[];
  records: PlannerRecord[];
  now: Date;
  /** Points per day per config id (e.g. from `tools/calc`); `policy.rates` override these. */
  rates?: Record<number, number>;
  /** Asset folder per serial number, for `folderPath` selectors (FortiFlex does not report folders). */
  folders?: Record<string, string>;
  /** Compiled schedules to reuse across runs; compiled from the policy when absent. */
  schedules?: Map<string, CompiledSchedule>;
  /**
   * When the later reconcile runs happen: instants after `now`, ascending, covering at least the next
   * `LATER_RUNS_HOURS` (e.g. `runsAfter(SCALER_SCHEDULE, now)`). A `lastSafeMoment` stop waits only for a run
   * listed here; without the list it is made at once.
   */
  laterRuns?: readonly Date[];
}

/** One change to apply. */
export type PlanAction = {
  serialNumber: string;
  action: 'stop' | 'reactivate' | 'switchConfig';
  rule: string;
  reason: string;
  ptDaysSaved: number;
  pointsSaved: number;
  /** Current config id of the entitlement. */
  configId: number;
  /** `switchConfig`: the config to switch to. */
  targetConfigId?: number;
  accountId: number;
  programSerialNumber?: string;
  /** `switchConfig` to the off-hours config: the config to remember as `PlannerRecord.originalConfigId`. */
  originalConfigId?: number;
  /** `switchConfig` back to the original config: clear `PlannerRecord.originalConfigId`. */
  restore?: boolean;
  /** The Pacific days (`YYYY-MM-DD`) the action saves, in order. */
  savedPtDays: string[];
};

/** An entitlement left alone on purpose, with the reason. */
export interface PlanSkip {
  serialNumber: string;
  rule: string;
  reason: string;
}

/** The planner's answer. */
export interface Plan {
  /** `now`, ISO. */
  at: string;
  /** Actions in the order to apply them (most urgent / valuable first), at most `maxActionsPerRun`. */
  actions: PlanAction[];
  skipped: PlanSkip[];
  /** Selected entitlements already in their wanted state. */
  unchanged: number;
  /** Run-level remarks: unknown rates, folder selectors without folder data, missing schedules. */
  notes: string[];
}

/** How far ahead the planner looks for the next reactivation, in days. */
export const PLAN_HORIZON_DAYS = 35;
/** How far back the planner looks for the start of the current window, in days. */
const LOOK_BACK_DAYS = 9;
const MINUTE_MS = 60_000;

/** Per-rule facts at `now`, computed once per run. */
interface RuleNow {
  rule: Rule;
  schedule: CompiledSchedule;
  state: ScheduleState;
}

/** The wanted state of one set of matching rules at `now`, computed once per distinct set. */
type Wanted =
  | {
      active: true;
      rules: RuleNow[];
      enforcing?: RuleNow;
      /** `schedule X active since …` */ business: string;
    }
  | {
      active: false;
      governing: RuleNow;
      since?: Date;
      until: Date | null;
      savedDays: string[];
      /** `lastSafeMoment`: the later run that will still stop in time; no stop before it. */
      deferUntil?: Date;
      /** `off-hours window Fri 19:00–Mon 07:00 Europe/Berlin` */
      window: string;
      /** `saves 2 Pacific days (…)` */
      saved: string;
      unprofitableReason: string;
      deferReason?: string;
    };

/** Merges tools/calc rates with the policy's (the policy wins). */
export function mergeRates(policy: Policy, rates?: Record<number, number>): Map<number, number> {
  const merged = new Map<number, number>();
  for (const source of [rates, policy.rates]) {
    for (const [key, value] of Object.entries(source ?? {})) merged.set(Number(key), value);
  }
  return merged;
}

function evaluateRules(policy: Policy, schedules: Map<string, CompiledSchedule>, now: Date, notes: string[]) {
  return policy.rules.map((rule): RuleNow | undefined => {
    const schedule = schedules.get(rule.schedule);
    if (schedule === undefined) {
      notes.push(`rule ${rule.name}: schedule "${rule.schedule}" is not defined; rule ignored`);
      return undefined;
    }
    return { rule, schedule, state: stateAt(schedule, now, LOOK_BACK_DAYS, PLAN_HORIZON_DAYS) };
  });
}

/** The last of `runs` (ascending) in (after, latest], if any. */
function lastRunBetween(runs: readonly Date[], after: number, latest: number): Date | undefined {
  let found: Date | undefined;
  for (const run of runs) {
    const t = run.getTime();
    if (t > latest) break;
    if (t > after) found = run;
  }
  return found;
}

function wantedFor(ruleNows: RuleNow[], now: Date, laterRuns: readonly Date[]): Wanted {
  const active = ruleNows.filter((r) => r.state.active);
  if (active.length > 0) {
    const enforcing = active.find((r) => r.rule.enforce === 'always');
    const cited = enforcing ?? active[0]!;
    const zone = cited.schedule.timezone;
    const since = cited.state.since ? localTime(cited.state.since, zone) : 'earlier';
    return {
      active: true,
      rules: active,
      enforcing,
      business: `schedule ${cited.rule.schedule} active since ${since} ${zone}`,
    };
  }
  const { since, until } = combineInactive(ruleNows.map((r) => r.state));
  // The rule that brings the entitlement back first governs how it is handled off-hours.
  let governing = ruleNows[0]!;
  for (const candidate of ruleNows) {
    const a = candidate.state.until?.getTime() ?? Infinity;
    const b = governing.state.until?.getTime() ?? Infinity;
    if (a < b) governing = candidate;
  }
  const end = until ?? new Date(now.getTime() + PLAN_HORIZON_DAYS * 86_400_000);
  const billing = governing.rule.billing;
  const lastSafe = billing.stopTiming === 'lastSafeMoment';
  // Only days whose start lies strictly ahead of the stop (and, for lastSafeMoment, at least the margin
  // ahead) are claimed: a stop at or after a day's first instant still pays for that day.
  const leadMs = lastSafe ? billing.marginMinutes * MINUTE_MS : 0;
  const savedDays = ptDaysSavedByStop(now, end, leadMs);
  const zone = governing.schedule.timezone;
  let deferUntil: Date | undefined;
  if (lastSafe && savedDays.length > 0) {
    // Stopping at any run up to the first saved day's start minus the margin saves the same days: wait for
    // the last such run of the real schedule, if there is one; otherwise this run is the last safe one.
    const latest = ptDayStart(savedDays[0]!).getTime() - leadMs;
    deferUntil = lastRunBetween(laterRuns, now.getTime(), latest);
  }
  const window = `off-hours window ${windowText(since, until, zone, PLAN_HORIZON_DAYS)}`;
  const saved = savedText(savedDays);
  return {
    active: false,
    governing,
    since,
    until,
    savedDays,
    deferUntil,
    window,
    saved,
    unprofitableReason:
      `${window} covers no whole Pacific day ` +
      (leadMs > 0
        ? `starting at least ${billing.marginMinutes} minutes ahead (billing.marginMinutes) `
        : '') +
      `(Pacific days start at ${clockTime(nextPtMidnight(now), zone)} ${zone}); kept active`,
    deferReason:
      deferUntil === undefined
        ? undefined
        : `${window}: deferred to the reconcile run at ${localDateTime(deferUntil, zone)} ${zone} (lastSafeMoment: stopping then still ${saved})`,
  };
}

function savedText(days: string[]): string {
  if (days.length === 0) return 'saves no whole Pacific day';
  const shown = days.slice(0, 3).map(ptDayLabel).join(', ');
  return `saves ${daysText(days.length)} (${shown}${days.length > 3 ? ', …' : ''})`;
}

/**
 * Plans the actions that bring the selected entitlements to their wanted state at `input.now`.
 * Pure: same input, same plan.
 */
export function planActions(input: PlanInput): Plan {
  const { policy, now } = input;
  const notes: string[] = [];
  const schedules = input.schedules ?? compileSchedules(policy);
  const ruleNows = evaluateRules(policy, schedules, now, notes);
  const index = buildRuleIndex(policy.rules, input.folders !== undefined);
  if (index.folderSelectorsWithoutMap) {
    notes.push(
      'folderPath selectors match nothing: FortiFlex does not report folders and no folder map was given',
    );
  }
  const rates = mergeRates(policy, input.rates);
  const unknownRates = new Set<number>();
  const rateOf = (configId: number): number => {
    const rate = rates.get(configId);
    if (rate === undefined) {
      unknownRates.add(configId);
      return 0;
    }
    return rate;
  };
  const records = new Map(input.records.map((r) => [r.serialNumber, r]));
  const wantedCache = new Map<string, Wanted>();
  const minActiveMs = policy.safety.minActiveMinutesAfterReactivate * MINUTE_MS;

  const actions: PlanAction[] = [];
  const skipped: PlanSkip[] = [];
  let unchanged = 0;

  for (const e of input.entitlements) {
    const record = records.get(e.serialNumber);
    const matched = index
      .match(e, { originalConfigId: record?.originalConfigId, folderPath: input.folders?.[e.serialNumber] })
      .filter((i) => ruleNows[i] !== undefined);
    if (matched.length === 0) continue;
    const key = matched.join(',');
    let wanted = wantedCache.get(key);
    if (wanted === undefined) {
      wanted = wantedFor(
        matched.map((i) => ruleNows[i]!),
        now,
        input.laterRuns ?? [],
      );
      wantedCache.set(key, wanted);
    }
    const citedRule = wanted.active ? (wanted.enforcing ?? wanted.rules[0]!).rule : wanted.governing.rule;
    const skip = (reason: string): void => {
      skipped.push({ serialNumber: e.serialNumber, rule: citedRule.name, reason });
    };
    const base = {
      serialNumber: e.serialNumber,
      rule: citedRule.name,
      configId: e.configId,
      accountId: e.accountId,
      programSerialNumber: citedRule.fortiflex?.programSerialNumber,
    };

    const status = e.status;
    if (status !== 'ACTIVE' && status !== 'STOPPED') {
      skip(
        status === 'PENDING'
          ? 'PENDING: token never used, costs nothing; schedules never touch it'
          : status === 'EXPIRED'
            ? 'EXPIRED: schedules never touch it'
            : `status ${status}: not ACTIVE or STOPPED; left alone`,
      );
      continue;
    }

    if (wanted.active) {
      const activeRule = wanted.enforcing ?? wanted.rules[0]!;
      const business = wanted.business;
      const originalConfigId = record?.originalConfigId;
      if (originalConfigId !== undefined && originalConfigId !== e.configId) {
        actions.push({
          ...base,
          action: 'switchConfig',
          targetConfigId: originalConfigId,
          restore: true,
          reason: `${business}: switch back from off-hours config ${e.configId} to ${originalConfigId}`,
          ptDaysSaved: 0,
          pointsSaved: 0,
          savedPtDays: [],
        });
        continue;
      }
      if (status === 'ACTIVE') {
        unchanged++;
        continue;
      }
      if (record?.stoppedByScaler || wanted.enforcing) {
        actions.push({
          ...base,
          action: 'reactivate',
          reason: `${business}: reactivate (${
            record?.stoppedByScaler ? 'stopped by the scaler' : `rule ${activeRule.rule.name} enforces always`
          })`,
          ptDaysSaved: 0,
          pointsSaved: 0,
          savedPtDays: [],
        });
      } else {
        skip(
          `${business}, but STOPPED outside the scaler; only undoing its own stops (enforce: ownChangesOnly)`,
        );
      }
      continue;
    }

    // Wanted off.
    const rule = wanted.governing.rule;
    const zone = wanted.governing.schedule.timezone;
    const offHours = rule.offHours;
    const switchTo = typeof offHours === 'object' ? offHours.switchConfig : undefined;
    const alreadyOff = switchTo === undefined ? status === 'STOPPED' : e.configId === switchTo;
    if (alreadyOff || (switchTo !== undefined && status === 'STOPPED')) {
      unchanged++;
      continue;
    }
    const window = wanted.window;
    if (wanted.savedDays.length === 0 && rule.billing.skipUnprofitableStops) {
      skip(wanted.unprofitableReason);
      continue;
    }
    const lastAt = record?.lastActionAt ? Date.parse(record.lastActionAt) : NaN;
    const reactivatedByScaler =
      record?.lastAction === 'reactivate' ||
      (record?.lastAction === 'switchConfig' && record.originalConfigId === undefined);
    if (reactivatedByScaler && Number.isFinite(lastAt) && now.getTime() - lastAt < minActiveMs) {
      skip(
        `${window}: the scaler reactivated it at ${localDateTime(new Date(lastAt), zone)} ${zone}; ` +
          `stays active at least ${policy.safety.minActiveMinutesAfterReactivate} minutes (safety.minActiveMinutesAfterReactivate)`,
      );
      continue;
    }
    const actedThisWindow =
      (record?.lastAction === 'stop' || record?.lastAction === 'switchConfig') &&
      !reactivatedByScaler &&
      Number.isFinite(lastAt) &&
      (wanted.since === undefined || lastAt >= wanted.since.getTime());
    if (actedThisWindow && rule.enforce !== 'always') {
      skip(
        `${window}: the scaler already acted at ${localDateTime(new Date(lastAt), zone)} ${zone} and it was turned back ` +
          'by hand; left as is until the next window (enforce: always overrides)',
      );
      continue;
    }
    if (wanted.deferUntil !== undefined && now.getTime() < wanted.deferUntil.getTime()) {
      skip(wanted.deferReason!);
      continue;
    }
    const days = wanted.savedDays;
    if (switchTo === undefined) {
      const rate = rateOf(e.configId);
      actions.push({
        ...base,
        action: 'stop',
        reason: `${window}: stop ${wanted.saved}${rate === 0 && days.length > 0 ? `; no rate known for config ${e.configId}` : ''}`,
        ptDaysSaved: days.length,
        pointsSaved: roundPoints(days.length * rate),
        savedPtDays: days,
      });
    } else {
      // Billing takes the day's largest config, so only whole Pacific days at the smaller config save the
      // difference of the two rates.
      const difference = Math.max(0, rateOf(e.configId) - rateOf(switchTo));
      actions.push({
        ...base,
        action: 'switchConfig',
        targetConfigId: switchTo,
        originalConfigId: e.configId,
        reason: `${window}: switch to off-hours config ${switchTo}, ${wanted.saved} at the smaller config`,
        ptDaysSaved: days.length,
        pointsSaved: roundPoints(days.length * difference),
        savedPtDays: days,
      });
    }
  }

  for (const configId of [...unknownRates].sort((a, b) => a - b)) {
    notes.push(
      `no points rate for config ${configId}: its savings count as 0 (add it under rates in the policy)`,
    );
  }
  return {
    at: now.toISOString(),
    ...capActions(actions, policy.safety.maxActionsPerRun, skipped),
    unchanged,
    notes,
  };
}

/** Urgency class: bringing licences back (or back to size) always goes first. */
function urgency(action: PlanAction): number {
  return action.action === 'reactivate' || action.restore === true ? 0 : 1;
}

/** Orders actions (most urgent, then most valuable, then by serial) and moves those over `cap` to skipped. */
export function capActions(
  actions: PlanAction[],
  cap: number,
  skipped: PlanSkip[],
): { actions: PlanAction[]; skipped: PlanSkip[] } {
  const ordered = [...actions].sort(
    (a, b) =>
      urgency(a) - urgency(b) ||
      b.pointsSaved - a.pointsSaved ||
      (a.serialNumber < b.serialNumber ? -1 : a.serialNumber > b.serialNumber ? 1 : 0),
  );
  const kept = ordered.slice(0, Math.max(0, cap));
  const over = ordered.slice(kept.length).map((a) => ({
    serialNumber: a.serialNumber,
    rule: a.rule,
    reason: `${a.action} deferred to the next run: safety.maxActionsPerRun (${cap}) reached`,
  }));
  return { actions: kept, skipped: [...skipped, ...over] };
}
