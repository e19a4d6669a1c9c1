/**
 * Structured telemetry: one JSON object per log line, with a fixed `event` name first and stable fields.
 * The functions write these lines through `context.log`, so in Azure they land in Application Insights
 * `traces` (correlated with the invocation) and are read with
 * `traces | where message has "<event>" | extend e = parse_json(message) | where e.event == "<event>"`.
 * The alert rules and the workbook in infra/ query exactly the events and fields declared here
 * (test/infra checks that), so renaming a field is a breaking change: add a new one instead and bump
 * {@link TELEMETRY_VERSION} only when a field changes meaning.
 *
 * Pure: no clock, no I/O. Free text (errors) is redacted with the state store's redaction, cut to one line
 * and bounded; no secret-bearing value (token, key, password) is ever a field.
 */
import { redactText } from './state/redact';

/** Schema version carried by every line as `v`. */
export const TELEMETRY_VERSION = 1;

/** The event names. */
export const TELEMETRY_EVENTS = {
  runSummary: 'ScalerRunSummary',
  actionApplied: 'ScalerActionApplied',
  actionFailed: 'ScalerActionFailed',
  poolState: 'ScalerPoolState',
  deliveryFailed: 'ScalerDeliveryFailed',
} as const;

/** One of {@link TELEMETRY_EVENTS}. */
export type TelemetryEvent = (typeof TELEMETRY_EVENTS)[keyof typeof TELEMETRY_EVENTS];

/** Who started a reconcile run. */
export type RunTrigger = 'timer' | 'http' | 'cli';

/**
 * How a run ended: `completed` ran to the end without run-level errors (failed actions are counted in
 * `failed` and reported one by one); `degraded` ran with run-level errors (a scope could not be listed, a
 * record or audit write failed, the sweep failed); `skipped` did nothing on purpose (another run holds the
 * lease); `failed` could not plan at all (settings, policy, storage or Key Vault).
 */
export type RunOutcome = 'completed' | 'degraded' | 'skipped' | 'failed';

/** `ScalerRunSummary`: one per reconcile run. */
export interface RunSummaryFields {
  runId: string;
  at: string;
  trigger: RunTrigger;
  outcome: RunOutcome;
  dryRun: boolean;
  planned: number;
  applied: number;
  failed: number;
  skipped: number;
  /** Run-level errors (not counting failed actions). */
  errors: number;
  /**
   * Reactivations and switches back to the business-hours config this run had to make and did not
   * (failed, or not attempted: action cap, lease lost). The planner asks for them only once the schedule is
   * active, so a non-zero value means business hours have started with those licences not yet restored.
   */
  reactivationsPending: number;
  ptDaysSaved: number;
  pointsSaved: number;
  skippedReason?: string;
  /** `failed` runs: why (one redacted line). */
  error?: string;
}

/** `ScalerActionApplied`: one per action that succeeded (or was planned in a dry run). */
export interface ActionAppliedFields {
  runId: string;
  at: string;
  source: 'reconcile' | 'pool';
  action: string;
  serialNumber?: string;
  rule?: string;
  pool?: string;
  configId?: number;
  targetConfigId?: number;
  dryRun: boolean;
  /** True for a reactivation or a switch back to the business-hours config. */
  reactivation: boolean;
  ptDaysSaved: number;
  pointsSaved: number;
  /** The Pacific days (`YYYY-MM-DD`) the action saves. */
  savedPtDays: string[];
}

/** `ScalerActionFailed`: one per failed license action (reconcile, pool sweep, pool worker). */
export interface ActionFailedFields {
  runId: string;
  at: string;
  source: 'reconcile' | 'pool';
  /** `stop`, `reactivate`, `switchConfig`, a pool step (`create`, `stop`, …) or `scaleMessage` (poisoned). */
  action: string;
  serialNumber?: string;
  rule?: string;
  pool?: string;
  configId?: number;
  reactivation: boolean;
  error: string;
}

/** `ScalerPoolState`: one per pool each time the sweep or the worker settles it. */
export interface PoolStateFields {
  runId: string;
  at: string;
  source: 'sweep' | 'worker';
  pool: string;
  size: number;
  target: number;
  min: number;
  max: number;
  stepsApplied: number;
  stepsFailed: number;
  created: number;
  /** Claims the sweep released because their instance is gone or their claim expired. */
  claimsReleased: number;
  /** Set when the pool could not be settled (size and bounds are then 0). */
  error?: string;
}

/**
 * `ScalerDeliveryFailed`: a license token that could not be delivered to a FortiGate (claim, push over the
 * FortiOS API, or confirmation), or a delivery that did not succeed within its time bound. Emitted by the
 * delivery use case through {@link deliveryFailedLine}.
 */
export interface DeliveryFailedFields {
  at: string;
  pool: string;
  /** The VM name the license is for. */
  instanceId: string;
  serialNumber?: string;
  /** The step that failed: `claim`, `deliver`, `confirm` or `timeout`. */
  stage: 'claim' | 'deliver' | 'confirm' | 'timeout';
  /** 1-based attempt number. */
  attempt: number;
  /** Minutes since the delivery started. */
  elapsedMinutes: number;
  error: string;
  runId?: string;
}

/** The fields of each event, in the order they are written (after `event` and `v`). */
export const TELEMETRY_FIELDS = {
  ScalerRunSummary: [
    'runId',
    'at',
    'trigger',
    'outcome',
    'dryRun',
    'planned',
    'applied',
    'failed',
    'skipped',
    'errors',
    'reactivationsPending',
    'ptDaysSaved',
    'pointsSaved',
    'skippedReason',
    'error',
  ],
  ScalerActionApplied: [
    'runId',
    'at',
    'source',
    'action',
    'serialNumber',
    'rule',
    'pool',
    'configId',
    'targetConfigId',
    'dryRun',
    'reactivation',
    'ptDaysSaved',
    'pointsSaved',
    'savedPtDays',
  ],
  ScalerActionFailed: [
    'runId',
    'at',
    'source',
    'action',
    'serialNumber',
    'rule',
    'pool',
    'configId',
    'reactivation',
    'error',
  ],
  ScalerPoolState: [
    'runId',
    'at',
    'source',
    'pool',
    'size',
    'target',
    'min',
    'max',
    'stepsApplied',
    'stepsFailed',
    'created',
    'claimsReleased',
    'error',
  ],
  ScalerDeliveryFailed: [
    'at',
    'pool',
    'instanceId',
    'serialNumber',
    'stage',
    'attempt',
    'elapsedMinutes',
    'error',
    'runId',
  ],
} as const satisfies Record<TelemetryEvent, readonly string[]>;

/** The fields each event carries. */
export interface TelemetryFieldsOf {
  ScalerRunSummary: RunSummaryFields;
  ScalerActionApplied: ActionAppliedFields;
  ScalerActionFailed: ActionFailedFields;
  ScalerPoolState: PoolStateFields;
  ScalerDeliveryFailed: DeliveryFailedFields;
}

/** Longest error text a line carries. */
export const MAX_ERROR_LENGTH = 300;

/** An error (or any thrown value) as one redacted, bounded line. */
export function telemetryError(error: unknown): string {
  const text =
    error instanceof Error
      ? `${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${error.message}`
      : String(error);
  const line = redactText(text).replace(/\s+/g, ' ').trim();
  return line.length > MAX_ERROR_LENGTH ? `${line.slice(0, MAX_ERROR_LENGTH - 1)}…` : line;
}

/**
 * The log line of one event: `{"event":"<name>","v":1,...fields}` with the fields in declared order,
 * undefined ones left out and every string redacted (`error` also bounded to one line).
 */
export function telemetryLine<E extends TelemetryEvent>(event: E, fields: TelemetryFieldsOf[E]): string {
  const record: Record<string, unknown> = { event, v: TELEMETRY_VERSION };
  const values = fields as unknown as Record<string, unknown>;
  for (const name of TELEMETRY_FIELDS[event]) {
    const value = values[name];
    if (value === undefined) continue;
    record[name] =
      name === 'error' ? telemetryError(value) : typeof value === 'string' ? redactText(value) : value;
  }
  return JSON.stringify(record);
}

/** `ScalerDeliveryFailed` line, for the token delivery use case. */
export function deliveryFailedLine(fields: DeliveryFailedFields): string {
  return telemetryLine(TELEMETRY_EVENTS.deliveryFailed, fields);
}

/**
 * True for an action that restores business hours: a reactivation, or a switch back from the off-hours
 * config (the planner's reason for that one always reads "switch back").
 */
export function isReactivation(action: { action: string; reason?: string }): boolean {
  return (
    action.action === 'reactivate' ||
    (action.action === 'switchConfig' && /\bswitch back\b/.test(action.reason ?? ''))
  );
}
