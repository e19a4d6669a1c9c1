/**
 * App configuration (DESIGN §7): read once from the environment (app settings, local.settings.json), validated,
 * typed and frozen. A bad configuration fails fast with one line per bad setting, naming the setting and the
 * accepted form. Values of settings that may hold secrets are never echoed.
 */
import { z } from 'zod';

/** Where the state lives: a connection string (Azurite, shared key) or service URIs plus a managed identity. */
export type StorageSettings =
  | { kind: 'connectionString'; connectionString: string }
  | {
      kind: 'identity';
      blobServiceUri: string;
      queueServiceUri: string;
      tableServiceUri: string;
      clientId?: string;
    };

/** The validated app configuration. */
export interface Settings {
  fortiflexApiUrl: string;
  fortiflexAuthUrl: string;
  keyVaultUrl?: string;
  usernameSecret: string;
  passwordSecret: string;
  policyPath: string;
  policyInline?: string;
  forceDryRun: boolean;
  schedule: string;
  storage: StorageSettings;
  webhookHmacSecret?: string;
}

/** Defaults from DESIGN §7. */
export const SETTING_DEFAULTS = {
  FORTIFLEX_API_URL: 'https://support.fortinet.com/ES/api/fortiflex/v2/',
  FORTIFLEX_AUTH_URL: 'https://customerapiauth.fortinet.com/api/v1/oauth/token/',
  FORTIFLEX_USERNAME_SECRET: 'fortiflex-api-username',
  FORTIFLEX_PASSWORD_SECRET: 'fortiflex-api-password',
  SCALER_POLICY_PATH: 'scaler.policy.yaml',
  SCALER_DRY_RUN: 'false',
  SCALER_SCHEDULE: '0 */5 * * * *',
} as const;

/** The identity-based form of `AzureWebJobsStorage` (Functions "connection prefix" convention). */
const STORAGE_IDENTITY_SETTINGS = [
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__blobServiceUri',
  'AzureWebJobsStorage__queueServiceUri',
  'AzureWebJobsStorage__tableServiceUri',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
] as const;

/** Every setting the code reads (infra checks compare this with the app settings the templates deploy). */
export const SETTING_NAMES: readonly string[] = Object.freeze([
  'FORTIFLEX_API_URL',
  'FORTIFLEX_AUTH_URL',
  'KEY_VAULT_URL',
  'FORTIFLEX_USERNAME_SECRET',
  'FORTIFLEX_PASSWORD_SECRET',
  'FORTIFLEX_ACCESS_USERNAME',
  'FORTIFLEX_ACCESS_PASSWORD',
  'SCALER_POLICY_PATH',
  'SCALER_POLICY',
  'SCALER_DRY_RUN',
  'SCALER_SCHEDULE',
  'AzureWebJobsStorage',
  ...STORAGE_IDENTITY_SETTINGS,
  'WEBHOOK_HMAC_SECRET',
]);

/** Settings whose values may be secret: problems with them are reported without the value. */
const SECRET_SETTINGS = new Set([
  'FORTIFLEX_ACCESS_USERNAME',
  'FORTIFLEX_ACCESS_PASSWORD',
  'AzureWebJobsStorage',
  'WEBHOOK_HMAC_SECRET',
]);

/** One bad setting. */
export interface SettingIssue {
  setting: string;
  message: string;
}

/** Thrown by {@link loadSettings}; the message has one line per bad setting. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(readonly issues: readonly SettingIssue[]) {
    super(issues.map((issue) => `${issue.setting}: ${issue.message}`).join('\n'));
  }
}

/** App Service leaves this literal in place when a Key Vault reference cannot be resolved. */
const UNRESOLVED_REFERENCE = /^@Microsoft\.KeyVault\(/i;

/** Key Vault secret names: 1–127 letters, digits and dashes. */
const SECRET_NAME = /^[0-9A-Za-z-]{1,127}$/;

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
});

/** NCRONTAB with seconds: six space-separated fields of digits, names, `*`, `/`, `,`, `-` or `?`. */
const ncrontab = z
  .string()
  .refine((value) => value.trim().split(/\s+/).length === 6)
  .refine((value) =>
    value
      .trim()
      .split(/\s+/)
      .every((field) => /^[0-9A-Za-z*/,?-]+$/.test(field)),
  );

const bool = z.string().refine((value) => /^(true|false)$/i.test(value.trim()));

const CONNECTION_STRING_FORM =
  'a storage connection string ("UseDevelopmentStorage=true" locally, or ' +
  '"DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…")';

/** True when `value` looks like a storage connection string we can use; never echoes it. */
function isConnectionString(value: string): boolean {
  if (/^\s*UseDevelopmentStorage\s*=\s*true\s*;?\s*$/i.test(value)) return true;
  const parts = new Map<string, string>();
  for (const segment of value.split(';')) {
    if (segment.trim() === '') continue;
    const at = segment.indexOf('=');
    if (at <= 0) return false;
    parts.set(segment.slice(0, at).trim().toLowerCase(), segment.slice(at + 1).trim());
  }
  const hasEndpoint = ['blobendpoint', 'queueendpoint', 'tableendpoint'].some((key) => parts.has(key));
  const hasAccount = parts.has('accountname');
  const hasKey = parts.has('accountkey') || parts.has('sharedaccesssignature');
  return hasKey && (hasAccount || hasEndpoint);
}

/** Reads a setting; empty or blank values count as unset (local.settings.json writes "" for unset). */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function shown(name: string, value: string): string {
  return SECRET_SETTINGS.has(name)
    ? ''
    : `${JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)} — `;
}

/**
 * Reads, validates and freezes the configuration from `env`. Throws {@link SettingsError} listing every bad
 * setting (one per line). `FORTIFLEX_ACCESS_USERNAME`/`FORTIFLEX_ACCESS_PASSWORD` are checked here but not kept:
 * the secrets module reads them when it needs them.
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Readonly<Settings> {
  const issues: SettingIssue[] = [];
  const bad = (setting: string, value: string, expected: string): void => {
    issues.push({ setting, message: `${shown(setting, value)}expected ${expected}` });
  };

  for (const name of SETTING_NAMES) {
    const value = read(env, name);
    if (value !== undefined && UNRESOLVED_REFERENCE.test(value)) {
      issues.push({
        setting: name,
        message:
          'unresolved Key Vault reference — grant the app identity "Key Vault Secrets User" on the vault and check the reference',
      });
    }
  }
  const unresolved = new Set(issues.map((issue) => issue.setting));
  const get = (name: string): string | undefined => (unresolved.has(name) ? undefined : read(env, name));

  const check = <T>(name: string, schema: z.ZodType<T>, fallback: string, expected: string): string => {
    const value = get(name) ?? fallback;
    if (!schema.safeParse(value).success) bad(name, value, expected);
    return value;
  };

  const fortiflexApiUrl = check(
    'FORTIFLEX_API_URL',
    httpUrl,
    SETTING_DEFAULTS.FORTIFLEX_API_URL,
    'an http(s) URL',
  );
  const fortiflexAuthUrl = check(
    'FORTIFLEX_AUTH_URL',
    httpUrl,
    SETTING_DEFAULTS.FORTIFLEX_AUTH_URL,
    'an http(s) URL',
  );
  const keyVaultUrl = get('KEY_VAULT_URL');
  if (keyVaultUrl !== undefined && !httpUrl.safeParse(keyVaultUrl).success) {
    bad('KEY_VAULT_URL', keyVaultUrl, 'an http(s) URL such as https://<vault>.vault.azure.net/');
  }
  const secretName = z.string().regex(SECRET_NAME);
  const secretNameForm = 'a Key Vault secret name (1-127 letters, digits and dashes)';
  const usernameSecret = check(
    'FORTIFLEX_USERNAME_SECRET',
    secretName,
    SETTING_DEFAULTS.FORTIFLEX_USERNAME_SECRET,
    secretNameForm,
  );
  const passwordSecret = check(
    'FORTIFLEX_PASSWORD_SECRET',
    secretName,
    SETTING_DEFAULTS.FORTIFLEX_PASSWORD_SECRET,
    secretNameForm,
  );

  // Environment credentials only matter without Key Vault; half a pair is always a mistake there.
  if (keyVaultUrl === undefined) {
    const user = get('FORTIFLEX_ACCESS_USERNAME');
    const pass = get('FORTIFLEX_ACCESS_PASSWORD');
    if (
      (user === undefined) !== (pass === undefined) &&
      !unresolved.has('FORTIFLEX_ACCESS_USERNAME') &&
      !unresolved.has('FORTIFLEX_ACCESS_PASSWORD')
    ) {
      const missing = user === undefined ? 'FORTIFLEX_ACCESS_USERNAME' : 'FORTIFLEX_ACCESS_PASSWORD';
      const other = user === undefined ? 'FORTIFLEX_ACCESS_PASSWORD' : 'FORTIFLEX_ACCESS_USERNAME';
      issues.push({ setting: missing, message: `not set — expected it together with ${other}` });
    }
  }

  const policyPath = get('SCALER_POLICY_PATH') ?? SETTING_DEFAULTS.SCALER_POLICY_PATH;
  const policyInline = get('SCALER_POLICY');
  const dryRun = check('SCALER_DRY_RUN', bool, SETTING_DEFAULTS.SCALER_DRY_RUN, 'true or false');
  const schedule = check(
    'SCALER_SCHEDULE',
    ncrontab,
    SETTING_DEFAULTS.SCALER_SCHEDULE,
    'an NCRONTAB expression with 6 fields "{second} {minute} {hour} {day} {month} {day-of-week}", e.g. "0 */5 * * * *"',
  );

  const storage = readStorage(env, get, bad, issues);

  const webhookHmacSecret = get('WEBHOOK_HMAC_SECRET');
  // With Key Vault the setting names a secret; without it the webhook module decides how to use it.
  if (webhookHmacSecret !== undefined && keyVaultUrl !== undefined && !SECRET_NAME.test(webhookHmacSecret)) {
    bad('WEBHOOK_HMAC_SECRET', webhookHmacSecret, secretNameForm);
  }

  if (issues.length > 0) throw new SettingsError(issues);

  const settings: Settings = {
    fortiflexApiUrl,
    fortiflexAuthUrl,
    ...(keyVaultUrl !== undefined && { keyVaultUrl }),
    usernameSecret,
    passwordSecret,
    policyPath,
    ...(policyInline !== undefined && { policyInline }),
    forceDryRun: dryRun.toLowerCase() === 'true',
    schedule,
    storage: Object.freeze(storage!),
    ...(webhookHmacSecret !== undefined && { webhookHmacSecret }),
  };
  return Object.freeze(settings);
}

function readStorage(
  env: NodeJS.ProcessEnv,
  get: (name: string) => string | undefined,
  bad: (setting: string, value: string, expected: string) => void,
  issues: SettingIssue[],
): StorageSettings | undefined {
  const connectionString = get('AzureWebJobsStorage');
  if (connectionString !== undefined) {
    if (!isConnectionString(connectionString))
      bad('AzureWebJobsStorage', connectionString, CONNECTION_STRING_FORM);
    return { kind: 'connectionString', connectionString };
  }
  const identityKeys = STORAGE_IDENTITY_SETTINGS.filter((name) => read(env, name) !== undefined);
  if (identityKeys.length === 0) {
    if (!issues.some((issue) => issue.setting === 'AzureWebJobsStorage')) {
      issues.push({
        setting: 'AzureWebJobsStorage',
        message:
          'not set — expected a storage connection string ("UseDevelopmentStorage=true" locally) or ' +
          'AzureWebJobsStorage__accountName (or __blobServiceUri, __queueServiceUri and __tableServiceUri) for a managed identity',
      });
    }
    return undefined;
  }
  const accountName = get('AzureWebJobsStorage__accountName');
  if (accountName !== undefined && !/^[a-z0-9]{3,24}$/.test(accountName)) {
    bad(
      'AzureWebJobsStorage__accountName',
      accountName,
      'a storage account name (3-24 lowercase letters and digits)',
    );
  }
  const uri = (service: 'blob' | 'queue' | 'table'): string => {
    const name = `AzureWebJobsStorage__${service}ServiceUri`;
    const value = get(name);
    if (value !== undefined) {
      if (!httpUrl.safeParse(value).success)
        bad(name, value, `an http(s) URL such as https://<account>.${service}.core.windows.net`);
      return value;
    }
    if (accountName === undefined) {
      issues.push({
        setting: name,
        message: 'not set — expected the service URL, or AzureWebJobsStorage__accountName to derive it',
      });
      return '';
    }
    return `https://${accountName}.${service}.core.windows.net`;
  };
  const blobServiceUri = uri('blob');
  const queueServiceUri = uri('queue');
  const tableServiceUri = uri('table');
  const credential = get('AzureWebJobsStorage__credential');
  if (credential !== undefined && credential.toLowerCase() !== 'managedidentity') {
    bad('AzureWebJobsStorage__credential', credential, '"managedidentity" (or unset)');
  }
  const clientId = get('AzureWebJobsStorage__clientId');
  return {
    kind: 'identity',
    blobServiceUri,
    queueServiceUri,
    tableServiceUri,
    ...(clientId !== undefined && { clientId }),
  };
}
