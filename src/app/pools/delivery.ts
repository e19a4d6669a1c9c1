/**
 * Licence delivery to one scale-set instance, one step per sync (docs/architecture.md §"Licence delivery"):
 *
 *   discovered ──claim──▶ claimed ──vmlicense/download──▶ tokenSent ──system/status + license/status──▶ confirmed
 *        │                   ▲ (FortiGate not reachable yet: pending, retried by a delayed sync message)
 *        └─ FortiOS reports a licensed serial ──▶ adopted (claim row on that serial, no token, no reboot)
 *
 * Never waits: a FortiGate that is booting or rebooting leaves the delivery `pending` and the sync schedules a
 * delayed retry. A delivery not confirmed within the pool's `deliveryTimeoutMinutes` is `failed` (reported
 * once in the audit), its claim kept. The token goes from the claim to the FortiGate in memory only: it is in
 * no row, log line, error or report.
 */
import { errorMessage } from '../../lib/error-message';
import type { ScaleSetInstance } from '../../lib/azure/compute';
import { redactSecrets } from '../../lib/fortiflex';
import { sameSerial, type FortiOsClient } from '../../lib/fortios';
import type { Pool } from '../../lib/rules';
import type { AuditEntry, ClaimRecord, DeliveryRecord, DeliveryState } from '../../lib/state';
import { adoptInstance } from './adopt';
import type { ClaimOptions } from './claims';
import { claimFor, sendToken } from './delivery-token';
import type { PoolDeps } from './deps';
import {
  classifyFortiOsFailure,
  isEvaluation,
  readFortiGate,
  type FortiGateConnector,
  type FortiGateReading,
} from './fortigate-access';

/** What a sync reports per instance (`pool sync --json`). */
export type InstanceState = 'licensed' | 'adopted' | 'pending' | 'failed' | 'released';

/** One instance in a sync report. Never holds a token or an API key. */
export interface InstanceReport {
  instanceId: string;
  serialNumber?: string;
  state: InstanceState;
  detail: string;
}

/** What the sync read from an unclaimed instance's FortiGate before deciding, with the client it used. */
export interface PriorReading {
  client: FortiOsClient;
  reading: FortiGateReading | { error: unknown };
}

/** Everything one instance's delivery step needs. */
export interface DeliveryContext {
  deps: PoolDeps;
  pool: Pool;
  connector: FortiGateConnector;
  now: Date;
  runId: string;
  actor: string;
  /** Claim options of the sync (it holds the pool lease). */
  claimOptions: ClaimOptions;
  /** Adoption only: never claim or send a token. */
  adoptOnly?: boolean;
}

/** The outcome of one step for one instance. */
export interface DeliveryStepResult {
  /** The row to store; undefined when there is nothing to remember. */
  row?: DeliveryRecord;
  report: InstanceReport;
  /** True when a delayed retry may finish this delivery (the FortiGate is booting, FortiFlex was busy). */
  retrySoon: boolean;
  audit: AuditEntry[];
}

/** A fresh row for an instance first seen now. */
export function newDeliveryRow(pool: Pool, instance: ScaleSetInstance, now: Date): DeliveryRecord {
  return {
    pool: pool.name,
    instanceId: instance.name.toLowerCase(),
    vmId: instance.id,
    ...(instance.privateIp !== undefined && { privateIp: instance.privateIp }),
    state: 'pending',
    step: 'discovered',
    firstSeenAt: now.toISOString(),
    updatedAt: now.toISOString(),
    attempts: 0,
    detail: 'discovered',
  };
}

/** `text` with every secret of the sync replaced. */
function scrub(ctx: DeliveryContext, text: string, extra: readonly string[] = []): string {
  return redactSecrets(text, [...ctx.connector.secrets, ...extra]);
}

/**
 * Runs the next step of the delivery to `instance`. `claim` is the instance's claim row, if any; `reading`
 * is what its FortiGate reported earlier in this sync (the sync reads unclaimed FortiGates first to tell
 * adoptions from deliveries).
 */
export async function advanceDelivery(
  ctx: DeliveryContext,
  instance: ScaleSetInstance,
  previous: DeliveryRecord | undefined,
  claim: ClaimRecord | undefined,
  prior?: PriorReading,
): Promise<DeliveryStepResult> {
  const { pool, now } = ctx;
  const row: DeliveryRecord = {
    ...(previous ?? newDeliveryRow(pool, instance, now)),
    vmId: instance.id,
    updatedAt: now.toISOString(),
    tls: ctx.connector.tlsMode,
  };
  if (instance.privateIp !== undefined) row.privateIp = instance.privateIp;
  if (claim) row.serialNumber = claim.serialNumber;
  const audit: AuditEntry[] = [];
  const auditRow = (action: string, outcome: AuditEntry['outcome'], reason: string, error?: string): void => {
    audit.push({
      at: now.toISOString(),
      runId: ctx.runId,
      actor: ctx.actor,
      pool: pool.name,
      ...(row.serialNumber !== undefined && { serialNumber: row.serialNumber }),
      action,
      outcome,
      reason: scrub(ctx, reason),
      ...(error !== undefined && { error: scrub(ctx, error) }),
      details: {
        instanceId: row.instanceId,
        ...(row.privateIp !== undefined && { address: row.privateIp }),
        step: row.step,
      },
    });
  };
  const finish = (state: DeliveryState, detail: string, retrySoon: boolean, code?: string) => {
    const changed = previous?.state !== state || previous?.errorCode !== code || previous?.step !== row.step;
    row.state = state;
    row.detail = scrub(ctx, detail);
    if (code === undefined) delete row.errorCode;
    else row.errorCode = code;
    const elapsedMs = now.getTime() - Date.parse(row.firstSeenAt);
    if (state === 'pending' && elapsedMs >= pool.fortigate!.deliveryTimeoutMinutes * 60_000) {
      row.state = 'failed';
      row.detail = scrub(
        ctx,
        `not licensed within ${pool.fortigate!.deliveryTimeoutMinutes} minutes (claim kept): ${detail}`,
      );
      if (!row.timedOut) auditRow('deliveryTimeout', 'failed', row.detail, code ?? 'timeout');
      row.timedOut = true;
      row.errorCode = code ?? 'timeout';
    } else if (changed && state === 'failed') {
      auditRow('delivery', 'failed', row.detail, code);
    }
    return {
      row,
      report: {
        instanceId: row.instanceId,
        ...(row.serialNumber !== undefined && { serialNumber: row.serialNumber }),
        state: row.state,
        detail: row.detail,
      },
      retrySoon: row.state === 'pending' && retrySoon,
      audit,
    };
  };

  if (claim && (row.state === 'licensed' || row.state === 'adopted') && row.step === 'confirmed') {
    // Confirmed before: nothing to ask the FortiGate again.
    if (previous && sameSerial(previous.serialNumber ?? '', claim.serialNumber))
      return { row: undefined, report: reportOf(previous), retrySoon: false, audit };
  }
  if (instance.powerState !== 'running') {
    const waiting = instance.powerState === 'starting' || instance.powerState === 'unknown';
    if (!waiting && !claim && !previous) {
      // Stopped or deallocated and never seen running: nothing to deliver, nothing to remember.
      const detail = `instance is ${instance.powerState}; nothing to deliver until it runs`;
      return { report: { instanceId: row.instanceId, state: 'pending', detail }, retrySoon: false, audit };
    }
    return finish('pending', `instance is ${instance.powerState}; waiting for it to run`, waiting);
  }
  if (instance.privateIp === undefined) {
    return finish('pending', 'no private IP listed for the instance yet', true);
  }
  let client: FortiOsClient;
  try {
    client = prior?.client ?? ctx.connector.client(instance.privateIp, row.fingerprint);
  } catch (error) {
    return finish('failed', errorMessage(error), false, 'badAddress');
  }
  const remember = (): void => {
    if (ctx.connector.tlsMode === 'tofu' && client.fingerprint) row.fingerprint = client.fingerprint;
  };
  row.attempts += 1;

  // An instance without a claim: read its FortiGate (unless the sync did), then adopt or claim.
  if (!claim) {
    let read = prior?.reading;
    if (read === undefined) {
      try {
        read = await readFortiGate(client);
      } catch (error) {
        read = { error };
      }
    }
    remember();
    if ('error' in read) {
      const failure = classifyFortiOsFailure(read.error);
      if (!failure.retrySoon || ctx.adoptOnly)
        return finish(
          failure.retrySoon ? 'pending' : 'failed',
          failure.detail,
          failure.retrySoon,
          failure.code,
        );
      // Booting: claim now, so the licence is ready when the FortiGate answers.
      return claimFor(ctx, row, finish, auditRow, failure.detail);
    }
    row.reportedSerial = read.serial;
    if (!isEvaluation(read)) {
      if (!(read.license.valid && read.license.status === 'vm_valid')) {
        return finish(
          'failed',
          `FortiGate reports serial ${read.serial} with licence status ${read.license.status}; not adopted`,
          false,
          'licenseNotValid',
        );
      }
      const adopted = await adoptInstance(ctx.deps, pool, row.instanceId, read.serial, ctx.now, ctx);
      if (!adopted.adopted) return finish('failed', adopted.detail, false, adopted.code);
      row.serialNumber = adopted.serialNumber;
      row.step = 'confirmed';
      return finish(
        'adopted',
        `adopted: FortiGate runs licence ${adopted.serialNumber}; no token sent, no reboot`,
        false,
      );
    }
    if (ctx.adoptOnly)
      return finish(
        'pending',
        'FortiGate runs the evaluation licence; not adopted (pool sync delivers one)',
        false,
        'evaluation',
      );
    return claimFor(ctx, row, finish, auditRow, undefined, client);
  }

  // A claimed instance: confirm, or deliver the claim's token.
  if (ctx.adoptOnly)
    return finish(row.state, row.detail || 'claimed; left to pool sync', false, row.errorCode);
  let confirmation;
  try {
    confirmation = await client.confirmLicensed(claim.serialNumber, {
      acceptNewCertificate: row.step === 'tokenSent',
    });
  } catch (error) {
    remember();
    const failure = classifyFortiOsFailure(error);
    const rebooting = row.step === 'tokenSent' && failure.retrySoon;
    return finish(
      failure.retrySoon ? 'pending' : 'failed',
      rebooting
        ? `token of ${claim.serialNumber} accepted; FortiGate rebooting (${failure.detail})`
        : failure.detail,
      failure.retrySoon,
      failure.code,
    );
  }
  remember();
  row.reportedSerial = confirmation.serial;
  if (confirmation.confirmed) {
    row.step = 'confirmed';
    const adoptedBefore = row.state === 'adopted';
    auditRow(
      'licenseConfirm',
      'succeeded',
      `FortiGate reports serial ${confirmation.serial} and a valid VM licence`,
    );
    return finish(
      adoptedBefore ? 'adopted' : 'licensed',
      `licensed and confirmed: serial ${confirmation.serial}, vm_valid`,
      false,
    );
  }
  if (confirmation.reason === 'licenseNotValid') {
    return finish(
      'pending',
      `FortiGate reports ${confirmation.serial} but licence status ${confirmation.license.status}; waiting for it to validate`,
      true,
      'licenseNotValid',
    );
  }
  const reported = { serial: confirmation.serial, license: confirmation.license };
  if (!isEvaluation(reported)) {
    return finish(
      'failed',
      `serial mismatch: FortiGate reports ${confirmation.serial}, the claimed licence is ${claim.serialNumber}; claim kept, nothing adopted`,
      false,
      'serialMismatch',
    );
  }
  return sendToken(ctx, row, finish, auditRow, client);
}

/** Ends a step: the state, its one-line detail, whether a delayed retry may finish it, the failure code. */
export type Finish = (
  state: DeliveryState,
  detail: string,
  retrySoon: boolean,
  code?: string,
) => DeliveryStepResult;
/** Adds an audit row for this step. */
export type AuditRow = (
  action: string,
  outcome: AuditEntry['outcome'],
  reason: string,
  error?: string,
) => void;

function reportOf(row: DeliveryRecord): InstanceReport {
  return {
    instanceId: row.instanceId,
    ...(row.serialNumber !== undefined && { serialNumber: row.serialNumber }),
    state: row.state,
    detail: row.detail,
  };
}
