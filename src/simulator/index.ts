/**
 * A faithful local FortiFlex v2 API simulator over HTTP on 127.0.0.1, for tests, the demo and benchmarks:
 * OAuth token endpoint, every v2 endpoint with its envelope and lifecycle, a simulated clock, a
 * Pacific-day billing ledger (incremental: request cost does not grow with history), fault and latency
 * injection, and optional server-side rate limits. With `arm`, it also serves Azure Resource Manager for
 * the seed's VMs and scale sets over HTTPS (see `./arm`), on the same clock and request log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Entitlement } from '../lib/fortiflex/types';
import { startArmSimulator, type ArmSimulatorHandle } from './arm';
import { AuthService } from './auth';
import { SimClock } from './clock';
import { FaultInjector } from './faults';
import { defaultSeed, DEFAULT_USER } from './seed';
import { API_PREFIX, AUTH_PATH, createSimServer, Stats } from './server';
import { RateLimiter } from './rate-limit';
import { RequestLog, type LoggedRequest, type RequestFilter } from './request-log';
import { SimState } from './state';
import { parseDay, parseInstant } from './time';
import type { FaultRule, SimulatorOptions, SimulatorSeed, TokenActivation } from './types';

export type { RateLimitOptions } from './rate-limit';
export type {
  Fault,
  FaultRule,
  SeedEntitlement,
  SeedProgram,
  SimulatorOptions,
  SimulatorSeed,
  TokenActivation,
} from './types';
export { defaultSeed, parseSeed } from './seed';
export type { ArmSimulatorHandle, ArmSimulatorOptions, ArmFaultRule, MachineView } from './arm';
export type { LoggedRequest, RequestFilter } from './request-log';
export { derivedRate } from './catalog';

/** Where the clock starts when the seed has no `now`: Monday 2026-03-02 08:00 PST. */
export const DEFAULT_START = '2026-03-02T08:00:00-08:00';

/** A running simulator. */
export interface SimulatorHandle {
  /** `http://127.0.0.1:<port>/ES/api/fortiflex/v2/` */
  apiUrl: string;
  /** `http://127.0.0.1:<port>/api/v1/oauth/token/` */
  authUrl: string;
  /** The first seeded user (simulator-only credentials). */
  credentials: { username: string; password: string };
  clock: { now(): Date; set(at: Date | string): void; advance(ms: number): void };
  faults: { add(rule: FaultRule): void; clear(): void };
  setLatency(ms: number): void;
  /** Requests per endpoint path (`entitlements/stop`, `oauth/token`), successful token grants, and the total. */
  stats(): { requests: Record<string, number>; logins: number; total: number };
  resetStats(): void;
  /** Invalidates every issued access and refresh token, as a login with another tool would. */
  invalidateTokens(): void;
  /** Current entitlements (copies). */
  entitlements(): Entitlement[];
  /** A VM boots with its token: PENDING→ACTIVE, token USED. Throws for unknown serials or a used token. */
  useToken(serialNumber: string): void;
  /**
   * FortiCare's side of `vmlicense/download`, for the FortiGate simulator in the same process: activates an
   * unused token of a PENDING, ACTIVE or GRACE_PERIOD entitlement (PENDING turns ACTIVE, the token USED)
   * and returns its serial, or says why not. Never throws for a bad token.
   */
  activateToken(token: string): TokenActivation;
  /** The current status of one entitlement (`ACTIVE`, `STOPPED`, …); undefined for an unknown serial. */
  entitlementStatus(serialNumber: string): string | undefined;
  /** Points charged by the ledger, over Pacific days [from, to] inclusive (`YYYY-MM-DD`). */
  pointsCharged(filter?: { serialNumber?: string; from?: string; to?: string }): number;
  /** Requests to every simulated service (FortiFlex and ARM) in arrival order. */
  requests(filter?: RequestFilter): LoggedRequest[];
  /** The ARM simulator, when started with `arm`. */
  arm?: ArmSimulatorHandle;
  stop(): Promise<void>;
}

function checkLatency(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0)
    throw new Error(`latencyMs: ${ms} is not valid; expected milliseconds >= 0`);
  return ms;
}

/**
 * Starts a simulator. The clock starts at `seed.now` (default {@link DEFAULT_START}); the ledger starts then
 * too: history before the start is unknown and costs nothing.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const seed: SimulatorSeed = options.seed ?? defaultSeed();
  const users = seed.users && seed.users.length > 0 ? seed.users : [DEFAULT_USER];
  const clock = new SimClock(parseInstant(seed.now ?? DEFAULT_START, 'seed.now'));
  const state = new SimState(seed, clock);
  clock.onChange((nowMs) => state.onClock(nowMs));
  const ttl = options.tokenTtlSeconds ?? 3660;
  if (!(ttl > 0)) throw new Error(`tokenTtlSeconds: ${ttl} is not valid; expected seconds > 0`);
  const auth = new AuthService(
    users,
    clock,
    ttl,
    options.invalidatePreviousTokens ?? true,
    options.refuseFreshTokensOnce ?? false,
  );
  const faults = new FaultInjector(options.faultSeed);
  const stats = new Stats();
  let latency = checkLatency(options.latencyMs ?? 0);
  const rateLimiter = options.rateLimit
    ? new RateLimiter(
        options.rateLimit,
        options.rateLimit.clock === 'simulated' ? () => clock.nowMs() : Date.now,
      )
    : undefined;
  const hanging = new Set<ServerResponse>();
  const server = createSimServer(
    { state, auth, faults, stats, latencyMs: () => latency, rateLimiter },
    hanging,
  );
  const log = new RequestLog(clock);
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const entry = log.start({
      service: 'fortiflex',
      method: req.method ?? 'POST',
      path,
      query: url.search,
      operation: (path.startsWith(API_PREFIX) ? path.slice(API_PREFIX.length) : path)
        .replace(/^\/+|\/+$/g, '')
        .replace(/^api\/v1\//, ''),
    });
    res.on('finish', () => (entry.status = res.statusCode));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  let arm: ArmSimulatorHandle | undefined;
  if (options.arm) {
    const armOptions = options.arm === true ? {} : options.arm;
    arm = await startArmSimulator(armOptions, { clock, log, seed }).catch(async (error: unknown) => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw error;
    });
  }
  let stopped: Promise<void> | undefined;

  return {
    apiUrl: `${base}${API_PREFIX}`,
    authUrl: `${base}${AUTH_PATH}`,
    credentials: { ...users[0]! },
    clock: {
      now: () => clock.now(),
      set: (at) => clock.set(at),
      advance: (ms) => clock.advance(ms),
    },
    faults: { add: (rule) => faults.add(rule), clear: () => faults.clear() },
    setLatency: (ms) => {
      latency = checkLatency(ms);
    },
    stats: () => ({ requests: { ...stats.requests }, logins: stats.logins, total: stats.total }),
    resetStats: () => stats.reset(),
    invalidateTokens: () => auth.invalidateAll(),
    entitlements: () => state.all(),
    useToken: (serialNumber) => state.useToken(serialNumber),
    activateToken: (token) => state.activateToken(token),
    entitlementStatus: (serialNumber) => state.statusOf(serialNumber),
    pointsCharged: (filter = {}) =>
      state.pointsCharged({
        serialNumber: filter.serialNumber,
        from: filter.from === undefined ? undefined : parseDay(filter.from, 'pointsCharged.from'),
        to: filter.to === undefined ? undefined : parseDay(filter.to, 'pointsCharged.to'),
      }),
    requests: (filter) => log.entries(filter),
    ...(arm && { arm }),
    stop: () => {
      stopped ??= Promise.all([
        new Promise<void>((resolve) => {
          for (const res of hanging) res.socket?.destroy();
          hanging.clear();
          server.close(() => resolve());
          server.closeAllConnections();
        }),
        arm?.stop(),
      ]).then(() => undefined);
      return stopped;
    },
  };
}
