/**
 * The Azure Resource Manager endpoint and the credential used against it. In Azure the app signs in with
 * `DefaultAzureCredential` (its user-assigned managed identity when a client id is given). For local runs
 * and tests a static bearer token (`AZURE_RESOURCE_MANAGER_TOKEN`) may replace it, but only when the endpoint
 * is a loopback address, so a stray setting can never send a hand-made token to a real ARM endpoint. Inputs
 * are plain values: the settings loader reads the environment, this module does not.
 */
import { isIP } from 'node:net';
import type { AccessToken, TokenCredential } from '@azure/identity';

/** The public-cloud ARM endpoint. */
export const DEFAULT_ARM_ENDPOINT = 'https://management.azure.com';
/** The token scope ARM accepts, whatever endpoint the requests go to. */
export const ARM_TOKEN_SCOPE = 'https://management.azure.com/.default';
/** Setting names, used in error messages. */
export const ENDPOINT_SETTING = 'AZURE_RESOURCE_MANAGER_ENDPOINT';
export const TOKEN_SETTING = 'AZURE_RESOURCE_MANAGER_TOKEN';

/** True for `localhost`, 127.0.0.0/8 and ::1 (brackets allowed, as `URL.hostname` gives them). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  if (isIP(host) === 6) return host === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(host);
  return false;
}

/**
 * Validates the endpoint setting and returns its origin without a trailing slash (default
 * {@link DEFAULT_ARM_ENDPOINT}). HTTPS only: the SDK never sends bearer tokens over plain HTTP.
 */
export function parseArmEndpoint(value: string | undefined): string {
  if (value === undefined || value.trim() === '') return DEFAULT_ARM_ENDPOINT;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new Error(`${ENDPOINT_SETTING}: "${value}" is not a URL; expected https://host[:port]`);
  }
  if (url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '') {
    throw new Error(
      `${ENDPOINT_SETTING}: "${value}" is not valid; expected https://host[:port] (HTTPS, no path)`,
    );
  }
  return url.origin;
}

/** A credential that always answers the same bearer token (the token is never logged or put in errors). */
export function staticTokenCredential(token: string): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({
      token,
      // Far enough ahead that the bearer policy never tries to refresh it during a run.
      expiresOnTimestamp: Date.now() + 24 * 3600_000,
    }),
  };
}

/** What {@link createArmCredential} needs. */
export interface ArmCredentialInput {
  /** The ARM endpoint (validated with {@link parseArmEndpoint}). */
  endpoint?: string;
  /** A static bearer token; accepted only for loopback endpoints. */
  staticToken?: string;
  /** Client id of the user-assigned managed identity for `DefaultAzureCredential`. */
  managedIdentityClientId?: string;
}

/**
 * The credential for ARM: the static token when given (loopback endpoints only; otherwise a one-line error
 * naming {@link TOKEN_SETTING}), else `DefaultAzureCredential`, loaded on first use so that a cold start that
 * never touches ARM does not pay for `@azure/identity`.
 */
export function createArmCredential(input: ArmCredentialInput): TokenCredential {
  const endpoint = parseArmEndpoint(input.endpoint);
  const token = input.staticToken?.trim();
  if (token) {
    const host = new URL(endpoint).hostname;
    if (!isLoopbackHost(host)) {
      throw new Error(
        `${TOKEN_SETTING}: a static token is accepted only when ${ENDPOINT_SETTING} is a loopback address (127.0.0.0/8, ::1, localhost); ${host} is not — unset it to use the managed identity`,
      );
    }
    return staticTokenCredential(token);
  }
  let inner: Promise<TokenCredential> | undefined;
  const load = (): Promise<TokenCredential> =>
    (inner ??= import('@azure/identity').then(
      ({ DefaultAzureCredential }) =>
        new DefaultAzureCredential(
          input.managedIdentityClientId ? { managedIdentityClientId: input.managedIdentityClientId } : {},
        ),
    ));
  return { getToken: async (scopes, options) => (await load()).getToken(scopes, options) };
}
