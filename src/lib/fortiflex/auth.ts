/**
 * Token manager: the whole OAuth token lifecycle of the FortiFlex client, hidden from callers.
 *
 * - Obtains a token on first use and reuses it until `expires_in` minus a skew.
 * - One login in flight at a time, however many calls wait on it: FortiFlex allows one active token per API
 *   user, so two parallel logins would invalidate each other's tokens.
 * - Uses the refresh_token grant when it holds a refresh token and falls back to the password grant.
 * - `invalidate(token)` drops a token the API rejected, but only if it is still the current one, so that N
 *   calls failing with the same stale token cause exactly one re-login.
 * - On a credentials rejection it calls `credentials.invalidate()` (secrets may have been rotated) and tries
 *   once more if the re-read credentials differ.
 */
import { FortiFlexAuthError, FortiFlexError, redactSecrets } from './errors';
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

/** A held access token. */
export interface AccessToken {
  accessToken: string;
  refreshToken: string | undefined;
  /** Epoch ms from which the token is renewed instead of used: `expires_in` minus the skew. */
  expiresAt: number;
}

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
}

const OPERATION = 'oauth/token';

/** See the module comment. */
export class TokenManager {
  private current: AccessToken | undefined;
  private inflight: Promise<AccessToken> | undefined;

  constructor(private readonly deps: TokenManagerDeps) {}

  /** The current access token, logging in first when there is none or it is about to expire. */
  async getToken(signal?: AbortSignal): Promise<string> {
    const token = this.current;
    if (token && this.deps.now() < token.expiresAt) return token.accessToken;
    this.inflight ??= this.login(token?.refreshToken, signal).finally(() => {
      this.inflight = undefined;
    });
    return (await this.inflight).accessToken;
  }

  /** Forgets `accessToken` if it is still the current token (the API rejected it). */
  invalidate(accessToken: string): void {
    if (this.current?.accessToken === accessToken) {
      // Keep the refresh token: the refresh grant may still work for an expired or replaced access token.
      this.current = { ...this.current, expiresAt: 0 };
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
    this.current = token;
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

function passwordGrant(credentials: Credentials): Record<string, string> {
  return {
    username: credentials.username,
    password: credentials.password,
    client_id: FORTIFLEX_CLIENT_ID,
    grant_type: 'password',
  };
}
