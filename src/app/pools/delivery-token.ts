/**
 * The FortiFlex and token half of a delivery step (`delivery.ts`): claim a licence for an instance and send
 * its token to the FortiGate with `vmlicense/download`. The token goes from the claim to the FortiGate in
 * memory only; every detail is scrubbed of it (docs/architecture.md §"Licence delivery").
 */
import { errorMessage } from '../../lib/error-message';
import { redactSecrets } from '../../lib/fortiflex';
import { isFortiOsError, type FortiOsClient } from '../../lib/fortios';
import type { DeliveryRecord } from '../../lib/state';
import { isTransient } from '../errors';
import { claimLicense, PoolAtMaxError, type ClaimOutcome } from './claims';
import type { AuditRow, DeliveryContext, DeliveryStepResult, Finish } from './delivery';
import { classifyFortiOsFailure } from './fortigate-access';

/** Claims a licence for the instance, then sends its token when the FortiGate answered. */
export async function claimFor(
  ctx: DeliveryContext,
  row: DeliveryRecord,
  finish: Finish,
  auditRow: AuditRow,
  unreachable: string | undefined,
  client?: FortiOsClient,
): Promise<DeliveryStepResult> {
  let claimed: ClaimOutcome;
  try {
    claimed = await claimLicense(ctx.deps, ctx.pool.name, row.instanceId, ctx.claimOptions);
    row.serialNumber = claimed.serialNumber;
    row.step = 'claimed';
  } catch (error) {
    return claimFailed(ctx, finish, error);
  }
  if (unreachable !== undefined || !client) {
    return finish(
      'pending',
      `licence ${row.serialNumber} claimed; ${unreachable ?? 'FortiGate not reachable yet'}`,
      true,
      'unreachable',
    );
  }
  return sendToken(ctx, row, finish, auditRow, client, claimed);
}

function claimFailed(ctx: DeliveryContext, finish: Finish, error: unknown): DeliveryStepResult {
  const message = errorMessage(error);
  if (error instanceof PoolAtMaxError) return finish('failed', `no licence: ${message}`, false, 'poolAtMax');
  if (isTransient(error)) return finish('pending', `claim not made yet: ${message}`, true, 'claimBusy');
  return finish('failed', `claim failed: ${message}`, false, 'claimFailed');
}

/**
 * Sends the claim's token with `vmlicense/download`: the one the claim just revealed or, for a claim of an
 * earlier sync, the one a repeat claim reads (same serial, its current token). The FortiGate reboots on
 * success; the next sync confirms.
 */
export async function sendToken(
  ctx: DeliveryContext,
  row: DeliveryRecord,
  finish: Finish,
  auditRow: AuditRow,
  client: FortiOsClient,
  claimed?: ClaimOutcome,
): Promise<DeliveryStepResult> {
  let token: string;
  let serialNumber: string;
  try {
    const outcome =
      claimed ?? (await claimLicense(ctx.deps, ctx.pool.name, row.instanceId, ctx.claimOptions));
    token = outcome.token;
    serialNumber = outcome.serialNumber;
    row.serialNumber = serialNumber;
  } catch (error) {
    return claimFailed(ctx, finish, error);
  }
  try {
    const download = await client.downloadVmLicense(token);
    row.step = 'tokenSent';
    row.tokenSentAt = ctx.now.toISOString();
    if (download.outcome === 'alreadyUsed') {
      auditRow(
        'licenseDownload',
        'succeeded',
        'FortiGate answered "License Token is already used" (an earlier attempt whose answer was lost?); confirming',
      );
      return finish(
        'pending',
        `token of ${serialNumber} already used; waiting for the FortiGate to report ${serialNumber}`,
        true,
        'alreadyUsed',
      );
    }
    auditRow(
      'licenseDownload',
      'succeeded',
      `token of ${serialNumber} accepted by the FortiGate at ${row.privateIp}; it reboots`,
    );
    return finish('pending', `token of ${serialNumber} accepted; FortiGate rebooting`, true);
  } catch (error) {
    const failure = classifyFortiOsFailure(error);
    const detail = redactSecrets(failure.detail, [token]);
    if (isFortiOsError(error) && error.code === 'tokenRejected') {
      auditRow('licenseDownload', 'failed', `FortiGate refused the token of ${serialNumber}`, detail);
      return finish(
        'failed',
        `FortiGate refused the token of ${serialNumber}: ${detail}`,
        false,
        'tokenRejected',
      );
    }
    if (isFortiOsError(error) && error.requestSent && failure.retrySoon) {
      // The request may have reached it: it may be rebooting with the token. Confirm before sending again.
      row.step = 'tokenSent';
      row.tokenSentAt = ctx.now.toISOString();
      return finish(
        'pending',
        `token of ${serialNumber} sent, no answer (${detail}); confirming next`,
        true,
        failure.code,
      );
    }
    return finish(failure.retrySoon ? 'pending' : 'failed', detail, failure.retrySoon, failure.code);
  }
}
