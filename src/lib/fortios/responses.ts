/**
 * Reads FortiOS REST answers. FortiOS wraps every answer in a JSON envelope (`status: "success" | "error"`,
 * usually `http_status`, plus `serial`, `version`, `build`, `results`, and on failures `error` and sometimes
 * `cli_error`). The client decides on both the HTTP status and the envelope: a 200 whose body says
 * `http_status: 500` or `status: "error"` is a failure, as Fortinet's own automation treats it.
 *
 * Status mapping: 401 `unauthorized`, 403 `forbidden`, 429 `blocked`, 424 (Failed Dependency) and 5xx
 * `serverError`, other 4xx (404 on a FortiOS without the endpoint, 405…) and non-JSON or incomplete answers
 * `badResponse`. For `vmlicense/download` only: a 500 whose text says "License Token is already used" is the
 * `alreadyUsed` outcome; an error envelope with 400, or with 424/500 and text that names the token, is
 * `tokenRejected`. The exact FortiOS answer for an invalid, expired or stopped-entitlement token is not
 * documented; when in doubt the answer stays `serverError`, which callers retry within their bound, because
 * a transient failure (FortiCare unreachable) taken for a final one would fail a delivery that could succeed.
 */
import { FortiOsError, quoteRemote, type FortiOsErrorCode } from './errors';
import type { Exchange } from './transport';
import type { LicenseStatus, SystemStatus } from './types';

/** The fields of the FortiOS envelope the client reads. */
export interface Envelope {
  status?: unknown;
  http_status?: unknown;
  serial?: unknown;
  version?: unknown;
  build?: unknown;
  results?: unknown;
  error?: unknown;
  cli_error?: unknown;
  message?: unknown;
}

/** Marker FortiOS puts in the 500 answer to a reused licence token. */
const ALREADY_USED = /license token is already used/i;

/** Context for building errors. */
export interface AnswerContext {
  operation: string;
  target: string;
  secrets: readonly string[];
}

function parseEnvelope(text: string): Envelope | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Envelope)
      : undefined;
  } catch {
    return undefined;
  }
}

/** FortiOS's own error text: `cli_error`, else `message`; empty when there is none. */
function remoteText(envelope: Envelope | undefined): string {
  const text = [envelope?.cli_error, envelope?.message].find(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  return text ?? '';
}

/** FortiOS's own error text, redacted, and the `error` number, for the message. */
function remoteDetail(envelope: Envelope | undefined, secrets: readonly string[]): string {
  if (!envelope) return '';
  const text = remoteText(envelope);
  const parts: string[] = [];
  if (text) parts.push(quoteRemote(text, secrets));
  if (typeof envelope.error === 'number') parts.push(`error ${envelope.error}`);
  return parts.length > 0 ? `: ${parts.join(', ')}` : '';
}

/** What the body says the status is: its `http_status` when it disagrees with a 200. */
function effectiveStatus(httpStatus: number, envelope: Envelope | undefined): number {
  if (httpStatus !== 200 || !envelope) return httpStatus;
  if (typeof envelope.http_status === 'number' && envelope.http_status !== 200) return envelope.http_status;
  if (envelope.status === 'error') return 500;
  return httpStatus;
}

const STATUS_CODE: Record<number, FortiOsErrorCode> = {
  401: 'unauthorized',
  403: 'forbidden',
  429: 'blocked',
};

const STATUS_DETAIL: Record<number, string> = {
  401: 'API key refused (HTTP 401); repeated failures lock this source address out',
  403: "the API user's profile does not allow this call (HTTP 403)",
  429: 'this source address is locked out after failed logins (HTTP 429); wait before retrying',
};

/**
 * Checks an answer and returns its envelope, or throws the matching {@link FortiOsError}. With
 * `licenseDownload`, returns `'alreadyUsed'` for FortiOS's reused-token answer.
 */
export function readAnswer(
  answer: Exchange,
  context: AnswerContext,
  licenseDownload = false,
): Envelope | 'alreadyUsed' {
  const envelope = parseEnvelope(answer.text);
  const status = effectiveStatus(answer.status, envelope);
  const fail = (code: FortiOsErrorCode, detail: string): never => {
    throw new FortiOsError(code, context.operation, context.target, detail, {
      httpStatus: status,
      requestSent: true,
      observedFingerprint: answer.fingerprint,
    });
  };
  if (status === 200) {
    if (!envelope) return fail('badResponse', 'answer is not a JSON object (HTTP 200)');
    if (envelope.status !== 'success')
      return fail('badResponse', 'answer has no "status": "success" (HTTP 200)');
    return envelope;
  }
  const known = STATUS_CODE[status];
  if (known) return fail(known, STATUS_DETAIL[status]!);
  if (licenseDownload) {
    if (status === 500 && ALREADY_USED.test(answer.text)) return 'alreadyUsed';
    const namesToken = /token/i.test(remoteText(envelope));
    if (envelope && (status === 400 || ((status === 424 || status === 500) && namesToken)))
      return fail(
        'tokenRejected',
        `licence token refused (HTTP ${status})${remoteDetail(envelope, context.secrets)}`,
      );
  }
  if (status >= 500 || status === 424)
    return fail('serverError', `HTTP ${status}${remoteDetail(envelope, context.secrets)}`);
  if (status === 404) return fail('badResponse', 'HTTP 404: this FortiOS does not offer the endpoint');
  return fail('badResponse', `unexpected HTTP ${status}${remoteDetail(envelope, context.secrets)}`);
}

/** Parses the `system/status` envelope. */
export function readSystemStatus(envelope: Envelope, context: AnswerContext): SystemStatus {
  const results = (envelope.results ?? {}) as Record<string, unknown>;
  if (typeof envelope.serial !== 'string' || envelope.serial.trim() === '')
    throw incomplete(context, 'answer has no "serial"');
  if (typeof envelope.version !== 'string') throw incomplete(context, 'answer has no "version"');
  const status: SystemStatus = { serial: envelope.serial, version: envelope.version };
  if (typeof envelope.build === 'number') status.build = envelope.build;
  if (typeof results.hostname === 'string') status.hostname = results.hostname;
  if (typeof results.model === 'string') status.model = results.model;
  return status;
}

/** Parses the `license/status` envelope (`results.vm`). */
export function readLicenseStatus(envelope: Envelope, context: AnswerContext): LicenseStatus {
  const results = envelope.results as Record<string, unknown> | undefined;
  const vm = results?.vm as Record<string, unknown> | undefined;
  if (!vm || typeof vm !== 'object') throw incomplete(context, 'answer has no "results.vm"');
  if (typeof vm.valid !== 'boolean' || typeof vm.status !== 'string')
    throw incomplete(context, 'answer has no "results.vm.valid" and "results.vm.status"');
  const license: LicenseStatus = { valid: vm.valid, status: vm.status };
  if (typeof vm.expires === 'number' && vm.expires > 0) license.expiresAt = new Date(vm.expires * 1000);
  return license;
}

function incomplete(context: AnswerContext, detail: string): FortiOsError {
  return new FortiOsError('badResponse', context.operation, context.target, detail, {
    httpStatus: 200,
    requestSent: true,
  });
}
