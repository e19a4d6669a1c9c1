/**
 * How a pool sync reaches its FortiGates: the REST API key and CA from the pool's `fortigate` key (through the
 * composition root's secret reader: Key Vault, or `FORTIGATE_API_KEY` locally), one FortiOS client per
 * instance address with the certificate check the pool asks for, and the reads a sync makes of a FortiGate
 * (serial and licence state). See docs/architecture.md §"Licence delivery".
 */
import { FortiOsClient, isFortiOsError, type LicenseStatus } from '../../lib/fortios';
import type { FortiOsTls } from '../../lib/fortios';
import type { Pool } from '../../lib/rules';
import type { PoolDeps } from './deps';

/** Budget of one FortiOS request during a sync: short, so an unreachable unit cannot hold the pool lease. */
export const FORTIOS_TIMEOUT_MS = 5_000;

/** The pool's FortiGate access cannot be used (no API key, no CA); the message says what to set. */
export class FortiGateAccessError extends Error {
  override readonly name = 'FortiGateAccessError';
}

/** What the pool's FortiGates can be reached with, read once per sync. */
export interface FortiGateConnector {
  /** The certificate check in force (`none` for plain HTTP, loopback only). */
  readonly tlsMode: 'tofu' | 'ca' | 'insecure' | 'none';
  /** A client for the FortiGate at `address`; `fingerprint` is its TOFU pin from an earlier contact. */
  client(address: string, fingerprint?: string): FortiOsClient;
  /** Secrets to keep out of any text the sync stores or prints. */
  readonly secrets: readonly string[];
}

/** Builds the connector of `pool` (which must have `fortigate`); throws {@link FortiGateAccessError}. */
export async function connectorFor(
  deps: Pick<PoolDeps, 'fortigateSecret'>,
  pool: Pool,
  timeoutMs = FORTIOS_TIMEOUT_MS,
): Promise<FortiGateConnector> {
  const access = pool.fortigate;
  if (!access) throw new FortiGateAccessError(`pool "${pool.name}": no fortigate settings`);
  const read = deps.fortigateSecret;
  const apiKey = read ? await read(access.apiKeySecret, 'apiKey') : undefined;
  if (!apiKey) {
    throw new FortiGateAccessError(
      `pool "${pool.name}": no FortiOS API key — store it in Key Vault as secret "${access.apiKeySecret}" (KEY_VAULT_URL) or set FORTIGATE_API_KEY for local runs`,
    );
  }
  let tls: FortiOsTls;
  let tlsMode: FortiGateConnector['tlsMode'];
  if (access.tls === 'tofu' || access.tls === 'insecure') {
    tls = { mode: access.tls };
    tlsMode = access.tls;
  } else {
    const ca = read ? await read(access.tls.caSecret, 'ca') : undefined;
    if (!ca || !ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new FortiGateAccessError(
        `pool "${pool.name}": fortigate.tls.caSecret "${access.tls.caSecret}" — expected a Key Vault secret holding PEM certificates (-----BEGIN CERTIFICATE-----)`,
      );
    }
    tls = { mode: 'ca', ca };
    tlsMode = 'ca';
  }
  if (access.protocol === 'http') tlsMode = 'none';
  return {
    tlsMode,
    secrets: [apiKey],
    client: (address, fingerprint) =>
      new FortiOsClient({
        address,
        apiKey,
        port: access.port,
        protocol: access.protocol,
        tls: tls.mode === 'tofu' && fingerprint ? { mode: 'tofu', fingerprint } : tls,
        timeoutMs,
      }),
  };
}

/** What a FortiGate says about itself. */
export interface FortiGateReading {
  serial: string;
  license: LicenseStatus;
}

/** The evaluation licence a FortiGate-VM runs on before it is licensed (serial `FGVMEV…`, `vm_eval`). */
export function isEvaluation(reading: FortiGateReading): boolean {
  return reading.license.status === 'vm_eval' || /^FGVMEV/i.test(reading.serial.trim());
}

/**
 * Reads serial and licence state. The two calls go one after the other: a refused API key then costs one
 * failed login, not two, toward the FortiGate's lockout.
 */
export async function readFortiGate(client: FortiOsClient): Promise<FortiGateReading> {
  const status = await client.systemStatus();
  const license = await client.licenseStatus();
  return { serial: status.serial.trim(), license };
}

/** How a failed FortiOS call leaves a delivery: worth retrying soon, or failed until something is fixed. */
export interface FortiOsFailure {
  retrySoon: boolean;
  code: string;
  detail: string;
}

/** Classifies a FortiOS (or other) failure with a one-line detail that names what to do. */
export function classifyFortiOsFailure(error: unknown): FortiOsFailure {
  if (!isFortiOsError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return { retrySoon: false, code: 'error', detail: message.split('\n')[0]!.slice(0, 300) };
  }
  switch (error.code) {
    case 'unreachable':
    case 'aborted':
      return { retrySoon: true, code: error.code, detail: `FortiGate not reachable yet (${error.message})` };
    case 'serverError':
      return { retrySoon: true, code: error.code, detail: `FortiGate answered an error (${error.message})` };
    case 'unauthorized':
      return {
        retrySoon: false,
        code: error.code,
        detail: `API key refused (HTTP 401): check the pool's apiKeySecret or FORTIGATE_API_KEY and the API admin's trusted hosts (${error.message})`,
      };
    case 'blocked':
      return {
        retrySoon: false,
        code: error.code,
        detail: `locked out after failed logins (HTTP 429): fix the API key, the lockout then expires (${error.message})`,
      };
    case 'forbidden':
      return {
        retrySoon: false,
        code: error.code,
        detail: `the API admin's profile lacks a permission (HTTP 403): give it system read-write (${error.message})`,
      };
    case 'certificateMismatch':
      return {
        retrySoon: false,
        code: error.code,
        detail: `certificate is not the one pinned at first contact; not trusted (${error.message})`,
      };
    default:
      return { retrySoon: false, code: error.code, detail: error.message };
  }
}
