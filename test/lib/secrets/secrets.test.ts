import type { TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCredentialsProvider,
  createSecretReader,
  CredentialsError,
  SecretReadError,
  type SecretReader,
  SecretValue,
  type CredentialSettings,
} from '../../../src/lib/secrets';
import { startKeyVaultFake, type KeyVaultFake } from '../../support/keyvault-fake';

let vault: KeyVaultFake;
const scopesSeen: string[][] = [];

const clientOptions = {
  disableChallengeResourceVerification: true,
  allowInsecureConnection: true,
  retryOptions: { maxRetries: 0 },
};

function credential(): TokenCredential {
  return {
    getToken: async (scopes) => {
      scopesSeen.push([scopes].flat());
      return { token: vault.token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

function reader(options: { ttlMs?: number; now?: () => number } = {}): SecretReader {
  return createSecretReader({ vaultUrl: vault.url, credential: credential(), clientOptions, ...options });
}

beforeAll(async () => {
  vault = await startKeyVaultFake();
});
afterAll(async () => {
  await vault.stop();
});

describe('createSecretReader against a Key Vault stand-in', () => {
  it('answers the bearer challenge, then reads the secret with the token', async () => {
    vault.setSecret('challenge-secret', 's3cr3t-one');
    const before = vault.challenges();
    expect(await reader().get('challenge-secret')).toBe('s3cr3t-one');
    expect(vault.challenges()).toBe(before + 1);
    expect(vault.requests('challenge-secret')).toBe(2); // unauthenticated probe + authenticated GET
    expect(scopesSeen.at(-1)).toEqual(['https://vault.azure.net/.default']);
  });

  it('serves repeated and concurrent reads from one request', async () => {
    vault.setSecret('cached', 'value-1');
    const r = reader();
    const values = await Promise.all(Array.from({ length: 5 }, () => r.get('cached')));
    expect(values).toEqual(Array(5).fill('value-1'));
    // One challenge probe plus one authenticated GET, shared by all five callers.
    expect(vault.requests('cached')).toBe(2);
    expect(await r.get('cached')).toBe('value-1');
    expect(vault.requests('cached')).toBe(2);
  });

  it('picks up a rotated secret once the TTL has passed', async () => {
    let now = 1_000_000;
    const r = reader({ ttlMs: 60_000, now: () => now });
    vault.setSecret('rotating', 'old-value');
    expect(await r.get('rotating')).toBe('old-value');
    vault.setSecret('rotating', 'new-value');
    now += 59_000;
    expect(await r.get('rotating')).toBe('old-value');
    now += 2_000;
    expect(await r.get('rotating')).toBe('new-value');
  });

  it('picks up a rotated secret immediately after invalidate', async () => {
    const r = reader();
    vault.setSecret('inval', 'before');
    vault.setSecret('other', 'untouched');
    expect(await r.get('inval')).toBe('before');
    expect(await r.get('other')).toBe('untouched');
    vault.setSecret('inval', 'after');
    vault.setSecret('other', 'rotated-too');
    r.invalidate('inval');
    expect(await r.get('inval')).toBe('after');
    expect(await r.get('other')).toBe('untouched'); // only the named secret was dropped
    r.invalidate();
    expect(await r.get('other')).toBe('rotated-too');
  });

  it('does not let a read that started before invalidate put its old value back in the cache', async () => {
    // Holds the first authenticated response of "inflight" until released, after the vault has answered.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let answered!: () => void;
    const firstAnswer = new Promise<void>((resolve) => (answered = resolve));
    let held = false;
    const r = createSecretReader({
      vaultUrl: vault.url,
      credential: credential(),
      clientOptions: {
        ...clientOptions,
        additionalPolicies: [
          {
            position: 'perCall',
            policy: {
              name: 'hold-first-answer',
              async sendRequest(request, next) {
                const response = await next(request);
                if (!held && response.status === 200 && request.url.includes('/secrets/inflight')) {
                  held = true;
                  answered();
                  await gate;
                }
                return response;
              },
            },
          },
        ],
      },
    });
    vault.setSecret('inflight', 'old');
    const early = r.get('inflight');
    await firstAnswer;
    vault.setSecret('inflight', 'new');
    r.invalidate('inflight');
    expect(await r.get('inflight')).toBe('new');
    release();
    expect(await early).toBe('old'); // asked before the rotation was noticed
    const requests = vault.requests('inflight');
    expect(await r.get('inflight')).toBe('new');
    expect(vault.requests('inflight')).toBe(requests); // served from the cache
  });

  it('names the secret and the vault when the secret does not exist', async () => {
    const error = await reader()
      .get('no-such-secret')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretReadError);
    expect((error as SecretReadError).message).toBe(
      `Key Vault secret "no-such-secret" was not found in ${vault.url}`,
    );
    expect(error).toMatchObject({ statusCode: 404, secretName: 'no-such-secret' });
  });

  it('reports a failed token request naming the secret', async () => {
    const broken: TokenCredential = { getToken: async () => null };
    const r = createSecretReader({ vaultUrl: vault.url, credential: broken, clientOptions });
    const error = await r.get('cached').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretReadError);
    expect((error as Error).message).toMatch(
      new RegExp(`^could not read Key Vault secret "cached" from ${vault.url.replace(/\./g, '\\.')}: \\S`),
    );
  });
});

describe('createCredentialsProvider', () => {
  /** Credential settings as the settings loader produces them (default secret names). */
  const settings = (extra: Partial<CredentialSettings> = {}): CredentialSettings => ({
    usernameSecret: 'fortiflex-api-username',
    passwordSecret: 'fortiflex-api-password',
    ...extra,
  });
  const env = (extra: Partial<CredentialSettings>) => settings({ keyVaultUrl: vault.url, ...extra });

  it('reads both secrets from Key Vault (default names) and re-reads them after invalidate', async () => {
    vault.setSecret('fortiflex-api-username', 'api-user-1');
    vault.setSecret('fortiflex-api-password', 'P@ss-1');
    const provider = createCredentialsProvider(env({}), { secretReader: reader() });
    expect(await provider.get()).toEqual({ username: 'api-user-1', password: 'P@ss-1' });
    vault.setSecret('fortiflex-api-password', 'P@ss-2');
    expect((await provider.get()).password).toBe('P@ss-1'); // cached
    provider.invalidate?.();
    expect(await provider.get()).toEqual({ username: 'api-user-1', password: 'P@ss-2' });
  });

  it('uses the secret names from settings and says which secret is missing in which vault', async () => {
    vault.setSecret('ff-user', 'api-user-2');
    vault.setSecret('ff-pass-real', 'TopSecretPassword!');
    const provider = createCredentialsProvider(
      env({ usernameSecret: 'ff-user', passwordSecret: 'ff-pass' }),
      { secretReader: reader() },
    );
    const error = await provider.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    const message = (error as Error).message;
    expect(message).toBe(
      `FortiFlex credentials: Key Vault secret "ff-pass" not found in ${vault.url} — create it, or set FORTIFLEX_PASSWORD_SECRET to the secret's name`,
    );
    expect(message).not.toContain('api-user-2');
    expect(message).not.toContain('TopSecretPassword!');
  });

  it('falls back to FORTIFLEX_ACCESS_USERNAME / FORTIFLEX_ACCESS_PASSWORD without KEY_VAULT_URL', async () => {
    const provider = createCredentialsProvider(
      settings({ accessUsername: new SecretValue('env-user'), accessPassword: new SecretValue('env-pass') }),
    );
    expect(await provider.get()).toEqual({ username: 'env-user', password: 'env-pass' });
  });

  it('says exactly which settings to set when credentials are missing, without echoing values', async () => {
    await expect(createCredentialsProvider(settings()).get()).rejects.toThrow(
      'FortiFlex credentials are not configured: set FORTIFLEX_ACCESS_USERNAME and FORTIFLEX_ACCESS_PASSWORD, ' +
        'or set KEY_VAULT_URL to read them from the Key Vault secrets fortiflex-api-username / fortiflex-api-password',
    );
    const onlyUser = (await createCredentialsProvider(
      settings({ accessPassword: new SecretValue('Hidden-Pa55') }),
    )
      .get()
      .then(
        () => new Error('expected a rejection'),
        (e: unknown) => e,
      )) as Error;
    expect(onlyUser.message).toMatch(
      /^FortiFlex credentials are not configured: set FORTIFLEX_ACCESS_USERNAME,/,
    );
    expect(onlyUser.message).not.toContain('Hidden-Pa55');
  });

  it('rejects an unresolved Key Vault reference instead of sending it as a password', async () => {
    const provider = createCredentialsProvider(
      settings({
        accessUsername: new SecretValue('user'),
        accessPassword: new SecretValue(
          '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/p/)',
        ),
      }),
    );
    await expect(provider.get()).rejects.toThrow(
      /FORTIFLEX_ACCESS_PASSWORD holds an unresolved Key Vault reference/,
    );
  });
});
