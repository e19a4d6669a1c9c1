/**
 * The status view model: what the status use case (`app/reconcile/status.ts`) answers as JSON and what every
 * status view (text, HTML dashboard) renders. Types only. It lives here, below the use cases, so the pure
 * views can read it without importing `src/app` (imports point one way: app → lib).
 */
import type { PowerState } from '../azure/power-state';
import type { Advice, CapacityDef, RuleTimeline, TimelineBand } from '../rules';

/** A failure while gathering the status; the rest of the answer is still valid. */
export interface StatusError {
  serialNumber?: string;
  /** Where it happened: `list`, `audit`, `pool`, ... */
  stage: string;
  message: string;
}

/**
 * The VM paired with an entitlement, when VM pairing is configured. Optional everywhere: views show it when
 * present and say nothing otherwise.
 */
export interface EntitlementVm {
  name: string;
  /** Power state as Azure reports it; `unknown` is never read as off. */
  powerState: PowerState;
  /** ARM resource id. */
  id?: string;
  /** A start or deallocate the scaler sent that has not been seen to end. */
  pendingAction?: 'start' | 'deallocate';
  /** Compute hours billed this Pacific month, when measured. */
  hoursThisMonth?: number;
}

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
  /** The paired VM, once VMs are paired. */
  vm?: EntitlementVm;
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

/** Role of a pool member (docs/architecture.md §"Pool state machine"). */
export type PoolMemberRole = 'held' | 'inUseOutsideClaims' | 'releasing' | 'reserve' | 'unusable';

/** One member of a pool. Never carries a token. */
export interface PoolMemberRow {
  serialNumber: string;
  status: string;
  role: PoolMemberRole;
  /** The instance holding the member's claim. */
  instanceId?: string;
  claimedAt?: string;
  claimExpiresAt?: string;
  /** When a member marked for release is stopped. */
  releaseDueAt?: string;
  lastAction?: string;
  lastActionAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  vm?: EntitlementVm;
}

/**
 * A licence on its way to a new FortiGate (claimed, token pushed, waiting for the FortiGate to come back
 * licensed). Reported by the licence-delivery feature; until it exists every pool reports none.
 */
export interface PendingDelivery {
  instanceId: string;
  serialNumber: string;
  /** The step reached, e.g. `claimed`, `token sent`, `rebooting`. */
  stage: string;
  /** When the delivery started. */
  since: string;
  attempts: number;
  nextAttemptAt?: string;
  lastError?: string;
  /** Older than the delivery bound: an error to act on. */
  overdue: boolean;
}

/** A pool's status. */
export interface PoolStatus {
  name: string;
  configId: number;
  /** Members held for instances (`held` plus `inUseOutsideClaims`). */
  size: number;
  /** Bounds in force now; `schedule` names the capacity entry's schedule when it has one. */
  bounds: { min: number; max: number; schedule?: string };
  /** The capacity entries of the policy, in order (the first active one is in force). */
  capacity: CapacityDef[];
  claimed: number;
  /** Members in use outside claims: counted against `max`, never handed out or stopped. */
  inUseOutsideClaims: number;
  active: number;
  members: PoolMemberRow[];
  /** Claims naming a serial that is not (or no longer) a pool member. */
  orphanClaims: { instanceId: string; serialNumber: string }[];
  pendingDeliveries: PendingDelivery[];
  /** Set when the pool could not be read; its numbers are then zero. */
  error?: string;
}

/** A pool's timeline: the bounds in force over the range and the planned events. */
export interface PoolTimeline {
  pool: string;
  /** Consecutive stretches of the range with the bounds in force during each. */
  bounds: { start: string; end: string; min: number; max: number; schedule?: string }[];
  /** Holidays of the capacity entries' schedules. */
  bands: TimelineBand[];
  /** Releases due (the stop of a member marked by a scale-in), claim expiries and delivery retries. */
  markers: { kind: 'releaseDue' | 'claimExpires' | 'delivery'; at: string; label: string }[];
}

/** The timeline of the status page: a range around now, per rule and per pool. */
export interface StatusTimeline {
  /** First instant drawn (a Pacific midnight) and end of the range. */
  from: string;
  to: string;
  rules: RuleTimeline[];
  pools: PoolTimeline[];
}

/** The forecast summary in the status answer. */
export interface StatusForecast {
  from: string;
  to: string;
  entitlementDaysSaved: number;
  pointsSaved: number;
  rules: { rule: string; entitlements: number; ptDaysSaved: number; pointsSaved: number }[];
  advice: Advice[];
  notes: string[];
}

/** The whole status answer. */
export interface StatusReport {
  at: string;
  mode: 'enforce' | 'dryRun';
  /** True when nothing is changed by runs (policy `mode: dryRun` or `SCALER_DRY_RUN`). */
  dryRun: boolean;
  /** The rule and pool the answer was narrowed to, when it was. */
  filter?: { rule?: string; pool?: string };
  rules: RuleStatus[];
  pools: PoolStatus[];
  /** Applied stops and config switches since the start of the current Pacific month, from the audit. */
  thisMonth: { from: string; actions: number; ptDaysSaved: number; pointsSaved: number };
  /** Savings the policy is expected to make over the next days (30). */
  forecast: StatusForecast;
  timeline: StatusTimeline;
  notes: string[];
  errors: StatusError[];
}
