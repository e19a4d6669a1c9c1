/**
 * The OAuth token endpoint: password and refresh_token grants for client_id "flexvm",
 * 30-character alphanumeric tokens, `expires_in` 3660 by default measured on the simulated clock, and
 * (by default) one active token per API user: a new token invalidates the user's older ones. Refresh tokens
 * rotate: each is good for one refresh, which issues a new refresh token with the new access token.
 * Optionally a freshly issued token is refused once, as FortiFlex has been seen to do right after a login
 * (the vendor tools resend on "Invalid security token." before logging in again).
 */
import { randomInt } from 'node:crypto';
import type { SimClock } from './clock';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function opaqueToken(): string {
  let token = '';
  for (let i = 0; i < 30; i += 1) token += ALPHABET[randomInt(ALPHABET.length)];
  return token;
}

/** What the token endpoint answers: HTTP status and JSON body. */
export interface AuthReply {
  status: number;
  body: Record<string, unknown>;
}

interface IssuedToken {
  username: string;
  expiresAt: number;
}

const oauthError = (error: string, description: string): AuthReply => ({
  status: 400,
  body: { error, error_description: description },
});

/** Issues, refreshes, revokes and verifies tokens for the seeded users. */
export class AuthService {
  private readonly accessTokens = new Map<string, IssuedToken>();
  private readonly refreshTokens = new Map<string, string>();
  /** Issued access tokens not yet presented, when fresh tokens are refused once. */
  private readonly unseen = new Set<string>();

  constructor(
    private readonly users: ReadonlyArray<{ username: string; password: string }>,
    private readonly clock: SimClock,
    private readonly ttlSeconds: number,
    private readonly invalidatePrevious: boolean,
    private readonly refuseFreshOnce = false,
  ) {}

  /** Forgets every access and refresh token, as a login with another tool would (forced invalidation). */
  invalidateAll(): void {
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.unseen.clear();
  }

  /** Handles a token request body (JSON or form fields already decoded). */
  token(fields: Record<string, unknown>): AuthReply {
    if (fields.client_id !== 'flexvm')
      return oauthError('invalid_client', 'Invalid client_id; expected "flexvm".');
    if (fields.grant_type === 'password') {
      const user = this.users.find((u) => u.username === fields.username && u.password === fields.password);
      if (!user) return oauthError('invalid_grant', 'Invalid credentials given.');
      return this.issue(user.username);
    }
    if (fields.grant_type === 'refresh_token') {
      const username =
        typeof fields.refresh_token === 'string' ? this.refreshTokens.get(fields.refresh_token) : undefined;
      if (!username) return oauthError('invalid_grant', 'Invalid refresh token.');
      this.refreshTokens.delete(fields.refresh_token as string);
      return this.issue(username);
    }
    return oauthError('unsupported_grant_type', 'grant_type must be "password" or "refresh_token".');
  }

  /** Revokes an access or refresh token (`revoke_token`). */
  revoke(fields: Record<string, unknown>): AuthReply {
    if (typeof fields.token === 'string') {
      this.accessTokens.delete(fields.token);
      this.refreshTokens.delete(fields.token);
    }
    return { status: 200, body: { status: 'success', message: 'token revoked' } };
  }

  /** The user owning a valid, unexpired access token, or undefined. */
  verify(accessToken: string | undefined): string | undefined {
    if (!accessToken) return undefined;
    const issued = this.accessTokens.get(accessToken);
    if (!issued || this.clock.nowMs() >= issued.expiresAt) return undefined;
    if (this.unseen.delete(accessToken)) return undefined; // refused once, valid from now on
    return issued.username;
  }

  private issue(username: string): AuthReply {
    // Expired access tokens can never verify again: drop them so the table stays as small as the live set.
    const now = this.clock.nowMs();
    for (const [token, issued] of this.accessTokens)
      if (now >= issued.expiresAt) this.accessTokens.delete(token);
    if (this.invalidatePrevious) {
      for (const [token, issued] of this.accessTokens) {
        if (issued.username === username) {
          this.accessTokens.delete(token);
          this.unseen.delete(token);
        }
      }
      for (const [token, owner] of this.refreshTokens)
        if (owner === username) this.refreshTokens.delete(token);
    }
    const accessToken = opaqueToken();
    const refreshToken = opaqueToken();
    this.accessTokens.set(accessToken, { username, expiresAt: now + this.ttlSeconds * 1000 });
    if (this.refuseFreshOnce) this.unseen.add(accessToken);
    this.refreshTokens.set(refreshToken, username);
    return {
      status: 200,
      body: {
        access_token: accessToken,
        expires_in: this.ttlSeconds,
        token_type: 'Bearer',
        scope: 'read write',
        refresh_token: refreshToken,
        message: 'successfully authenticated',
        status: 'success',
      },
    };
  }
}
