import { describe, expect, it } from 'vitest';
import { loadSettings, SETTING_NAMES, SettingsError } from '../../src/app/settings';

const minimal = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as Error).message.split('\n');
  }
  throw new Error('expected a SettingsError');
}

describe('loadSettings', () => {
  it('applies the documented defaults and freezes the result', () => {
    const settings = loadSettings(minimal);
    expect(settings).toEqual({
      fortiflexApiUrl: 'https://support.fortinet.com/ES/api/fortiflex/v2/',
      fortiflexAuthUrl: 'https://customerapiauth.fortinet.com/api/v1/oauth/token/',
      usernameSecret: 'fortiflex-api-username',
      passwordSecret: 'fortiflex-api-password',
      policyPath: 'scaler.policy.yaml',
      forceDryRun: false,
      schedule: '0 */5 * * * *',
      storage: { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' },
      managedIdentity: false,
    });
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.storage)).toBe(true);
  });

  it('reads every setting, treating empty values (local.settings.json) as unset', () => {
    const settings = loadSettings({
      FORTIFLEX_API_URL: 'http://127.0.0.1:8080/ES/api/fortiflex/v2/',
      FORTIFLEX_AUTH_URL: 'http://127.0.0.1:8080/api/v1/oauth/token/',
      KEY_VAULT_URL: 'https://kv-scaler.vault.azure.net/',
      FORTIFLEX_USERNAME_SECRET: 'ff-user',
      FORTIFLEX_PASSWORD_SECRET: 'ff-pass',
      SCALER_POLICY_PATH: '/home/site/policy.yaml',
      SCALER_POLICY: 'mode: dryRun',
      SCALER_DRY_RUN: 'TRUE',
      SCALER_SCHEDULE: '0 0 * * * *',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      WEBHOOK_HMAC_SECRET: 'webhook-hmac',
      FORTIFLEX_ACCESS_USERNAME: '',
    });
    expect(settings).toMatchObject({
      fortiflexApiUrl: 'http://127.0.0.1:8080/ES/api/fortiflex/v2/',
      keyVaultUrl: 'https://kv-scaler.vault.azure.net/',
      usernameSecret: 'ff-user',
      passwordSecret: 'ff-pass',
      policyPath: '/home/site/policy.yaml',
      policyInline: 'mode: dryRun',
      forceDryRun: true,
      schedule: '0 0 * * * *',
      webhookHmacSecret: 'webhook-hmac',
    });
    expect(loadSettings({ ...minimal, KEY_VAULT_URL: '', SCALER_POLICY: ' ' })).not.toHaveProperty(
      'keyVaultUrl',
    );
  });

  it('builds identity storage from the account name or explicit service URIs', () => {
    expect(
      loadSettings({
        AzureWebJobsStorage__accountName: 'stscaler01',
        AzureWebJobsStorage__clientId: 'abc-123',
      }).storage,
    ).toEqual({
      kind: 'identity',
      blobServiceUri: 'https://stscaler01.blob.core.windows.net',
      queueServiceUri: 'https://stscaler01.queue.core.windows.net',
      tableServiceUri: 'https://stscaler01.table.core.windows.net',
      clientId: 'abc-123',
    });
    expect(
      loadSettings({
        AzureWebJobsStorage__blobServiceUri: 'https://b.example.net',
        AzureWebJobsStorage__queueServiceUri: 'https://q.example.net',
        AzureWebJobsStorage__tableServiceUri: 'https://t.example.net',
        AzureWebJobsStorage__credential: 'managedidentity',
      }).storage,
    ).toEqual({
      kind: 'identity',
      blobServiceUri: 'https://b.example.net',
      queueServiceUri: 'https://q.example.net',
      tableServiceUri: 'https://t.example.net',
    });
  });

  it('lists every bad setting on its own line with the accepted form', () => {
    expect(
      problems({
        FORTIFLEX_API_URL: 'ftp://example.com/',
        FORTIFLEX_AUTH_URL: 'not a url',
        SCALER_DRY_RUN: 'yes',
        SCALER_SCHEDULE: '*/5 * * * *',
        FORTIFLEX_USERNAME_SECRET: 'bad_name!',
      }),
    ).toEqual([
      'FORTIFLEX_API_URL: "ftp://example.com/" is not a URL; expected an https URL (http only to a loopback address), e.g. https://support.fortinet.com/ES/api/fortiflex/v2/',
      'FORTIFLEX_AUTH_URL: "not a url" is not a URL; expected an https URL (http only to a loopback address), e.g. https://customerapiauth.fortinet.com/api/v1/oauth/token/',
      'FORTIFLEX_USERNAME_SECRET: "bad_name!" — expected a Key Vault secret name (1-127 letters, digits and dashes)',
      'SCALER_DRY_RUN: "yes" — expected true or false',
      'SCALER_SCHEDULE: "*/5 * * * *" — expected an NCRONTAB expression with 6 fields "{second} {minute} {hour} {day} {month} {day-of-week}", e.g. "0 */5 * * * *"',
      'AzureWebJobsStorage: not set — expected a storage connection string ("UseDevelopmentStorage=true" locally) or AzureWebJobsStorage__accountName (or __blobServiceUri, __queueServiceUri and __tableServiceUri) for a managed identity',
    ]);
  });

  it('never echoes values of settings that can hold secrets', () => {
    const lines = problems({
      AzureWebJobsStorage: 'AccountName=x;AccountKey', // malformed: key without value
      FORTIFLEX_ACCESS_USERNAME: 'someone',
      FORTIFLEX_ACCESS_PASSWORD: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/pw/)',
    });
    expect(lines).toEqual([
      'FORTIFLEX_ACCESS_PASSWORD: unresolved Key Vault reference — grant the app identity "Key Vault Secrets User" on the vault and check the reference',
      'AzureWebJobsStorage: expected a storage connection string ("UseDevelopmentStorage=true" locally, or "DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…")',
    ]);
    const half = problems({ ...minimal, FORTIFLEX_ACCESS_PASSWORD: 'Sup3rSecret' });
    expect(half).toEqual([
      'FORTIFLEX_ACCESS_USERNAME: not set — expected it together with FORTIFLEX_ACCESS_PASSWORD',
    ]);
    expect(half.join('\n')).not.toContain('Sup3rSecret');
  });

  it('names the missing service URIs of the identity form', () => {
    expect(
      problems({
        AzureWebJobsStorage__blobServiceUri: 'https://b.example.net',
        AzureWebJobsStorage__credential: 'clientsecret',
      }),
    ).toEqual([
      'AzureWebJobsStorage__queueServiceUri: not set — expected the service URL, or AzureWebJobsStorage__accountName to derive it',
      'AzureWebJobsStorage__tableServiceUri: not set — expected the service URL, or AzureWebJobsStorage__accountName to derive it',
      'AzureWebJobsStorage__credential: "clientsecret" — expected "managedidentity" (or unset)',
    ]);
  });

  it('accepts real connection strings', () => {
    const cs =
      'DefaultEndpointsProtocol=https;AccountName=stscaler01;AccountKey=YWJj;EndpointSuffix=core.windows.net';
    expect(loadSettings({ AzureWebJobsStorage: cs }).storage).toEqual({
      kind: 'connectionString',
      connectionString: cs,
    });
  });

  it('publishes every setting name it reads', () => {
    expect(SETTING_NAMES).toEqual(
      expect.arrayContaining([
        'FORTIFLEX_API_URL',
        'KEY_VAULT_URL',
        'FORTIFLEX_ACCESS_PASSWORD',
        'SCALER_SCHEDULE',
        'AzureWebJobsStorage',
        'AzureWebJobsStorage__clientId',
        'WEBHOOK_HMAC_SECRET',
      ]),
    );
    expect(Object.isFrozen(SETTING_NAMES)).toBe(true);
  });
});
