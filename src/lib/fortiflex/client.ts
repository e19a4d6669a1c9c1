/**
 * `FortiFlexClient`: one typed method per FortiFlex v2 endpoint, with the token lifecycle, rate limiting,
 * timeouts and per-operation retries handled inside.
 *
 * Retries follow what each operation can safely repeat (FortiFlex is all-POST, so the HTTP verb says nothing):
 * - Reads and idempotent writes (lists, points, calc, groups, updates, enable/disable, token regeneration)
 *   retry transient faults (network, timeout, 5xx, 429, rate-limit envelope codes) with exponential backoff
 *   and full jitter, honouring Retry-After.
 * - stop / reactivate: after an ambiguous failure (the request may have been applied) the entitlement is
 *   re-read with `entitlements/list` and "already in the target state" counts as success; the same re-read
 *   confirms the API's rejection of stop-on-STOPPED and reactivate-on-ACTIVE. Without a scope there is no way
 *   to re-read, so the error is surfaced.
 * - Creates are never blindly repeated once they may have reached the server; see {@link FortiFlexClient.createVmEntitlements}.
 * - Transfers are repeated only when the request provably did not reach the server.
 */
import {
  FortiFlexAbortError,
  FortiFlexApiError,
  FortiFlexAuthError,
  FortiFlexError,
  FortiFlexNetworkError,
  FortiFlexRateLimitError,
  FortiFlexResponseError,
  FortiFlexTimeoutError,
  redactSecrets,
} from './errors';
import { TokenManager, type CredentialsProvider } from './auth';
import type { SharedTokenStore } from './shared-token';
import {
  parseConfigs,
  parseEntitlementPoints,
  parseEntitlements,
  parseGroups,
  parsePointsEstimate,
  parseProgramPoints,
  parsePrograms,
  PayloadError,
} from './parse';
import { RateLimiter, type RateLimitOptions } from './rate-limit';
import { interpretResponse } from './response';
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffOptions } from './retry';
import { loadNodeFetch, postJson, type FetchLike, type RawResponse } from './transport';
import type {
  Config,
  Entitlement,
  EntitlementPoints,
  Group,
  PointsEstimate,
  Program,
  ProgramPoints,
} from './types';

/** Production FortiFlex v2 base URL (docs/architecture.md §"Settings"). */
export const DEFAULT_API_URL = 'https://support.fortinet.com/ES/api/fortiflex/v2/';
/** Production OAuth token URL (docs/architecture.md §"Settings"); the trailing slash matters. */
export const DEFAULT_AUTH_URL = 'https://customerapiauth.fortinet.com/api/v1/oauth/token/';

/** Options of {@link FortiFlexClient}. Durations are in milliseconds. */
export interface FortiFlexClientOptions {
  /** @default DEFAULT_API_URL */
  apiUrl?: string;
  /** @default DEFAULT_AUTH_URL */
  authUrl?: string;
  /** FlexVM v1 base URL. @default `../../flexvm/v1/` relative to `apiUrl` */
  legacyApiUrl?: string;
  /** API user credentials; read on login, invalidated after a rejection. */
  credentials: CredentialsProvider;
  /** @default node-fetch 3 with keep-alive agents */
  fetch?: FetchLike;
  /** Client-side request budget. `Infinity` switches a bucket off. @default { perMinute: 90, perHour: 900 } */
  rateLimit?: RateLimitOptions;
  /** Budget of one HTTP attempt. @default 30000 */
  attemptTimeoutMs?: number;
  /** Budget of a whole operation, retries and waits included. @default 120000 */
  totalTimeoutMs?: number;
  /** Retries after the first attempt for transient faults. @default 4 */
  maxRetries?: number;
  /** Receives retry and re-login notes; never secrets. */
  logger?: { debug?(m: string): void; warn?(m: string): void };
  /**
   * Waits between retries and in the rate limiter. The signal fires when the caller aborts or the total budget
   * runs out; honour it to release timers early (the client stops waiting either way).
   * @default setTimeout-based, cleared on abort
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** Clock for token expiry, deadlines and the rate limiter, epoch ms. @default Date.now */
  now?: () => number;
  /** Backoff tuning. @default DEFAULT_BACKOFF */
  backoff?: Partial<BackoffOptions>;
  /**
   * Shares the access token with the app's other processes (one active token per API user); without it the
   * token is this client's own.
   */
  sharedTokens?: SharedTokenStore;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the operation, including waits between retries. */
  signal?: AbortSignal;
}

/** Which entitlements `entitlements/list` covers: a config, or an account's program (or both). */
export type EntitlementScope =
  | { configId: number; accountId?: number; programSerialNumber?: string }
  | { accountId: number; programSerialNumber: string };

/** A parameter value as the API takes it (list parameters repeat the id; an empty list is `"NONE"`). */
export interface ParameterInput {
  id: number;
  value: string;
}

/** Filters of `entitlements/list` (exact match). */
export interface EntitlementFilters {
  serialNumber?: string;
  description?: string;
  status?: string;
  tokenStatus?: string;
}

/** Counters for benchmarks and tests. */
export interface ClientStats {
  /** HTTP requests made, API and auth server together. */
  calls: number;
  /** Successful logins (password or refresh grant). */
  logins: number;
}

interface CallContext {
  operation: string;
  deadline: number;
  /** Caller signal combined with the total budget. */
  signal: AbortSignal;
  totalSignal: AbortSignal;
}

type Resolution<T> = { done: true; value: T } | { done: false };

/** Resends with a refused token that is still current, before treating it as dead (Ansible resends 4 times). */
const SAME_TOKEN_RETRIES = 3;
/** Token replacements (logins) one operation may cause. */
const MAX_TOKEN_REPLACEMENTS = 2;
/** Token refusals one operation tolerates in all, whatever their cause. */
const MAX_TOKEN_REFUSALS = 12;
const NOT_DONE = { done: false } as const;

/**
 * Sleeps `ms`, resolving early when `signal` fires: the caller turns the abort into its own error, and the timer
 * must not outlive the operation (a pending Retry-After wait would otherwise keep a CLI process alive).
 */
function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Drops undefined fields so the API never sees `"field": undefined` turned into absence inconsistently. */
function compact(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

/** Typed FortiFlex v2 client. See the module comment for the retry rules. */
export class FortiFlexClient {
  private readonly apiUrl: string;
  /** FlexVM v1 base, for the one request the vendor tools still send there (`groups/list` without account). */
  private readonly legacyApiUrl: string;
  private readonly authUrl: string;
  private readonly fetchOption: FetchLike | undefined;
  private fetchImpl: FetchLike | undefined;
  private readonly attemptTimeoutMs: number;
  private readonly totalTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly logger: NonNullable<FortiFlexClientOptions['logger']>;
  private readonly sleepFn: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly backoff: BackoffOptions;
  private readonly limiter: RateLimiter;
  private readonly tokens: TokenManager;
  private readonly secrets = new Set<string>();
  private readonly counters: ClientStats = { calls: 0, logins: 0 };

  constructor(options: FortiFlexClientOptions) {
    this.apiUrl = withTrailingSlash(options.apiUrl ?? DEFAULT_API_URL);
    this.legacyApiUrl = withTrailingSlash(options.legacyApiUrl ?? legacyBaseOf(this.apiUrl));
    this.authUrl = options.authUrl ?? DEFAULT_AUTH_URL;
    this.fetchOption = options.fetch;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000;
    this.totalTimeoutMs = options.totalTimeoutMs ?? 120_000;
    this.maxRetries = options.maxRetries ?? 4;
    this.logger = redactingLogger(options.logger, this.secrets);
    this.sleepFn = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.limiter = new RateLimiter(options.rateLimit ?? {}, this.now, (ms, signal) =>
      signal ? this.pause(ms, signal, () => new FortiFlexAbortError('rate limit wait')) : this.sleepFn(ms),
    );
    this.tokens = new TokenManager({
      credentials: options.credentials,
      now: this.now,
      post: (body, signal) => this.postAuth(body, signal),
      rememberSecret: (secret) => this.secrets.add(secret),
      onLogin: () => void (this.counters.logins += 1),
      logger: this.logger,
      ...(options.sharedTokens && { shared: options.sharedTokens, authUrl: this.authUrl }),
      sleep: (ms, signal) => this.sleepFn(ms, signal),
      random: this.random,
    });
  }

  /** HTTP requests made (API and auth) and logins performed so far. */
  stats(): ClientStats {
    return { ...this.counters };
  }

  // ---- programs -------------------------------------------------------------------------------------------

  /** `programs/list`: the programs visible to the API user. */
  listPrograms(o?: CallOptions): Promise<Program[]> {
    return this.read('programs/list', 'programs/list', {}, o, parsePrograms);
  }

  /**
   * `programs/points`: points balance of a prepaid program. UNVERIFIED: no Fortinet source documents this
   * endpoint; the path and the reply shape come from third-party clients. A reply without a
   * recognisable balance fails with a {@link FortiFlexResponseError} instead of yielding an empty balance.
   */
  getProgramPoints(
    q: { programSerialNumber: string; accountId?: number },
    o?: CallOptions,
  ): Promise<ProgramPoints> {
    return this.read(
      `programs/points ${q.programSerialNumber}`,
      'programs/points',
      compact(q),
      o,
      (envelope) => parseProgramPoints(envelope, q.programSerialNumber),
    );
  }

  // ---- configs --------------------------------------------------------------------------------------------

  /** `configs/list`: configurations of a program (all visible accounts unless `accountId` is given). */
  listConfigs(q: { programSerialNumber: string; accountId?: number }, o?: CallOptions): Promise<Config[]> {
    return this.read(`configs/list ${q.programSerialNumber}`, 'configs/list', compact(q), o, parseConfigs);
  }

  /**
   * `configs/create`. Config names are unique per account, so after an ambiguous failure the program's
   * configs are listed and a config with the requested name and product type is taken as the one created
   * (had it existed before, the server would have refused the create anyway). Never re-sent blindly.
   */
  createConfig(
    q: {
      programSerialNumber: string;
      accountId?: number;
      name: string;
      productTypeId: number;
      parameters: ParameterInput[];
    },
    o?: CallOptions,
  ): Promise<Config> {
    const operation = `configs/create "${q.name}"`;
    return this.run(operation, o, (ctx) =>
      this.retrying(
        ctx,
        async () => first(ctx, decode(ctx, await this.send(ctx, 'configs/create', compact(q)), parseConfigs)),
        async (error) => {
          if (!error.ambiguous) return NOT_DONE;
          const configs = await this.confirm(ctx, error, () =>
            this.readIn(
              ctx,
              'configs/list',
              compact({ programSerialNumber: q.programSerialNumber, accountId: q.accountId }),
              parseConfigs,
            ),
          );
          const found = configs.find((c) => c.name === q.name && c.productType.id === q.productTypeId);
          return found ? { done: true, value: found } : NOT_DONE;
        },
      ),
    );
  }

  /**
   * `configs/update`: a new name and the complete parameter set (applies to every entitlement using it). The
   * list is always sent, as every Fortinet tool does: whether the API resets omitted parameters is unknown.
   */
  updateConfig(
    q: { id: number; name?: string; parameters: ParameterInput[] },
    o?: CallOptions,
  ): Promise<Config> {
    return this.read(`configs/update ${q.id}`, 'configs/update', compact(q), o, (e) =>
      single(parseConfigs(e)),
    );
  }

  /** `configs/enable`. */
  enableConfig(id: number, o?: CallOptions): Promise<Config> {
    return this.read(`configs/enable ${id}`, 'configs/enable', { id }, o, (e) => single(parseConfigs(e)));
  }

  /** `configs/disable` (configs cannot be deleted, only disabled). */
  disableConfig(id: number, o?: CallOptions): Promise<Config> {
    return this.read(`configs/disable ${id}`, 'configs/disable', { id }, o, (e) => single(parseConfigs(e)));
  }

  // ---- entitlements ---------------------------------------------------------------------------------------

  /** `entitlements/list` in a scope, with optional exact-match filters. */
  listEntitlements(
    scope: EntitlementScope,
    filters: EntitlementFilters = {},
    o?: CallOptions,
  ): Promise<Entitlement[]> {
    return this.read(
      `entitlements/list ${describeScope(scope)}`,
      'entitlements/list',
      compact({ ...scope, ...filters }),
      o,
      parseEntitlements,
    );
  }

  /**
   * `entitlements/vm/create`: `count` new VM entitlements (default 1).
   *
   * Duplicate protection: before the first attempt the config's serial numbers are listed (one extra read).
   * If an attempt fails in a way that may have reached the server (timeout, reset, 5xx, malformed reply), the
   * config is listed again and the entitlements that are new since then and carry the requested description
   * are examined: exactly `count` of them → they are the result; none → the create did not happen and is
   * re-sent; any other number → the outcome cannot be attributed (e.g. a concurrent creator with the same
   * description) and a non-retryable {@link FortiFlexError} lists the candidates instead of risking a
   * duplicate. Callers that create concurrently in one config should give each request a unique description.
   */
  createVmEntitlements(
    q: {
      configId: number;
      count?: number;
      description?: string;
      endDate?: string | null;
      folderPath?: string;
      skipPending?: boolean;
    },
    o?: CallOptions,
  ): Promise<Entitlement[]> {
    const count = q.count ?? 1;
    return this.createDeduplicated(
      `entitlements/vm/create config ${q.configId} x${count}`,
      'entitlements/vm/create',
      compact({ ...q, count }),
      { configId: q.configId, description: q.description ?? '', count },
      o,
    );
  }

  /** `entitlements/cloud/create` (one per cloud product per account); duplicate protection as for VM creates. */
  createCloudEntitlement(
    q: { configId: number; endDate?: string | null; folderPath?: string; description?: string },
    o?: CallOptions,
  ): Promise<Entitlement[]> {
    return this.createDeduplicated(
      `entitlements/cloud/create config ${q.configId}`,
      'entitlements/cloud/create',
      compact(q),
      { configId: q.configId, description: q.description ?? '', count: 1 },
      o,
    );
  }

  /**
   * `entitlements/hardware/create`: one entitlement per device serial. After an ambiguous failure the config
   * is listed; serials already present are taken as created and only the missing ones are sent again.
   */
  createHardwareEntitlements(
    q: { configId: number; serialNumbers: string[]; endDate?: string | null },
    o?: CallOptions,
  ): Promise<Entitlement[]> {
    const operation = `entitlements/hardware/create config ${q.configId} (${q.serialNumbers.length} serials)`;
    return this.run(operation, o, async (ctx) => {
      let pending = [...q.serialNumbers];
      const created: Entitlement[] = [];
      return this.retrying(
        ctx,
        async () => {
          const reply = await this.send(
            ctx,
            'entitlements/hardware/create',
            compact({ ...q, serialNumbers: pending }),
          );
          const result = decode(ctx, reply, parseEntitlements);
          return [...created, ...result];
        },
        async (error) => {
          if (!error.ambiguous) return NOT_DONE;
          const listed = await this.confirm(ctx, error, () =>
            this.readIn(ctx, 'entitlements/list', { configId: q.configId }, parseEntitlements),
          );
          const bySerial = new Map(listed.map((e) => [e.serialNumber, e]));
          for (const serial of pending) {
            const found = bySerial.get(serial);
            if (found) created.push(found);
          }
          pending = pending.filter((serial) => !bySerial.has(serial));
          return pending.length === 0 ? { done: true, value: created } : NOT_DONE;
        },
      );
    });
  }

  /** `entitlements/update`: `configId` is the target config (send the current one to keep it). */
  updateEntitlement(
    q: { serialNumber: string; configId: number; description?: string; endDate?: string | null },
    o?: CallOptions,
  ): Promise<Entitlement> {
    return this.read(`entitlements/update ${q.serialNumber}`, 'entitlements/update', compact(q), o, (e) =>
      single(parseEntitlements(e)),
    );
  }

  /** `entitlements/stop`. Already STOPPED counts as success when `scope` allows a re-read. */
  stopEntitlement(
    q: { serialNumber: string; scope?: EntitlementScope },
    o?: CallOptions,
  ): Promise<Entitlement> {
    return this.transition('entitlements/stop', 'STOPPED', q, o);
  }

  /** `entitlements/reactivate`. Already ACTIVE counts as success when `scope` allows a re-read. */
  reactivateEntitlement(
    q: { serialNumber: string; scope?: EntitlementScope },
    o?: CallOptions,
  ): Promise<Entitlement> {
    return this.transition('entitlements/reactivate', 'ACTIVE', q, o);
  }

  /** `entitlements/vm/token`: a new, unused license token (repeating it only yields a newer token). */
  regenerateToken(q: { serialNumber: string }, o?: CallOptions): Promise<Entitlement> {
    return this.read(
      `entitlements/vm/token ${q.serialNumber}`,
      'entitlements/vm/token',
      { serialNumber: q.serialNumber },
      o,
      (e) => single(parseEntitlements(e)),
    );
  }

  /** `entitlements/points`: total points per entitlement over [startDate, endDate] (`YYYY-MM-DD`). */
  getEntitlementPoints(
    q: {
      startDate: string;
      endDate: string;
      configId?: number;
      serialNumber?: string;
      accountId?: number;
      programSerialNumber?: string;
    },
    o?: CallOptions,
  ): Promise<EntitlementPoints[]> {
    return this.read(
      `entitlements/points ${q.startDate}..${q.endDate}`,
      'entitlements/points',
      compact(q),
      o,
      parseEntitlementPoints,
    );
  }

  /**
   * `entitlements/transfer` of the given serials, with all five keys as Fortinet's Postman collection and
   * Python sample send them. Not idempotent and not cheaply verifiable, so it is re-sent only when the request
   * provably never reached the server (rate limit, refused connection, rejected token).
   */
  transferEntitlements(
    q: {
      sourceAccountId: number;
      sourceConfigId: number;
      targetAccountId: number;
      targetConfigId: number;
      serialNumbers: string[];
    },
    o?: CallOptions,
  ): Promise<Entitlement[]> {
    const operation = `entitlements/transfer ${q.sourceAccountId}/${q.sourceConfigId} -> ${q.targetAccountId}`;
    return this.run(operation, o, (ctx) =>
      this.retrying(
        ctx,
        async () => decode(ctx, await this.send(ctx, 'entitlements/transfer', compact(q)), parseEntitlements),
        (error) => {
          if (error.ambiguous) throw error;
          return Promise.resolve(NOT_DONE);
        },
      ),
    );
  }

  // ---- groups and tools -----------------------------------------------------------------------------------

  /**
   * `groups/list`: asset folders with their available and used token counts. Without an account the request
   * goes to the v1 path `flexvm/v1/groups/list`, as the Terraform provider and the Ansible collection do (v2
   * appears to require `accountId`).
   */
  listGroups(q: { accountId?: number } = {}, o?: CallOptions): Promise<Group[]> {
    if (q.accountId === undefined) {
      return this.run('flexvm/v1/groups/list', o, (ctx) =>
        this.readIn(ctx, 'groups/list', {}, parseGroups, this.legacyApiUrl),
      );
    }
    return this.read('groups/list', 'groups/list', { accountId: q.accountId }, o, parseGroups);
  }

  /** `groups/nexttoken`: the next entitlement with an unused token, or null when none is available. */
  nextToken(
    q: { configId?: number; folderPath?: string; accountId?: number; status?: string[] },
    o?: CallOptions,
  ): Promise<Entitlement | null> {
    const subject =
      q.folderPath ?? (q.configId === undefined ? `account ${q.accountId ?? ''}` : `config ${q.configId}`);
    return this.read(
      `groups/nexttoken ${subject}`,
      'groups/nexttoken',
      compact(q),
      o,
      (e) => parseEntitlements(e)[0] ?? null,
    );
  }

  /** `tools/calc`: points per day for a product type and parameter set. */
  calculatePoints(
    q: { programSerialNumber: string; productTypeId: number; parameters: ParameterInput[]; count?: number },
    o?: CallOptions,
  ): Promise<PointsEstimate> {
    // Every Fortinet source sends `count`; 1 is what they send for a single unit.
    return this.read(
      `tools/calc product ${q.productTypeId}`,
      'tools/calc',
      compact({ ...q, count: q.count ?? 1 }),
      o,
      parsePointsEstimate,
    );
  }

  // ---- operation shapes -----------------------------------------------------------------------------------

  /** A read or idempotent write: every transient fault is retried. */
  private read<T>(
    operation: string,
    path: string,
    body: Record<string, unknown>,
    o: CallOptions | undefined,
    parse: (envelope: Record<string, unknown>) => T,
  ): Promise<T> {
    return this.run(operation, o, (ctx) => this.readIn(ctx, path, body, parse));
  }

  /** A retried read inside an operation that is already running (shares its deadline and signal). */
  private readIn<T>(
    ctx: CallContext,
    path: string,
    body: Record<string, unknown>,
    parse: (envelope: Record<string, unknown>) => T,
    base: string = this.apiUrl,
  ): Promise<T> {
    return this.retrying(ctx, async () => decode(ctx, await this.send(ctx, path, body, base), parse));
  }

  private transition(
    path: 'entitlements/stop' | 'entitlements/reactivate',
    target: 'STOPPED' | 'ACTIVE',
    q: { serialNumber: string; scope?: EntitlementScope },
    o: CallOptions | undefined,
  ): Promise<Entitlement> {
    return this.run(`${path} ${q.serialNumber}`, o, (ctx) =>
      this.retrying(
        ctx,
        async () =>
          decode(ctx, await this.send(ctx, path, { serialNumber: q.serialNumber }), (e) =>
            single(parseEntitlements(e)),
          ),
        async (error) => {
          const rejected = error instanceof FortiFlexApiError && !error.retryable;
          if (!error.ambiguous && !rejected) return NOT_DONE;
          if (!q.scope) throw error;
          const scope = q.scope;
          const current = await this.confirm(ctx, error, () =>
            this.readIn(
              ctx,
              'entitlements/list',
              compact({ ...scope, serialNumber: q.serialNumber }),
              parseEntitlements,
            ),
          );
          const entitlement = current.find((e) => e.serialNumber === q.serialNumber);
          if (entitlement?.status === target) {
            this.logger.debug?.(
              `${ctx.operation}: already ${target} (confirmed by re-read after ${error.name})`,
            );
            return { done: true, value: entitlement };
          }
          if (rejected) throw error;
          return NOT_DONE;
        },
      ),
    );
  }

  private createDeduplicated(
    operation: string,
    path: string,
    body: Record<string, unknown>,
    expect: { configId: number; description: string; count: number },
    o: CallOptions | undefined,
  ): Promise<Entitlement[]> {
    return this.run(operation, o, async (ctx) => {
      const listConfig = (): Promise<Entitlement[]> =>
        this.readIn(ctx, 'entitlements/list', { configId: expect.configId }, parseEntitlements);
      const before = new Set((await listConfig()).map((e) => e.serialNumber));
      return this.retrying(
        ctx,
        async () => decode(ctx, await this.send(ctx, path, body), parseEntitlements),
        async (error) => {
          if (!error.ambiguous) return NOT_DONE;
          const after = await this.confirm(ctx, error, listConfig);
          const fresh = after
            .filter((e) => !before.has(e.serialNumber) && e.description === expect.description)
            .sort(
              (a, b) =>
                a.startDate.localeCompare(b.startDate) || a.serialNumber.localeCompare(b.serialNumber),
            );
          if (fresh.length === expect.count) {
            this.logger.debug?.(
              `${ctx.operation}: found ${fresh.length} created entitlement(s) after ${error.name}`,
            );
            return { done: true, value: fresh };
          }
          if (fresh.length === 0) return NOT_DONE;
          throw new FortiFlexError(
            ctx.operation,
            `outcome uncertain after ${error.name} (${error.detail}): found ${fresh.length} new entitlement(s) with this description, expected ${expect.count} (${fresh
              .map((e) => e.serialNumber)
              .join(', ')}); not re-sending to avoid duplicates`,
            { retryable: false, ambiguous: true, cause: error },
          );
        },
      );
    });
  }

  /** Runs a verification read for an ambiguous failure; if the read itself fails, the original error wins. */
  private async confirm<T>(ctx: CallContext, original: FortiFlexError, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof FortiFlexAbortError) throw error;
      this.logger.warn?.(`${ctx.operation}: could not verify the outcome (${errorText(error)})`);
      throw original;
    }
  }

  // ---- machinery ------------------------------------------------------------------------------------------

  /** Sets up the deadline and signals of one operation and scrubs secrets from whatever it throws. */
  private async run<T>(
    operation: string,
    o: CallOptions | undefined,
    body: (ctx: CallContext) => Promise<T>,
  ): Promise<T> {
    const total = new AbortController();
    const timer = setTimeout(() => total.abort(), this.totalTimeoutMs);
    const signal = o?.signal ? AbortSignal.any([o.signal, total.signal]) : total.signal;
    const ctx: CallContext = {
      operation,
      deadline: this.now() + this.totalTimeoutMs,
      signal,
      totalSignal: total.signal,
    };
    try {
      if (o?.signal?.aborted) throw new FortiFlexAbortError(operation);
      return await body(ctx);
    } catch (error) {
      throw this.scrub(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The retry loop shared by every operation; `onFailure` may resolve the operation from a re-read. */
  private async retrying<T>(
    ctx: CallContext,
    attempt: () => Promise<T>,
    onFailure?: (error: FortiFlexError) => Promise<Resolution<T>>,
  ): Promise<T> {
    for (let retry = 0; ; retry += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof FortiFlexError) || error instanceof FortiFlexAbortError) throw error;
        if (onFailure) {
          const resolution = await onFailure(error);
          if (resolution.done) return resolution.value;
        }
        if (!error.retryable || retry >= this.maxRetries) throw error;
        // A server asking for a longer pause than we honour (e.g. the hourly budget is spent) gets no extra
        // request before then: each refused one may count against its error budget too.
        if (
          error instanceof FortiFlexRateLimitError &&
          (error.retryAfterMs ?? 0) > this.backoff.maxRetryAfterMs
        ) {
          throw error;
        }
        const delay = retryDelayMs(retry, error, this.random, this.backoff);
        if (this.now() + delay >= ctx.deadline) throw error;
        this.logger.debug?.(`${ctx.operation}: retry ${retry + 1} in ${delay} ms after ${error.name}`);
        await this.pause(delay, ctx.signal, () => this.interrupted(ctx));
      }
    }
  }

  /**
   * One API request with a valid token: waits for the rate limiter, gets the token, sends it. When the API
   * refuses the token ("Invalid security token." or HTTP 401): a newer token known by now (another call or
   * another process renewed it) is used at once; a refused token that is still the current one is retried
   * as is a few times with backoff (the refusal can be transient, e.g. right after a login), then the shared
   * token is re-read once more, and only then is the token replaced (a login under the shared lock). Bounded:
   * after {@link MAX_TOKEN_REPLACEMENTS} replacements or {@link MAX_TOKEN_REFUSALS} refusals the operation
   * fails with {@link FortiFlexAuthError}.
   */
  private async send(
    ctx: CallContext,
    path: string,
    body: Record<string, unknown>,
    base: string = this.apiUrl,
  ): Promise<Record<string, unknown>> {
    let token = await this.token(ctx, (signal) => this.tokens.getToken(signal));
    let sameTokenRetries = 0;
    let replacements = 0;
    for (let refusals = 1; ; refusals += 1) {
      await this.limiter.acquire(ctx.signal).catch((error: unknown) => {
        // The limiter's wait knows nothing of the operation; name it, and tell a spent budget from an abort.
        throw error instanceof FortiFlexAbortError ? this.interrupted(ctx) : error;
      });
      const raw = await this.post(ctx, base + path, body, {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      });
      const outcome = interpretResponse(ctx.operation, raw, this.now());
      if (outcome.kind === 'ok') return outcome.envelope;
      const refused = (): FortiFlexAuthError =>
        new FortiFlexAuthError(
          ctx.operation,
          replacements > 0
            ? `security token rejected again after ${replacements} fresh login${replacements === 1 ? '' : 's'} (${outcome.detail})`
            : `security token rejected ${refusals} times (${outcome.detail})`,
          { httpStatus: raw.status },
        );
      if (refusals >= MAX_TOKEN_REFUSALS) throw refused();
      const newer = await this.tokens.newerToken(token);
      if (newer !== undefined) {
        token = newer;
        sameTokenRetries = 0;
        continue;
      }
      if (sameTokenRetries < SAME_TOKEN_RETRIES) {
        const delay = retryDelayMs(sameTokenRetries, undefined, this.random, this.backoff);
        sameTokenRetries += 1;
        this.logger.debug?.(
          `${ctx.operation}: security token refused (${outcome.detail}); same token again in ${delay} ms`,
        );
        await this.pause(delay, ctx.signal, () => this.interrupted(ctx));
        continue;
      }
      if (replacements >= MAX_TOKEN_REPLACEMENTS) throw refused();
      replacements += 1;
      sameTokenRetries = 0;
      this.logger.warn?.(`${ctx.operation}: security token rejected (${outcome.detail}); renewing it`);
      const dead = token;
      token = await this.token(ctx, (signal) => this.tokens.replace(dead, signal));
    }
  }

  /** A token from `get`, with login failures re-labelled with the operation that needed the token. */
  private async token(ctx: CallContext, get: (signal: AbortSignal) => Promise<string>): Promise<string> {
    try {
      return await get(ctx.signal);
    } catch (error) {
      if (error instanceof FortiFlexAbortError) {
        // A shared login aborted by another caller's signal is not this caller's abort: let it retry.
        if (!ctx.signal.aborted) {
          throw new FortiFlexError(ctx.operation, 'login interrupted', { retryable: true });
        }
        if (ctx.totalSignal.aborted) throw this.budgetSpent(ctx.operation);
        throw new FortiFlexAbortError(ctx.operation);
      }
      throw relabel(error, ctx.operation);
    }
  }

  private async postAuth(body: Record<string, string>, signal?: AbortSignal): Promise<RawResponse> {
    const ctx: CallContext = {
      operation: 'oauth/token',
      deadline: this.now() + this.attemptTimeoutMs,
      signal: signal ?? new AbortController().signal,
      totalSignal: new AbortController().signal,
    };
    return this.post(ctx, this.authUrl, body, {
      'Content-Type': 'application/json',
      Accept: 'application/json',
    });
  }

  private async post(
    ctx: CallContext,
    url: string,
    body: unknown,
    headers: Record<string, string>,
  ): Promise<RawResponse> {
    const remaining = ctx.deadline - this.now();
    if (remaining <= 0) throw this.budgetSpent(ctx.operation);
    this.fetchImpl ??= this.fetchOption ?? (await loadNodeFetch());
    this.counters.calls += 1;
    return postJson(this.fetchImpl, {
      operation: ctx.operation,
      url,
      headers,
      body,
      timeoutMs: Math.min(this.attemptTimeoutMs, remaining),
      signal: ctx.signal,
      totalSignal: ctx.totalSignal,
      totalTimeoutMs: this.totalTimeoutMs,
    });
  }

  /** Sleeps `ms` unless `signal` fires first, which ends the wait with the error `interrupted` returns. */
  private async pause(ms: number, signal: AbortSignal, interrupted: () => FortiFlexError): Promise<void> {
    if (signal.aborted) throw interrupted();
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(interrupted());
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.sleepFn(ms, signal), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The error for an operation cut short by its signal: the total budget ran out, or the caller aborted. */
  private interrupted(ctx: CallContext): FortiFlexError {
    return ctx.totalSignal.aborted ? this.budgetSpent(ctx.operation) : new FortiFlexAbortError(ctx.operation);
  }

  private budgetSpent(operation: string): FortiFlexTimeoutError {
    return new FortiFlexTimeoutError(operation, `total budget of ${this.totalTimeoutMs} ms used up`, {
      timeoutMs: this.totalTimeoutMs,
    });
  }

  /**
   * Removes every known secret from an error before it leaves the client: every own string property (message,
   * stack, detail, apiMessage, …) of the error and of each error in its `cause` chain.
   */
  private scrub(error: unknown): unknown {
    const seen = new Set<Error>();
    for (
      let current: unknown = error;
      current instanceof Error && !seen.has(current);
      current = current.cause
    ) {
      seen.add(current);
      for (const key of Object.getOwnPropertyNames(current)) {
        const value: unknown = (current as unknown as Record<string, unknown>)[key];
        if (typeof value !== 'string') continue;
        const clean = redactSecrets(value, this.secrets);
        if (clean !== value) Object.defineProperty(current, key, { value: clean });
      }
    }
    return error;
  }
}

/** Wraps the caller's logger so that no line can carry a secret the client has seen (server messages are quoted). */
function redactingLogger(
  logger: FortiFlexClientOptions['logger'],
  secrets: ReadonlySet<string>,
): { debug(m: string): void; warn(m: string): void } {
  return {
    debug: (m) => logger?.debug?.(redactSecrets(m, secrets)),
    warn: (m) => logger?.warn?.(redactSecrets(m, secrets)),
  };
}

/**
 * The v1 base beside a v2 base: `…/ES/api/fortiflex/v2/` → `…/ES/api/flexvm/v1/` (both hang off `ES/api/`).
 */
export function legacyBaseOf(apiUrl: string): string {
  return new URL('../../flexvm/v1/', withTrailingSlash(apiUrl)).toString();
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function describeScope(scope: EntitlementScope): string {
  return 'configId' in scope && scope.configId !== undefined
    ? `config ${scope.configId}`
    : `account ${scope.accountId ?? ''} program ${scope.programSerialNumber ?? ''}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Applies a payload parser, turning shape problems into a {@link FortiFlexResponseError} for the operation. */
function decode<T>(
  ctx: CallContext,
  envelope: Record<string, unknown>,
  parse: (envelope: Record<string, unknown>) => T,
): T {
  try {
    return parse(envelope);
  } catch (error) {
    if (error instanceof PayloadError) {
      // The server answered with success, so the change (if any) happened: not retryable, but ambiguous.
      throw new FortiFlexResponseError(ctx.operation, error.message, {
        httpStatus: 200,
        retryable: false,
        ambiguous: true,
      });
    }
    throw error;
  }
}

function first<T>(ctx: CallContext, items: T[]): T {
  const item = items[0];
  if (item === undefined) {
    throw new FortiFlexResponseError(ctx.operation, 'reply holds no item', {
      httpStatus: 200,
      ambiguous: true,
    });
  }
  return item;
}

/** The one object of an object-or-array payload; a PayloadError when it is missing. */
function single<T>(items: T[]): T {
  const item = items[0];
  if (item === undefined) throw new PayloadError('reply holds no item');
  return item;
}

/** A login failure re-labelled with the API operation that needed the token, keeping its class. */
function relabel(error: unknown, operation: string): unknown {
  if (!(error instanceof FortiFlexError) || error instanceof FortiFlexAbortError) return error;
  // The full message keeps its 'oauth/token:' prefix, so the failing step stays named.
  const detail = `login failed: ${error.message}`;
  const options = { retryable: error.retryable, ambiguous: false, cause: error };
  if (error instanceof FortiFlexAuthError) {
    return new FortiFlexAuthError(operation, detail, {
      cause: error,
      ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
    });
  }
  if (error instanceof FortiFlexTimeoutError)
    return new FortiFlexTimeoutError(operation, detail, { ...options, timeoutMs: error.timeoutMs });
  if (error instanceof FortiFlexNetworkError) {
    return new FortiFlexNetworkError(operation, detail, {
      ...options,
      ...(error.code === undefined ? {} : { code: error.code }),
    });
  }
  if (error instanceof FortiFlexRateLimitError) {
    return new FortiFlexRateLimitError(operation, detail, {
      httpStatus: error.httpStatus,
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    });
  }
  return new FortiFlexError(operation, detail, options);
}
