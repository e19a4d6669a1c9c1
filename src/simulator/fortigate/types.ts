/**
 * Public types of the FortiGate simulator (re-exported by `./index`).
 */
import type { KeyPair } from '../tls';
import type { TokenActivation } from '../types';

/**
 * FortiCare as the FortiGate simulator sees it: the FortiFlex simulator of the same process
 * (`SimulatorHandle` satisfies this). Activation and entitlement states live there, on its simulated clock,
 * so using a token starts billing at the simulated instant of the download.
 */
export interface LicenseAuthority {
  /** Activates a licence token; see `SimulatorHandle.activateToken`. */
  activateToken(token: string): TokenActivation;
  /** Current FortiFlex status of an entitlement; undefined for an unknown serial. */
  entitlementStatus(serialNumber: string): string | undefined;
}

/**
 * What a licensed FortiGate does when its entitlement is STOPPED while it runs. Nothing public says (the
 * FortiFlex docs only say billing ends), so both are simulated: `staysValid` (default) keeps `vm_valid`;
 * `becomesInvalid` reports `vm_invalid` from the first request after the stop.
 */
export type WhenEntitlementStopped = 'staysValid' | 'becomesInvalid';

/**
 * After `becomesInvalid`, what reactivating the entitlement does: `restores` (default) makes the unit valid
 * again; `needsNewToken` keeps it invalid until a fresh token is downloaded.
 */
export type WhenEntitlementReactivated = 'restores' | 'needsNewToken';

/** Failed-login lockout per source address (FortiOS `admin-lockout-threshold` / `admin-lockout-duration`). */
export interface LockoutOptions {
  /** Failed authentications in a row that lock the source out. @default 3 */
  threshold?: number;
  /** How long the source gets HTTP 429 for every request, in wall-clock milliseconds. @default 60000 */
  durationMs?: number;
}

/**
 * How a FortiGate is unreachable: `refuse` closes the listener (connection refused, as while FortiOS boots);
 * `blackhole` accepts connections and never answers (clients time out).
 */
export type UnreachableMode = 'refuse' | 'blackhole';

/** A period without answers, relative to the device's start, in wall-clock milliseconds. */
export interface OutageSchedule {
  afterMs: number;
  forMs: number;
  mode?: UnreachableMode;
}

/** A failure the device injects into matching requests. */
export type FortiGateFault =
  | { kind: 'http'; status: number; body?: unknown }
  | { kind: 'malformed' }
  | { kind: 'reset' }
  | { kind: 'hang' };

/**
 * A fault for the next `times` requests (default 1) to `path`: the part after `/api/v2/monitor/`
 * (`system/status`, `license/status`, `system/vmlicense/download`) or `*` for any.
 */
export interface FortiGateFaultRule {
  path: string;
  times?: number;
  /**
   * `before` (default): the fault answers instead of the device, nothing changes. `after`: the request is
   * authenticated and takes effect (a licence download is accepted and the unit reboots), then the fault
   * replaces the answer: a lost reply, for testing ambiguous deliveries. An `after` rule is used only by
   * requests that pass authentication.
   */
  when?: 'before' | 'after';
  fault: FortiGateFault;
}

/** Options of one simulated FortiGate-VM. */
export interface FortiGateOptions {
  /** Loopback IPv4 address to listen on (127.0.0.2, 127.0.0.3, …): one address per FortiGate, as in Azure. */
  address: string;
  /** TCP port; 0 (default) picks a free one, kept across reboots. */
  port?: number;
  /** `https` (default) with a certificate for `address` from `ca`, or `http` for tests. */
  protocol?: 'https' | 'http';
  /** The REST API key that authenticates (`Authorization: Bearer`). */
  apiKey: string;
  /** FortiCare for `vmlicense/download`; without one every download fails as if FortiCare were unreachable. */
  authority?: LicenseAuthority;
  /** Certificate authority issuing the device certificate; generated when omitted (HTTPS only). */
  ca?: KeyPair;
  /** Wall-clock milliseconds before the first answer (connection refused until then). @default 0 */
  bootDelayMs?: number;
  /** Wall-clock milliseconds a licence reboot keeps the device unreachable. @default 500 */
  rebootMs?: number;
  /** Evaluation serial before licensing. @default `FGVMEV` and 10 random characters */
  evaluationSerial?: string;
  /** Starts already licensed with this serial (a unit licensed earlier: adoption). */
  licensedSerial?: string;
  /** Host name; an unconfigured FortiGate uses its serial at first boot. */
  hostname?: string;
  /** @default 'v7.4.5' */
  version?: string;
  /** @default 2702 */
  build?: number;
  /** @default 'staysValid' */
  whenEntitlementStopped?: WhenEntitlementStopped;
  /** @default 'restores' */
  whenEntitlementReactivated?: WhenEntitlementReactivated;
  /** Issue a new certificate (new key) during the licence reboot, to exercise TOFU re-pinning. @default false */
  regenerateCertificateOnLicense?: boolean;
  /** @default { threshold: 3, durationMs: 60000 } */
  lockout?: LockoutOptions;
  /** The API user's profile is read-only: `vmlicense/download` answers 403. @default false */
  readOnly?: boolean;
  /** Unreachable periods after start. */
  outages?: readonly OutageSchedule[];
  /** Wall-clock milliseconds added before every answer (benchmarks). @default 0 */
  latencyMs?: number;
}

/** The device's phase, as a test sees it. */
export type FortiGatePhase = 'booting' | 'running' | 'rebooting' | 'outage' | 'stopped';

/** One entry of the device log. Never holds the API key or a licence token. */
export type FortiGateLogEntry =
  | {
      kind: 'request';
      /** Wall-clock time the answer was sent. */
      at: Date;
      method: string;
      /** Path without the query string. */
      path: string;
      /** Client source address. */
      source: string;
      status: number;
      /** `accepted`, `alreadyUsed`, `tokenInvalid`, `tokenNotActive`, `unauthorized`, `locked`, `fault`, … */
      outcome?: string;
      /** Licence downloads: where the token came from (the JSON body or the `token` query parameter). */
      tokenFrom?: 'body' | 'query';
    }
  | {
      kind: 'event';
      at: Date;
      event: 'up' | 'down' | 'licensed' | 'certificateRegenerated';
      /** The serial after `licensed`, the reason for `down` (`boot`, `reboot`, `outage`). */
      detail?: string;
    };

/** A running simulated FortiGate. */
export interface FortiGateHandle {
  readonly address: string;
  readonly port: number;
  readonly protocol: 'https' | 'http';
  /** `https://127.0.0.2:PORT` */
  readonly url: string;
  /** Current serial: the evaluation serial until a licence reboot completes. */
  serial(): string;
  /** The serial of the licence in force, or undefined while on the evaluation licence. */
  licensedSerial(): string | undefined;
  phase(): FortiGatePhase;
  /** The current certificate (PEM) and its SHA-256 fingerprint; undefined over HTTP. */
  certificate(): { pem: string; fingerprint: string } | undefined;
  /** Resolves when the device answers again (immediately when it does). */
  whenReachable(): Promise<void>;
  /** Unreachable for `forMs` wall-clock milliseconds from now. */
  outage(forMs: number, mode?: UnreachableMode): void;
  /** Reboots now (unreachable for `rebootMs` or `forMs`), keeping its licence. */
  reboot(forMs?: number): Promise<void>;
  /** A new certificate from the same CA, as FortiOS does when interface addresses change. */
  regenerateCertificate(): Promise<void>;
  faults: { add(rule: FortiGateFaultRule): void; clear(): void };
  /** Requests and lifecycle events, oldest first (copies). */
  log(): FortiGateLogEntry[];
  stop(): Promise<void>;
}
