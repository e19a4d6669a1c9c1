/**
 * App configuration (docs/architecture.md §"Settings"): read once from the environment (app settings,
 * local.settings.json, the shell), validated, typed and frozen. This is the only module that reads the
 * environment (the Azure SDK's credential chain reads its own variables). A bad configuration fails fast with
 * one line per bad setting, naming the setting and the accepted form. Values of settings that may hold
 * secrets are never echoed, and are kept as {@link SecretValue}s that never print themselves.
 */
import { z } from 'zod';
import { SecretValue, type CredentialSettings } from '../lib/secrets';
import type { StorageSettings } from '../lib/state';

/** What every FortiFlex caller needs: the API's URLs and where its credentials come from. */
export interface ClientSettings extends CredentialSettings {
  fortiflexApiUrl: string;
  fortiflexAuthUrl: string;
}

/** The validated app configuration. */
export interface Settings extends ClientSettings {
  policyPath: string;
  policyInline?: string;
  forceDryRun: boolean;
  schedule: string;
  storage: StorageSettings;
  /** With Key Vault: the name of the secret holding the webhook HMAC key. */
  webhookHmacSecret?: string;
  /** Without Key Vault: the webhook HMAC key itself (`WEBHOOK_HMAC_KEY`, local runs). */
  webhookHmacKey?: SecretValue;
  /** True when the app runs with an Azure managed identity (the platform sets `IDENTITY_ENDPOINT`). */
  managedIdentity: boolean;
  /** Without Key Vault: the FortiOS REST API key of the pools' FortiGates (`FORTIGATE_API_KEY`, local runs). */
  fortigateApiKey?: SecretValue;
  /** ARM endpoint (`AZURE_RESOURCE_MANAGER_ENDPOINT`); unset = the public cloud. */
  armEndpoint?: string;
  /** Static ARM bearer token for loopback endpoints only (`AZURE_RESOURCE_MANAGER_TOKEN`, simulators). */
  armToken?: SecretValue;
}

/** Settings for commands that may run without state storage (the CLI's API and planning commands). */
export type CliSettings = Omit<Settings, 'storage'> & { storage?: StorageSettings };

/** Defaults of the settings (the only place they are written). */
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
  'WEBHOOK_HMAC_KEY',
  'FORTIGATE_API_KEY',
  'AZURE_RESOURCE_MANAGER_ENDPOINT',
  'AZURE_RESOURCE_MANAGER_TOKEN',
]);

/** Set by the Functions platform, never by the user; read to tell whether a managed identity exists. */
const PLATFORM_IDENTITY_SETTING = 'IDENTITY_ENDPOINT';

/** Settings whose values may be secret: problems with them are reported without the value. */
const SECRET_SETTINGS = new Set([
  'FORTIFLEX_ACCESS_USERNAME',
  'FORTIFLEX_ACCESS_PASSWORD',
  'AzureWebJobsStorage',
  'WEBHOOK_HMAC_SECRET',
  'WEBHOOK_HMAC_KEY',
  'FORTIGATE_API_KEY',
  'AZURE_RESOURCE_MANAGER_TOKEN',
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

/** True for a loopback host: 127.0.0.0/8, ::1 or localhost (the simulators, Azurite, local stand-ins). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Checks a URL setting, adding an issue naming it and the accepted form; returns the value. */
function checkUrlSetting(issues: SettingIssue[], name: string, value: string, example: string): string {
  const problem = urlProblem(value);
  if (problem !== undefined) {
    issues.push({
      setting: name,
      message: `${JSON.stringify(value.slice(0, 200))} ${problem}; expected an https URL (http only to a loopback address), e.g. ${example}`,
    });
  }
  return value;
}

/**
 * What is wrong with a URL setting, or undefined: it must be `https:`, or `http:` to a loopback address
 * (credentials and tokens never cross a network in clear text).
 */
function urlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.hostname === '' || (url.protocol !== 'https:' && url.protocol !== 'http:')) return 'is not a URL';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return 'uses http to a non-loopback host';
  return undefined;
}

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
 * setting (one per line).
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Readonly<Settings> {
  return readSettings(env, true) as Readonly<Settings>;
}

/**
 * {@link loadSettings} for commands that work without state storage: `AzureWebJobsStorage` may be unset (a
 * set but invalid value is still an error).
 */
export function loadCliSettings(env: NodeJS.ProcessEnv = process.env): Readonly<CliSettings> {
  return readSettings(env, false);
}

function readSettings(env: NodeJS.ProcessEnv, storageRequired: boolean): Readonly<CliSettings> {
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

  const checkUrl = (name: string, value: string, example: string): string =>
    checkUrlSetting(issues, name, value, example);
  const fortiflexApiUrl = checkUrl(
    'FORTIFLEX_API_URL',
    get('FORTIFLEX_API_URL') ?? SETTING_DEFAULTS.FORTIFLEX_API_URL,
    SETTING_DEFAULTS.FORTIFLEX_API_URL,
  );
  const fortiflexAuthUrl = checkUrl(
    'FORTIFLEX_AUTH_URL',
    get('FORTIFLEX_AUTH_URL') ?? SETTING_DEFAULTS.FORTIFLEX_AUTH_URL,
    SETTING_DEFAULTS.FORTIFLEX_AUTH_URL,
  );
  const keyVaultUrl = get('KEY_VAULT_URL');
  if (keyVaultUrl !== undefined) checkUrl('KEY_VAULT_URL', keyVaultUrl, 'https://<vault>.vault.azure.net/');
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

  const storage = readStorage(env, get, bad, issues, storageRequired);

  const accessUsername = get('FORTIFLEX_ACCESS_USERNAME');
  const accessPassword = get('FORTIFLEX_ACCESS_PASSWORD');
  const webhookHmacKey = get('WEBHOOK_HMAC_KEY');
  const webhookHmacSecret = get('WEBHOOK_HMAC_SECRET');
  // With Key Vault the setting names a secret; without it the webhook module decides how to use it.
  if (webhookHmacSecret !== undefined && keyVaultUrl !== undefined && !SECRET_NAME.test(webhookHmacSecret)) {
    bad('WEBHOOK_HMAC_SECRET', webhookHmacSecret, secretNameForm);
  }

  const fortigateApiKey = get('FORTIGATE_API_KEY');
  if (fortigateApiKey !== undefined && !/^[\x21-\x7e]+$/.test(fortigateApiKey)) {
    bad('FORTIGATE_API_KEY', fortigateApiKey, 'a FortiOS REST API key (printable characters, no spaces)');
  }
  const arm = readArm(get, issues);

  if (issues.length > 0) throw new SettingsError(issues);

  const settings: CliSettings = {
    fortiflexApiUrl,
    fortiflexAuthUrl,
    ...(keyVaultUrl !== undefined && { keyVaultUrl }),
    usernameSecret,
    passwordSecret,
    policyPath,
    ...(policyInline !== undefined && { policyInline }),
    forceDryRun: dryRun.toLowerCase() === 'true',
    schedule,
    ...(storage !== undefined && { storage: Object.freeze(storage) }),
    ...(accessUsername !== undefined && { accessUsername: new SecretValue(accessUsername) }),
    ...(accessPassword !== undefined && { accessPassword: new SecretValue(accessPassword) }),
    ...(webhookHmacSecret !== undefined && { webhookHmacSecret }),
    ...(webhookHmacKey !== undefined && { webhookHmacKey: new SecretValue(webhookHmacKey) }),
    managedIdentity: read(env, PLATFORM_IDENTITY_SETTING) !== undefined,
    ...(fortigateApiKey !== undefined && { fortigateApiKey: new SecretValue(fortigateApiKey) }),
    ...arm,
  };
  return Object.freeze(settings);
}

/**
 * The ARM endpoint (https only: the SDK sends bearer tokens over TLS alone) and the static token, which is
 * accepted only for a loopback endpoint so a stray setting never sends a hand-made token to Azure.
 */
function readArm(
  get: (name: string) => string | undefined,
  issues: SettingIssue[],
): Pick<Settings, 'armEndpoint' | 'armToken'> {
  const endpoint = get('AZURE_RESOURCE_MANAGER_ENDPOINT');
  const token = get('AZURE_RESOURCE_MANAGER_TOKEN');
  let host: string | undefined;
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== '')) {
      issues.push({
        setting: 'AZURE_RESOURCE_MANAGER_ENDPOINT',
        message: `${JSON.stringify(endpoint.slice(0, 200))} — expected https://host[:port] (HTTPS, no path), e.g. https://management.azure.com`,
      });
    } else host = url.hostname;
  }
  if (token !== undefined && endpoint === undefined) {
    issues.push({
      setting: 'AZURE_RESOURCE_MANAGER_TOKEN',
      message:
        'set without AZURE_RESOURCE_MANAGER_ENDPOINT — expected it only together with a loopback endpoint',
    });
  } else if (token !== undefined && host !== undefined && !isLoopbackHost(host)) {
    issues.push({
      setting: 'AZURE_RESOURCE_MANAGER_TOKEN',
      message:
        'accepted only when AZURE_RESOURCE_MANAGER_ENDPOINT is a loopback address (a simulator); unset it to use the managed identity',
    });
  }
  return {
    ...(endpoint !== undefined && { armEndpoint: endpoint }),
    ...(token !== undefined && { armToken: new SecretValue(token) }),
  };
}

function readStorage(
  env: NodeJS.ProcessEnv,
  get: (name: string) => string | undefined,
  bad: (setting: string, value: string, expected: string) => void,
  issues: SettingIssue[],
  required: boolean,
): StorageSettings | undefined {
  const connectionString = get('AzureWebJobsStorage');
  if (connectionString !== undefined) {
    if (!isConnectionString(connectionString))
      bad('AzureWebJobsStorage', connectionString, CONNECTION_STRING_FORM);
    return { kind: 'connectionString', connectionString };
  }
  const identityKeys = STORAGE_IDENTITY_SETTINGS.filter((name) => read(env, name) !== undefined);
  if (identityKeys.length === 0) {
    if (required && !issues.some((issue) => issue.setting === 'AzureWebJobsStorage')) {
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
    if (value !== undefined)
      return checkUrlSetting(issues, name, value, `https://<account>.${service}.core.windows.net`);
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
