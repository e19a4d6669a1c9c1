/**
 * One FortiFlex session for every process of the app. FortiFlex keeps one active access token per API user
 * (a new login invalidates the previous token), and the timer, the queue worker, the HTTP
 * functions and operators' CLI runs are separate processes: if each logged in on its own they would keep
 * invalidating one another. So the current token is kept in shared storage ({@link SharedTokenStore}); every
 * process uses it, and a process that needs a new one takes the store's short renewal lock, re-reads (someone
 * may just have logged in), and only then logs in and publishes.
 *
 * The token is a secret, so the store only ever sees it sealed ({@link sealToken}): AES-256-GCM with a key
 * derived by HKDF-SHA256 from the API user's password, which every process of the app has and the storage
 * does not. A reader of the blob without the credentials learns nothing; a rotated password simply makes the
 * old blob unreadable (it is then replaced by the next login). The password is a long random string issued by
 * FortiCloud, not a human password, so a fast KDF is enough. The blob name is derived from the username (and
 * the auth server) by a one-way hash, so it does not reveal the API user either.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Credentials } from './auth';

/** A published token as read back: the sealed text and the blob's version (ETag). */
export interface SharedTokenRecord {
  value: string;
  etag: string;
}

/** The exclusive right to publish a new token, held for a short time (a blob lease). */
export interface SharedTokenLock {
  /** Publishes `value` (the sealed token) while the lock is held. */
  write(value: string): Promise<void>;
  /** Frees the lock; a no-op when it was lost. */
  release(): Promise<void>;
}

/** Where the processes of one app share their FortiFlex token (implemented over a blob in `lib/state`). */
export interface SharedTokenStore {
  /** The published token under `key`, or undefined when none has been published. */
  read(key: string): Promise<SharedTokenRecord | undefined>;
  /** Takes the renewal lock of `key`; null when another process holds it. */
  lock(key: string): Promise<SharedTokenLock | null>;
}

/** A token as the processes share it. Epoch milliseconds. */
export interface SharedToken {
  accessToken: string;
  refreshToken: string | undefined;
  /** From this instant on the token is renewed instead of used. */
  expiresAt: number;
}

const FORMAT = 'A256GCM-HKDF-SHA256';
const INFO = Buffer.from('fortiflex-scaler shared token v1');

/**
 * The store key of an API user's token at one auth server: a one-way digest of both (a token is good only
 * for the server that issued it, so a test simulator and production never share one).
 */
export function sharedTokenKey(username: string, authUrl: string): string {
  const digest = createHash('sha256').update(`fortiflex-scaler|${authUrl}|${username}`).digest('hex');
  return `fortiflex-token-${digest.slice(0, 32)}`;
}

function keyFor(credentials: Credentials, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', credentials.password, salt, INFO, 32));
}

/** Additional authenticated data: binds a sealed token to the API user it belongs to. */
function aadFor(credentials: Credentials): Buffer {
  return createHash('sha256').update(credentials.username).digest();
}

/** Seals `token` for the store: JSON with the salt, IV, GCM tag and ciphertext, all base64. */
export function sealToken(token: SharedToken, credentials: Credentials): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(credentials, salt), iv);
  cipher.setAAD(aadFor(credentials));
  const plain = Buffer.from(JSON.stringify(token));
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return JSON.stringify({
    format: FORMAT,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  });
}

/**
 * Opens a sealed token; undefined when it is not one, was sealed with other credentials (e.g. before a
 * password rotation) or was tampered with.
 */
export function openToken(value: string, credentials: Credentials): SharedToken | undefined {
  try {
    const sealed = JSON.parse(value) as Record<string, unknown>;
    if (sealed.format !== FORMAT) return undefined;
    const part = (name: string): Buffer => Buffer.from(String(sealed[name]), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', keyFor(credentials, part('salt')), part('iv'));
    decipher.setAAD(aadFor(credentials));
    decipher.setAuthTag(part('tag'));
    const plain = Buffer.concat([decipher.update(part('data')), decipher.final()]).toString('utf8');
    const token = JSON.parse(plain) as Partial<SharedToken>;
    if (typeof token.accessToken !== 'string' || typeof token.expiresAt !== 'number') return undefined;
    return {
      accessToken: token.accessToken,
      refreshToken: typeof token.refreshToken === 'string' ? token.refreshToken : undefined,
      expiresAt: token.expiresAt,
    };
  } catch {
    return undefined;
  }
}
