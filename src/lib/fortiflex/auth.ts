/**
 * Token manager: the whole OAuth token lifecycle of the FortiFlex client, hidden from callers.
 *
 * - Obtains a token on first use and reuses it until `expires_in` minus a skew.
 * - One login in flight at a time per process, however many calls wait on it: FortiFlex allows one active
 *   token per API user, so two parallel logins would invalidate each other's tokens.
 * - With a {@link SharedTokenStore}, one token for every process (see `shared-token.ts`): the shared token is
 *   used first; a process that needs a new one takes the store's renewal lock, re-reads, and only then logs
 *   in and publishes; processes that find the lock taken re-read instead of logging in. Without a store the
 *   token is process-local (CLI commands that have no storage configured).
 * - Uses the refresh_token grant when it holds a refresh token and falls back to the password grant.
 * - `replace(token)` renews a token the API rejected for good, but only if it is still the current one, so
 *   that N calls failing with the same stale token cause exactly one re-login.
 * - On a credentials rejection it calls `credentials.invalidate()` (secrets may have been rotated) and tries
 *   once more if the re-read credentials differ.
 */
import { FortiFlexAuthError, FortiFlexError, redactSecrets } from './errors';
import {
  openToken,
  sealToken,
  sharedTokenKey,
  type SharedToken,
  type SharedTokenStore,
} from './shared-token';
import type { RawResponse } from './transport';

/** API user credentials. */
export interface Credentials {
  username: string;
  password: string;
}

/** Supplies credentials; `invalidate` is called after an auth rejection so rotated secrets are re-read. */
export interface CredentialsProvider {
  get(): Promise<Credentials>;
  invalidate?(): void;
}

/** A held access token; `expiresAt` (epoch ms) is `expires_in` minus the skew. */
export type AccessToken = SharedToken;

/** OAuth client id of FortiFlex (the product's former name). */
export const FORTIFLEX_CLIENT_ID = 'flexvm';

/** Token reuse margin before `expires_in` runs out (at most half the lifetime, for very short-lived tokens). */
export const TOKEN_EXPIRY_SKEW_MS = 60_000;

/** Dependencies of the token manager; `post` performs one auth-server request (with retries if it likes). */
export interface TokenManagerDeps {
  credentials: CredentialsProvider;
  now: () => number;
  post: (body: Record<string, string>, signal?: AbortSignal) => Promise<RawResponse>;
  /** Called with every secret the manager sees, so the client can redact them from any message. */
  rememberSecret: (secret: string) => void;
  onLogin?: () => void;
  logger?: { debug?(m: string): void; warn?(m: string): void };
  /** Shares the token with the app's other processes; process-local when absent. */
  shared?: SharedTokenStore;
  /** The auth server's URL: shared tokens are kept per server and API user. */
  authUrl?: string;
  /** Waits between re-reads while another process renews the shared token. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
}

const OPERATION = 'oauth/token';

/**
 * Re-reads of the shared token while another process holds the renewal lock: 40 waits of 100 ms growing
 * to 1 s (about 30 s in all, twice the 15 s lock a crashed holder leaves behind), then give up.
 */
const LOCK_WAITS = 40;
const LOCK_WAIT_BASE_MS = 100;
const LOCK_WAIT_MAX_MS = 1_000;

/** See the module comment. */
export class TokenManager {
  private current: AccessToken | undefined;
  private inflight: Promise<AccessToken> | undefined;
  /** The last shared record opened, by ETag, so an unchanged blob is not decrypted again. */
  private opened: { etag: string; token: AccessToken | undefined } | undefined;

  constructor(private readonly deps: TokenManagerDeps) {}

  /**
   * The current access token: the process's own while it is valid, else the shared one, else a new one
   * (logged in under the shared renewal lock when there is a store).
   */
  async getToken(signal?: AbortSignal): Promise<string> {
    const token = this.current;
    if (token && this.usable(token)) return token.accessToken;
    return (await this.renew(token?.accessToken, signal)).accessToken;
  }

  /**
   * After the API rejected `accessToken`: a different valid token if one is known now (another call of
   * this process, or another process, has renewed it meanwhile), else undefined.
   */
  async newerToken(accessToken: string): Promise<string | undefined> {
    const local = this.current;
    if (local && local.accessToken !== accessToken && this.usable(local)) return local.accessToken;
    if (!this.deps.shared) return undefined;
    const shared = await this.readShared();
    if (shared && shared.accessToken !== accessToken && this.usable(shared)) {
      this.current = shared;
      return shared.accessToken;
    }
    return undefined;
  }

  /**
   * Treats `accessToken` as dead and returns its replacement: another token already known, or a new one
   * (one renewal in flight per process; under the shared lock across processes).
   */
  async replace(accessToken: string, signal?: AbortSignal): Promise<string> {
    if (this.current?.accessToken === accessToken) {
      // Keep the refresh token: the refresh grant may still work for an expired or replaced access token.
      this.current = { ...this.current, expiresAt: 0 };
    }
    return this.getToken(signal);
  }

  private usable(token: AccessToken): boolean {
    return this.deps.now() < token.expiresAt;
  }

  /** One renewal in flight per process; `stale` is the token being replaced (never taken back). */
  private renew(stale: string | undefined, signal?: AbortSignal): Promise<AccessToken> {
    this.inflight ??= (
      this.deps.shared ? this.renewShared(stale, signal) : this.login(this.current?.refreshToken, signal)
    )
      .then((token) => (this.current = token))
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  /**
   * Shared mode: use a published token that is not `stale`; otherwise take the renewal lock, re-read, and
   * only then log in and publish. While another process holds the lock, wait and re-read.
   */
  private async renewShared(stale: string | undefined, signal?: AbortSignal): Promise<AccessToken> {
    const store = this.deps.shared!;
    const key = sharedTokenKey((await this.readCredentials()).username, this.deps.authUrl ?? '');
    // Not a type guard: a published token that is not fresh still lends its refresh token.
    const fresh = (token: AccessToken | undefined): boolean =>
      token !== undefined && token.accessToken !== stale && this.usable(token);
    for (let wait = 0; ; wait += 1) {
      const published = await this.readShared();
      if (published && fresh(published)) return published;
      let lock: Awaited<ReturnType<SharedTokenStore['lock']>>;
      try {
        lock = await store.lock(key);
      } catch (error) {
        // Availability beats the one-token rule: without the lock this process logs in on its own.
        this.deps.logger?.warn?.(
          `oauth/token: shared token lock unavailable (${describe(error)}); logging in`,
        );
        return this.login(published?.refreshToken ?? this.current?.refreshToken, signal);
      }
      if (lock) {
        try {
          const again = await this.readShared();
          if (again && fresh(again)) return again;
          const token = await this.login(again?.refreshToken ?? this.current?.refreshToken, signal);
          try {
            await lock.write(sealToken(token, await this.readCredentials()));
          } catch (error) {
            this.deps.logger?.warn?.(`oauth/token: could not publish the new token (${describe(error)})`);
          }
          return token;
        } finally {
          await lock.release().catch(() => undefined);
        }
      }
      if (wait >= LOCK_WAITS) {
        throw new FortiFlexAuthError(
          OPERATION,
          'another process holds the shared token lock and published no new token in time',
        );
      }
      const ceiling = Math.min(LOCK_WAIT_MAX_MS, LOCK_WAIT_BASE_MS * 1.5 ** wait);
      await (this.deps.sleep ?? defaultSleep)(
        ceiling / 2 + Math.floor((this.deps.random ?? Math.random)() * (ceiling / 2)),
        signal,
      );
      if (signal?.aborted)
        throw new FortiFlexAuthError(OPERATION, 'aborted while waiting for the shared token');
    }
  }

  /** The published token, opened with the current credentials; undefined when absent, unreadable or foreign. */
  private async readShared(): Promise<AccessToken | undefined> {
    const store = this.deps.shared;
    if (!store) return undefined;
    try {
      const credentials = await this.readCredentials();
      const record = await store.read(sharedTokenKey(credentials.username, this.deps.authUrl ?? ''));
      if (!record) return undefined;
      if (this.opened?.etag !== record.etag) {
        const token = openToken(record.value, credentials);
        if (token) {
          this.deps.rememberSecret(token.accessToken);
          if (token.refreshToken) this.deps.rememberSecret(token.refreshToken);
        }
        this.opened = { etag: record.etag, token };
      }
      return this.opened.token;
    } catch (error) {
      if (error instanceof FortiFlexAuthError) throw error;
      this.deps.logger?.warn?.(`oauth/token: shared token unreadable (${describe(error)})`);
      return undefined;
    }
  }

  private async login(refreshToken: string | undefined, signal?: AbortSignal): Promise<AccessToken> {
    if (refreshToken) {
      try {
        return this.accept(
          await this.request(
            { client_id: FORTIFLEX_CLIENT_ID, grant_type: 'refresh_token', refresh_token: refreshToken },
            signal,
          ),
        );
      } catch (error) {
        if (!(error instanceof FortiFlexAuthError)) throw error;
        this.deps.logger?.debug?.('oauth/token: refresh grant refused; logging in with the password grant');
      }
    }
    let credentials = await this.readCredentials();
    try {
      return this.accept(await this.request(passwordGrant(credentials), signal));
    } catch (error) {
      if (!(error instanceof FortiFlexAuthError)) throw error;
      // The secret may have been rotated since we read it: re-read once and retry if it changed.
      this.deps.credentials.invalidate?.();
      const fresh = await this.readCredentials();
      if (fresh.username === credentials.username && fresh.password === credentials.password) throw error;
      credentials = fresh;
      this.deps.logger?.warn?.('oauth/token: credentials rejected; retrying with re-read credentials');
      try {
        return this.accept(await this.request(passwordGrant(credentials), signal));
      } catch (second) {
        if (second instanceof FortiFlexAuthError) this.deps.credentials.invalidate?.();
        throw second;
      }
    }
  }

  private async readCredentials(): Promise<Credentials> {
    let credentials: Credentials;
    try {
      credentials = await this.deps.credentials.get();
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new FortiFlexAuthError(OPERATION, `cannot read credentials: ${detail}`);
    }
    this.deps.rememberSecret(credentials.password);
    this.deps.rememberSecret(credentials.username);
    return credentials;
  }

  private accept(token: AccessToken): AccessToken {
    this.deps.onLogin?.();
    return token;
  }

  /** One token request; classifies the reply into a token or a {@link FortiFlexAuthError}. */
  private async request(body: Record<string, string>, signal?: AbortSignal): Promise<AccessToken> {
    const response = await this.deps.post(body, signal);
    let parsed: Record<string, unknown> = {};
    try {
      const value: unknown = JSON.parse(response.text);
      if (value && typeof value === 'object') parsed = value as Record<string, unknown>;
    } catch {
      parsed = {};
    }
    const ok = response.status >= 200 && response.status < 300;
    const accessToken = typeof parsed.access_token === 'string' ? parsed.access_token : undefined;
    if (ok && accessToken) {
      const refresh = typeof parsed.refresh_token === 'string' ? parsed.refresh_token : undefined;
      this.deps.rememberSecret(accessToken);
      if (refresh) this.deps.rememberSecret(refresh);
      const expiresIn = Number(parsed.expires_in);
      // 3600 s is the fallback Fortinet's own Postman collection uses when expires_in is missing.
      const lifetimeMs = (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600) * 1000;
      // Without the cap, a lifetime shorter than the skew would make every call log in again.
      const skewMs = Math.min(TOKEN_EXPIRY_SKEW_MS, lifetimeMs / 2);
      return { accessToken, refreshToken: refresh, expiresAt: this.deps.now() + lifetimeMs - skewMs };
    }
    if (response.status >= 500) {
      throw new FortiFlexError(OPERATION, `auth server error (HTTP ${response.status})`, {
        retryable: true,
        ambiguous: true,
      });
    }
    if (response.status === 429) {
      throw new FortiFlexError(OPERATION, 'auth server rate limit (HTTP 429)', { retryable: true });
    }
    // Only the server's error code and description are quoted; both are fixed strings, never credentials.
    const reason = [parsed.error, parsed.error_description, parsed.message]
      .filter((part): part is string => typeof part === 'string' && part.length > 0)
      .slice(0, 2)
      .join(': ');
    // Some auth servers echo the submitted fields back; never let them into the message.
    const safeReason = redactSecrets(
      reason,
      [body.username, body.password, body.refresh_token].filter((v): v is string => !!v),
    );
    throw new FortiFlexAuthError(
      OPERATION,
      `${body.grant_type === 'refresh_token' ? 'refresh token' : 'credentials'} rejected (HTTP ${response.status}${safeReason ? `, ${safeReason}` : ''})`,
      { httpStatus: response.status },
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

function passwordGrant(credentials: Credentials): Record<string, string> {
  return {
    username: credentials.username,
    password: credentials.password,
    client_id: FORTIFLEX_CLIENT_ID,
    grant_type: 'password',
  };
}
