/**
 * Builds the FortiFlex client the CLI (and anything else driven by environment variables) uses: URLs from
 * `FORTIFLEX_API_URL` / `FORTIFLEX_AUTH_URL` with the production defaults of DESIGN §7, credentials from
 * Key Vault or the environment via the secrets module.
 */
import { DEFAULT_API_URL, DEFAULT_AUTH_URL, FortiFlexClient } from '../lib/fortiflex';
import { createCredentialsProvider } from '../lib/secrets';
import { UsageError } from './io';

function setting(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = env[name]?.trim();
  if (!value) return fallback;
  try {
    new URL(value);
  } catch {
    throw new UsageError(`${name}: "${value}" is not a URL; expected e.g. ${fallback}`);
  }
  return value;
}

/** A client configured from `env` (default `process.env`). Nothing is read from the network until first use. */
export async function createClientFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<FortiFlexClient> {
  return new FortiFlexClient({
    apiUrl: setting(env, 'FORTIFLEX_API_URL', DEFAULT_API_URL),
    authUrl: setting(env, 'FORTIFLEX_AUTH_URL', DEFAULT_AUTH_URL),
    credentials: createCredentialsProvider(env),
  });
}
