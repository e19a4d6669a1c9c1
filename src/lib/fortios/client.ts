/**
 * A FortiOS REST client for licensing one FortiGate-VM, addressed by IP: read its serial and licence state,
 * push a FortiFlex licence token, and confirm the result. Authentication is `Authorization: Bearer <API key>`
 * only: FortiOS 7.4.5 and later refuse `?access_token=` unless told otherwise, and a key in a URL ends up in
 * logs. Every call opens its own connection and checks the certificate before sending anything (see
 * `transport.ts` and {@link FortiOsTls}). Nothing here retries: a caller that retries `unauthorized` fast gets
 * its source address locked out (`blocked`), so retry policy belongs to the caller.
 */
import { FortiOsError } from './errors';
import { resolveOptions, checkTimeout, type ResolvedOptions } from './options';
import {
  readAnswer,
  readLicenseStatus,
  readSystemStatus,
  type AnswerContext,
  type Envelope,
} from './responses';
import { exchange, formatTarget, type CertificateCheck, type Exchange } from './transport';
import type {
  CallOptions,
  ConfirmOptions,
  FortiOsClientOptions,
  LicenseConfirmation,
  LicenseStatus,
  SystemStatus,
  VmLicenseDownload,
} from './types';

const STATUS_PATH = '/api/v2/monitor/system/status';
const LICENSE_STATUS_PATH = '/api/v2/monitor/license/status';
const VM_LICENSE_PATH = '/api/v2/monitor/system/vmlicense/download';

/** Serial numbers compare trimmed and upper-cased (FortiFlex and FortiOS may differ in case or padding). */
export function sameSerial(a: string, b: string): boolean {
  return a.trim().toUpperCase() === b.trim().toUpperCase();
}

/** FortiOS's VM licence is in force: `valid` and status `vm_valid` (an evaluation licence is `vm_eval`). */
export function isVmLicenseValid(license: LicenseStatus): boolean {
  return license.valid === true && license.status === 'vm_valid';
}

/** A request as the client describes it before sending. */
interface Call {
  operation: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Secrets beyond the API key to keep out of errors. */
  secrets?: string[];
}

/** Client for one FortiGate. Instances are cheap; one per FortiGate and task is the intended use. */
export class FortiOsClient {
  private readonly options: ResolvedOptions;
  private pinned: string | undefined;
  private lastSeen: string | undefined;

  constructor(options: FortiOsClientOptions) {
    this.options = resolveOptions(options);
    if (this.options.tls.mode === 'tofu') this.pinned = this.options.tls.fingerprint;
  }

  /** The FortiGate's IP address. */
  get address(): string {
    return this.options.address;
  }

  /** `address:port` (IPv6 in brackets), as errors name it. */
  get target(): string {
    return formatTarget(this.options);
  }

  /**
   * The certificate check in force: `tofu`, `ca`, `insecure`, or `none` for plain HTTP. Callers show
   * `insecure` (and `none`) as warnings.
   */
  get tlsMode(): 'tofu' | 'ca' | 'insecure' | 'none' {
    return this.options.protocol === 'http' ? 'none' : this.options.tls.mode;
  }

  /**
   * TOFU: the pinned SHA-256 fingerprint (the one given, or the first seen; store it and pass it as
   * `tls.fingerprint` next time). Other modes: the fingerprint seen on the last answered call.
   */
  get fingerprint(): string | undefined {
    return this.options.tls.mode === 'tofu' ? this.pinned : this.lastSeen;
  }

  /** `GET /api/v2/monitor/system/status`: serial, version, host name. */
  async systemStatus(options: CallOptions = {}): Promise<SystemStatus> {
    const call: Call = { operation: 'system/status', method: 'GET', path: STATUS_PATH };
    const answer = await this.send(call, options, this.defaultCheck());
    return readSystemStatus(this.envelope(answer, call), this.context(call));
  }

  /** `GET /api/v2/monitor/license/status`: the VM licence (`results.vm`). */
  async licenseStatus(options: CallOptions = {}): Promise<LicenseStatus> {
    const call: Call = { operation: 'license/status', method: 'GET', path: LICENSE_STATUS_PATH };
    const answer = await this.send(call, options, this.defaultCheck());
    return readLicenseStatus(this.envelope(answer, call), this.context(call));
  }

  /**
   * `POST /api/v2/monitor/system/vmlicense/download` with the FortiFlex token. On `accepted` the FortiGate
   * has fetched its licence from FortiCare and reboots at once: expect `unreachable` for a while, then
   * {@link confirmLicensed}.
   *
   * The token travels in the JSON body `{"token": "…"}`, not as `?token=`: Fortinet documents the parameter as
   * a query parameter, while Fortinet's Terraform provider and its own cloud functions send the body, which
   * FortiOS accepts; the body keeps a single-use secret out of URLs, access logs and proxies.
   *
   * A failure with `requestSent: true` (a timeout or reset after sending) is ambiguous: the FortiGate may
   * have taken the token and be rebooting. Sending the same token again then answers `alreadyUsed`.
   */
  async downloadVmLicense(token: string, options: CallOptions = {}): Promise<VmLicenseDownload> {
    if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token))
      throw new Error(
        'token: expected a non-empty FortiFlex licence token of printable characters without spaces',
      );
    const call: Call = {
      operation: 'vmlicense/download',
      method: 'POST',
      path: VM_LICENSE_PATH,
      body: { token },
      secrets: [token],
    };
    const answer = await this.send(call, options, this.defaultCheck());
    const read = readAnswer(answer, this.context(call), true);
    if (read === 'alreadyUsed') return { outcome: 'alreadyUsed' };
    return typeof read.serial === 'string'
      ? { outcome: 'accepted', serialAtRequest: read.serial }
      : { outcome: 'accepted' };
  }

  /**
   * Confirms that the FortiGate runs the licence of `expectedSerial`: `system/status` reports that serial
   * (compared with {@link sameSerial}) and `license/status` reports the VM licence valid
   * ({@link isVmLicenseValid}). Returns `confirmed: false` with a reason for a wrong serial or licence state;
   * throws for calls that fail (`unreachable` while it reboots, …).
   *
   * Re-pinning (TOFU): with `acceptNewCertificate`, a certificate other than the pinned one is accepted for
   * the `system/status` call only; if that FortiGate accepts the API key and reports `expectedSerial`, its
   * certificate becomes the pin (`repinned: true`, read the new one from {@link fingerprint}) and the
   * licence call is checked against it. Otherwise the call fails with `certificateMismatch` and the old pin
   * stays. So a certificate regenerated by the licence reboot is followed, and a different machine behind
   * the address is not, unless it also knows the API key and claims the serial that was just licensed.
   */
  async confirmLicensed(expectedSerial: string, options: ConfirmOptions = {}): Promise<LicenseConfirmation> {
    if (typeof expectedSerial !== 'string' || expectedSerial.trim() === '')
      throw new Error('expectedSerial: expected the entitlement serial number, e.g. FGVMMLTM26000001');
    const previous = this.pinned;
    const mayRepin =
      options.acceptNewCertificate === true &&
      this.options.protocol === 'https' &&
      this.options.tls.mode === 'tofu' &&
      previous !== undefined;
    const status = mayRepin
      ? await this.statusAllowingNewCertificate(expectedSerial, previous, options)
      : await this.systemStatus(options);
    const repinned = this.pinned !== previous;
    const license = await this.licenseStatus(options);
    const serialMatches = sameSerial(status.serial, expectedSerial);
    const valid = isVmLicenseValid(license);
    const confirmation: LicenseConfirmation = {
      confirmed: serialMatches && valid,
      serial: status.serial,
      expectedSerial,
      license,
      version: status.version,
      repinned,
    };
    if (!serialMatches) confirmation.reason = 'serialMismatch';
    else if (!valid) confirmation.reason = 'licenseNotValid';
    if (this.fingerprint !== undefined) confirmation.fingerprint = this.fingerprint;
    if (repinned && previous !== undefined) confirmation.previousFingerprint = previous;
    return confirmation;
  }

  /** `system/status` over any certificate; adopts a new one only for a FortiGate proving what we expect. */
  private async statusAllowingNewCertificate(
    expectedSerial: string,
    pinned: string,
    options: CallOptions,
  ): Promise<SystemStatus> {
    const call: Call = { operation: 'system/status', method: 'GET', path: STATUS_PATH };
    const answer = await this.send(call, options, { kind: 'observe' });
    const seen = answer.fingerprint;
    if (seen === pinned) return readSystemStatus(this.envelope(answer, call), this.context(call));
    const mismatch = (why: string): FortiOsError =>
      new FortiOsError(
        'certificateMismatch',
        call.operation,
        this.target,
        `certificate ${seen ?? 'missing'} is not the pinned ${pinned} and ${why}`,
        {
          httpStatus: answer.status,
          requestSent: true,
          observedFingerprint: seen,
          expectedFingerprint: pinned,
        },
      );
    let status: SystemStatus;
    try {
      status = readSystemStatus(this.envelope(answer, call), this.context(call));
    } catch (error) {
      throw mismatch(`its answer failed (${error instanceof FortiOsError ? error.code : 'error'}); pin kept`);
    }
    if (seen === undefined || !sameSerial(status.serial, expectedSerial))
      throw mismatch(`it reports serial ${status.serial}, not ${expectedSerial.trim()}; pin kept`);
    this.pinned = seen;
    return status;
  }

  private defaultCheck(): CertificateCheck {
    const { tls } = this.options;
    if (tls.mode === 'tofu') return { kind: 'pin', fingerprint: this.pinned };
    if (tls.mode === 'ca') return { kind: 'ca', ca: tls.ca };
    return { kind: 'none' };
  }

  private context(call: Call): AnswerContext {
    return { operation: call.operation, target: this.target, secrets: this.secrets(call) };
  }

  private secrets(call: Call): string[] {
    return [this.options.apiKey, ...(call.secrets ?? [])];
  }

  private envelope(answer: Exchange, call: Call): Envelope {
    return readAnswer(answer, this.context(call)) as Envelope;
  }

  private async send(call: Call, options: CallOptions, check: CertificateCheck): Promise<Exchange> {
    const timeoutMs =
      options.timeoutMs === undefined ? this.options.timeoutMs : checkTimeout(options.timeoutMs, 'timeoutMs');
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: Record<string, string> = {
      host: this.target,
      authorization: `Bearer ${this.options.apiKey}`,
      accept: 'application/json',
      'user-agent': 'fortiflex-scaler',
      connection: 'close',
    };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const answer = await exchange(this.options, check, {
      operation: call.operation,
      method: call.method,
      path: call.path,
      headers,
      body,
      timeoutMs,
      signal: options.signal,
      secrets: this.secrets(call),
    });
    if (answer.fingerprint !== undefined) {
      this.lastSeen = answer.fingerprint;
      // First contact pins; a re-pin is decided by the caller of an `observe` exchange.
      if (check.kind === 'pin' && this.pinned === undefined) this.pinned = answer.fingerprint;
    }
    return answer;
  }
}
