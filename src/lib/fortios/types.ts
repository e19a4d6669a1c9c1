/**
 * Public types of the FortiOS client: how to reach one FortiGate-VM and what its licensing calls return.
 */

/**
 * How the client checks the FortiGate's HTTPS certificate.
 *
 * - `tofu` (default): trust on first use. Without `fingerprint` the first certificate seen is accepted and
 *   pinned for the rest of the client's life ({@link FortiOsClient.fingerprint} reports it, to be stored by
 *   the caller); with `fingerprint` (SHA-256 of the leaf certificate, hex, colons optional) any other
 *   certificate fails with `certificateMismatch` before the API key is sent. A FortiGate regenerates its
 *   default admin certificate when its interface addresses or its device CA change, and possibly when it
 *   is licensed, so `confirmLicensed` can re-pin once, deliberately: see `ConfirmOptions.acceptNewCertificate`.
 * - `ca`: the certificate must chain to `ca` (PEM, e.g. the device CA `Fortinet_CA_SSL` or an enterprise CA)
 *   and name the FortiGate's IP address; survives certificate regeneration by the same CA.
 * - `insecure`: no check at all (what Fortinet's own functions do). The API key can then be stolen by anyone
 *   on the path; callers should show this mode as a warning in their status.
 */
export type FortiOsTls =
  | { mode: 'tofu'; fingerprint?: string }
  | { mode: 'ca'; ca: string | readonly string[] }
  | { mode: 'insecure' };

/** How to reach one FortiGate. */
export interface FortiOsClientOptions {
  /** The FortiGate's IP address (IPv4 or IPv6; host names are refused: instances are told apart by IP). */
  address: string;
  /** REST API key of an API admin (`Authorization: Bearer`; never sent in the URL). */
  apiKey: string;
  /** TCP port of the admin HTTPS service. @default 443 */
  port?: number;
  /** `http` is accepted only for loopback addresses (simulators in tests). @default 'https' */
  protocol?: 'https' | 'http';
  /** Certificate check for HTTPS; ignored for `http`. @default { mode: 'tofu' } */
  tls?: FortiOsTls;
  /** Budget of one request (connect, TLS, answer), in milliseconds. @default 10000 */
  timeoutMs?: number;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call (the error has code `aborted`). */
  signal?: AbortSignal;
  /** Overrides the client's request budget for this call, in milliseconds. */
  timeoutMs?: number;
}

/** `GET /api/v2/monitor/system/status`. */
export interface SystemStatus {
  /** The unit's serial: `FGVMEV…` while on the evaluation licence, the entitlement's serial once licensed. */
  serial: string;
  /** FortiOS version, e.g. `v7.4.5`. */
  version: string;
  build?: number;
  /** Host name; an unconfigured FortiGate uses its serial. */
  hostname?: string;
  /** Model code, e.g. `FGVM64`. */
  model?: string;
}

/** The VM licence part (`results.vm`) of `GET /api/v2/monitor/license/status`. */
export interface LicenseStatus {
  /** FortiOS's own validity flag. */
  valid: boolean;
  /** `vm_valid`, `vm_eval`, `vm_invalid`, … (other values are passed through as FortiOS sends them). */
  status: string;
  /** Licence expiry, when FortiOS reports one. */
  expiresAt?: Date;
}

/**
 * What `vmlicense/download` answered.
 * - `accepted`: the FortiGate fetched its licence and is rebooting now; `serialAtRequest` is the serial it
 *   reported in that answer (its evaluation serial, so not proof of the new licence; confirm after reboot).
 * - `alreadyUsed`: HTTP 500 "License Token is already used". Fortinet's own automation treats it as done:
 *   usually this FortiGate took the token on an earlier attempt whose answer was lost. It may also mean
 *   another unit used it, so the caller must still confirm the serial.
 */
export type VmLicenseDownload =
  { outcome: 'accepted'; serialAtRequest?: string } | { outcome: 'alreadyUsed' };

/** Options of `confirmLicensed`. */
export interface ConfirmOptions extends CallOptions {
  /**
   * TOFU only: accept a certificate other than the pinned one once, for this check, and pin it if and only
   * if the FortiGate behind it accepts the API key and reports `expectedSerial`. Use it right after a licence
   * download, when the reboot may have regenerated the certificate. The API key is then sent to a peer not
   * yet verified, the same trust TOFU gives on first contact; a peer that does not report the claimed serial
   * is refused with `certificateMismatch` and the old pin stays. @default false
   */
  acceptNewCertificate?: boolean;
}

/** Outcome of `confirmLicensed`. */
export interface LicenseConfirmation {
  /** True when the serials match and the VM licence is `valid` with status `vm_valid`. */
  confirmed: boolean;
  /** Why not, when not confirmed. */
  reason?: 'serialMismatch' | 'licenseNotValid';
  /** The serial the FortiGate reports (as reported). */
  serial: string;
  expectedSerial: string;
  license: LicenseStatus;
  version: string;
  /** The certificate fingerprint now pinned or seen (HTTPS only). */
  fingerprint?: string;
  /** True when this check replaced the pinned fingerprint (see `ConfirmOptions.acceptNewCertificate`). */
  repinned: boolean;
  /** The fingerprint pinned before the re-pin. */
  previousFingerprint?: string;
}
