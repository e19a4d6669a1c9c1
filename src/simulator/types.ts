/**
 * Public types of the FortiFlex simulator (re-exported by `./index`).
 */
import type { Config, Entitlement, Program } from '../lib/fortiflex/types';
import type { ArmSeed, ArmSimulatorOptions } from './arm/types';
import type { RateLimitOptions } from './rate-limit';

/** A program in a seed; `pointBalance` is the prepaid balance before any simulated charge (default 50,000). */
export type SeedProgram = Program & { pointBalance?: number };

/**
 * An entitlement in a seed; `folderPath` is the asset folder (never returned by the API, default "My Assets").
 * ACTIVE and GRACE_PERIOD follow the program balance: a prepaid program with a negative balance shows
 * GRACE_PERIOD, otherwise ACTIVE.
 */
export type SeedEntitlement = Entitlement & { folderPath?: string };

/**
 * The simulator's initial world. The JSON seed file (`simulator --seed FILE`) has exactly this shape. The
 * optional `virtualMachines` and `scaleSets` ({@link ArmSeed}) are the Azure side the ARM simulator serves.
 */
export interface SimulatorSeed extends ArmSeed {
  /** Initial simulated instant (ISO 8601; without an offset it is Pacific local time). */
  now?: string;
  /** API users; the first is the default user. */
  users?: { username: string; password: string }[];
  programs: SeedProgram[];
  configs: Config[];
  entitlements: SeedEntitlement[];
  /** configId → points per day; configs not listed use the derived rate (see `derivedRate`). */
  rates?: Record<number, number>;
}

/**
 * What FortiCare answers a FortiGate-VM that presents a licence token (see `SimulatorHandle.activateToken`):
 * the serial number it becomes, or why the token gives no licence: `invalid` (no entitlement has this
 * token, e.g. it was regenerated), `used` (single use, already activated), `notActive` (the entitlement is
 * STOPPED or EXPIRED; `status` says which).
 */
export type TokenActivation =
  | { ok: true; serialNumber: string }
  | { ok: false; reason: 'invalid' | 'used' }
  | { ok: false; reason: 'notActive'; status: string };

/** Options of {@link startSimulator}. */
export interface SimulatorOptions {
  /** TCP port on 127.0.0.1; 0 (default) lets the OS choose. */
  port?: number;
  /** Initial world; `defaultSeed()` when omitted. */
  seed?: SimulatorSeed;
  /** Added before every response (benchmarks). */
  latencyMs?: number;
  /** Seed of the randomness of fault rules with a `probability` (default 1): the same seed, the same faults. */
  faultSeed?: number;
  /** Default true: issuing a token invalidates the user's older tokens (one active token per user). */
  invalidatePreviousTokens?: boolean;
  /**
   * Default false: the first API request with each newly issued access token is answered "Invalid security
   * token." (HTTP 401); the token works from the next request on.
   */
  refuseFreshTokensOnce?: boolean;
  /** Access token lifetime in simulated seconds; default 3660. */
  tokenTtlSeconds?: number;
  /**
   * Server-side rate limits of the v2 API (off by default): 429 with Retry-After and status -10 ("Exceed
   * max requests in minute"), -11 ("Exceed max requests in hour") or -30 ("Exceed max error"). Windows
   * slide over wall-clock time unless `clock: 'simulated'`.
   */
  rateLimit?: RateLimitOptions;
  /**
   * Also serve Azure Resource Manager (compute and network) for the seed's VMs and scale sets, over HTTPS
   * on loopback, on the same simulated clock and request log (see `./arm`). Off by default.
   */
  arm?: boolean | ArmSimulatorOptions;
}

/** The failure a {@link FaultRule} injects. */
export type Fault =
  | { kind: 'http'; status: number; body?: unknown }
  | { kind: 'envelope'; httpStatus?: number; errorCode?: number | string; message: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'malformed' }
  | { kind: 'rateLimit'; retryAfterSeconds: number }
  | { kind: 'invalidToken' }
  | { kind: 'legacyKeys' };

/** A fault injected into the next `times` requests to `endpoint`. */
export interface FaultRule {
  /** Endpoint path relative to the v2 base (`entitlements/stop`), `oauth/token`, or `*` for any. */
  endpoint: string;
  /** Default 1; `Infinity` allowed. */
  times?: number;
  /** `before` (default): fail without changing anything. `after`: apply the change, then fail the response. */
  when?: 'before' | 'after';
  /**
   * Chance in (0, 1] that the rule fires on a matching request (default 1), drawn from the simulator's seeded
   * fault randomness (`faultSeed`); a request it spares goes on to the next rule. `times` counts firings.
   */
  probability?: number;
  fault: Fault;
}
