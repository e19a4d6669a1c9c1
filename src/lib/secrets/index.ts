/**
 * Secrets: a cached Key Vault reader and the FortiFlex API credentials provider built on it (or on the
 * environment when no vault is configured). Secret values never appear in logs or error messages.
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import type { Credentials, CredentialsProvider } from '../fortiflex';
import type { SecretValue } from './secret-value';

export { SecretValue } from './secret-value';

/** Reads secrets by name, caching values in memory. */
export interface SecretReader {
  /** The current value of secret `name` (cached for the TTL; concurrent calls share one request). */
  get(name: string): Promise<string>;
  /** Drops the cached value of `name` (or every cached value), e.g. after the secret was rejected downstream. */
  invalidate(name?: string): void;
}

/** Options for {@link createSecretReader}. */
export interface SecretReaderOptions {
  vaultUrl: string;
  /** Defaults to `DefaultAzureCredential` (managed identity in Azure; `AZURE_CLIENT_ID` picks a user-assigned one). */
  credential?: TokenCredential;
  /** How long a value is reused before it is read again; default 10 minutes. */
  ttlMs?: number;
  clientOptions?: SecretClientOptions;
  /** Clock for the cache, in ms (tests). */
  now?: () => number;
}

/** A secret could not be read: names the secret and the vault, never the value. */
export class SecretReadError extends Error {
  override readonly name = 'SecretReadError';
  constructor(
    message: string,
    readonly secretName: string,
    readonly vaultUrl: string,
    readonly statusCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** FortiFlex credentials are not configured or cannot be read; the message says what to set. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

/** Default cache lifetime: short enough to pick up a rotation soon, long enough not to be throttled. */
export const DEFAULT_SECRET_TTL_MS = 10 * 60 * 1000;

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** Creates a {@link SecretReader} over one vault, using the real `SecretClient`. */
export function createSecretReader(options: SecretReaderOptions): SecretReader {
  const ttlMs = options.ttlMs ?? DEFAULT_SECRET_TTL_MS;
  const now = options.now ?? Date.now;
  const vaultUrl = options.vaultUrl;
  const client = new SecretClient(vaultUrl, options.credential ?? new DefaultAzureCredential(), {
    ...options.clientOptions,
  });
  const cache = new Map<string, { value: string; expiresAt: number }>();
  const inFlight = new Map<string, Promise<string>>();
  // Bumped by invalidate so a read that started before it cannot repopulate the cache with an old value.
  const generation = new Map<string, number>();
  let allGeneration = 0;
  const genOf = (name: string): string => `${allGeneration}:${generation.get(name) ?? 0}`;

  async function fetchSecret(name: string): Promise<string> {
    try {
      const secret = await client.getSecret(name);
      if (secret.value === undefined) {
        throw new SecretReadError(`Key Vault secret "${name}" in ${vaultUrl} has no value`, name, vaultUrl);
      }
      if (secret.properties.enabled === false) {
        throw new SecretReadError(`Key Vault secret "${name}" in ${vaultUrl} is disabled`, name, vaultUrl);
      }
      return secret.value;
    } catch (error) {
      if (error instanceof SecretReadError) throw error;
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404) {
        throw new SecretReadError(
          `Key Vault secret "${name}" was not found in ${vaultUrl}`,
          name,
          vaultUrl,
          status,
          { cause: error },
        );
      }
      if (status === 401 || status === 403) {
        throw new SecretReadError(
          `access to Key Vault secret "${name}" in ${vaultUrl} was denied (HTTP ${status}) — grant the app identity "Key Vault Secrets User" on the vault`,
          name,
          vaultUrl,
          status,
          { cause: error },
        );
      }
      throw new SecretReadError(
        `could not read Key Vault secret "${name}" from ${vaultUrl}: ${firstLine(error)}`,
        name,
        vaultUrl,
        status,
        { cause: error },
      );
    }
  }

  return {
    get(name: string): Promise<string> {
      const cached = cache.get(name);
      if (cached && cached.expiresAt > now()) return Promise.resolve(cached.value);
      const pending = inFlight.get(name);
      if (pending) return pending;
      const startedGen = genOf(name);
      const request = fetchSecret(name)
        .then((value) => {
          if (genOf(name) === startedGen) cache.set(name, { value, expiresAt: now() + ttlMs });
          return value;
        })
        .finally(() => {
          if (inFlight.get(name) === request) inFlight.delete(name);
        });
      inFlight.set(name, request);
      return request;
    },
    invalidate(name?: string): void {
      if (name === undefined) {
        cache.clear();
        inFlight.clear();
        allGeneration += 1;
        return;
      }
      cache.delete(name);
      inFlight.delete(name);
      generation.set(name, (generation.get(name) ?? 0) + 1);
    },
  };
}

/** Where the FortiFlex API credentials come from (the app's settings satisfy it). */
export interface CredentialSettings {
  /** With a vault, the credentials are the two secrets named below. */
  keyVaultUrl?: string;
  usernameSecret: string;
  passwordSecret: string;
  /** Without a vault: `FORTIFLEX_ACCESS_USERNAME` / `FORTIFLEX_ACCESS_PASSWORD`. */
  accessUsername?: SecretValue;
  accessPassword?: SecretValue;
}

/**
 * The FortiFlex API credentials for this process. With `keyVaultUrl` they come from the Key Vault secrets
 * named by `usernameSecret` / `passwordSecret` (settings `FORTIFLEX_USERNAME_SECRET` /
 * `FORTIFLEX_PASSWORD_SECRET`), cached, and re-read after `invalidate()` (call it when FortiFlex rejects them,
 * to pick up a rotation). Otherwise the environment pair `FORTIFLEX_ACCESS_USERNAME` /
 * `FORTIFLEX_ACCESS_PASSWORD`. `get()` rejects with a {@link CredentialsError} naming what to set.
 */
export function createCredentialsProvider(
  settings: CredentialSettings,
  overrides: { secretReader?: SecretReader } = {},
): CredentialsProvider {
  const { keyVaultUrl: vaultUrl, usernameSecret, passwordSecret } = settings;
  if (vaultUrl === undefined) return environmentProvider(settings, `${usernameSecret} / ${passwordSecret}`);
  let reader = overrides.secretReader;
  // Built on first use so that a CLI that never calls FortiFlex never constructs a credential.
  const readerOf = (): SecretReader => (reader ??= createSecretReader({ vaultUrl }));
  const settingFor = (name: string): string =>
    name === usernameSecret ? 'FORTIFLEX_USERNAME_SECRET' : 'FORTIFLEX_PASSWORD_SECRET';

  return {
    async get(): Promise<Credentials> {
      const read = (name: string): Promise<string> =>
        readerOf()
          .get(name)
          .catch((error: unknown) => {
            if (error instanceof SecretReadError && error.statusCode === 404) {
              throw new CredentialsError(
                `FortiFlex credentials: Key Vault secret "${name}" not found in ${vaultUrl} — create it, or set ${settingFor(name)} to the secret's name`,
                { cause: error },
              );
            }
            throw new CredentialsError(`FortiFlex credentials: ${firstLine(error)}`, { cause: error });
          });
      const [username, password] = await Promise.all([read(usernameSecret), read(passwordSecret)]);
      return { username, password };
    },
    invalidate(): void {
      readerOf().invalidate(usernameSecret);
      readerOf().invalidate(passwordSecret);
    },
  };
}

function environmentProvider(settings: CredentialSettings, vaultSecrets: string): CredentialsProvider {
  return {
    async get(): Promise<Credentials> {
      const username = settings.accessUsername?.reveal();
      const password = settings.accessPassword?.reveal();
      const missing = [
        ...(username === undefined ? ['FORTIFLEX_ACCESS_USERNAME'] : []),
        ...(password === undefined ? ['FORTIFLEX_ACCESS_PASSWORD'] : []),
      ];
      if (missing.length > 0) {
        throw new CredentialsError(
          `FortiFlex credentials are not configured: set ${missing.join(' and ')}, or set KEY_VAULT_URL to read them ` +
            `from the Key Vault secrets ${vaultSecrets}`,
        );
      }
      const unresolved = (
        [
          ['FORTIFLEX_ACCESS_USERNAME', username],
          ['FORTIFLEX_ACCESS_PASSWORD', password],
        ] as const
      ).filter(([, value]) => /^@Microsoft\.KeyVault\(/i.test(value!));
      if (unresolved.length > 0) {
        throw new CredentialsError(
          `FortiFlex credentials: ${unresolved.map(([name]) => name).join(' and ')} ${unresolved.length > 1 ? 'hold' : 'holds'} an unresolved Key Vault reference — check the reference and the app identity's access to the vault`,
        );
      }
      return { username: username!, password: password! };
    },
    // Environment values cannot rotate under a running process; nothing to drop.
    invalidate(): void {},
  };
}
