/**
 * What the commands share before they do their work: the policy file, the settings (through the app's one
 * settings loader, so the CLI reads the same names with the same checks as the functions), and the
 * FortiFlex client built from them. Bad input of any of these is a {@link UsageError} (exit 2) with every
 * problem listed on stderr first.
 */
import { readFile } from 'node:fs/promises';
import { listPolicy } from '../app/reconcile/listing';
import { createRateSource, selectedMissingRates } from '../app/reconcile/rates';
import type { RunError } from '../app/reconcile/run-summary';
import { loadCliSettings, SettingsError, type CliSettings } from '../app/settings';
import type { Entitlement } from '../lib/fortiflex/types';
import { FortiFlexClient } from '../lib/fortiflex';
import type { Policy } from '../lib/rules';
import { createCredentialsProvider } from '../lib/secrets';
import { UsageError, type CliIo } from './io';
import { validatePolicyFile } from './policy-check';

/** The client calls the planning commands make. */
export type PlanningClient = Pick<FortiFlexClient, 'listEntitlements' | 'listConfigs' | 'calculatePoints'>;

/** Seams of the planning commands; production defaults read the environment and the file system. */
export interface PlanningDeps {
  createClient?: () => Promise<PlanningClient>;
  readTextFile?: (path: string) => Promise<string>;
}

/** Reads a text file (the production default of every `readTextFile` seam). */
export const readTextFile = (path: string): Promise<string> => readFile(path, 'utf8');

/** Fills unset planning seams with the production defaults. */
export function withDefaults(deps: PlanningDeps): Required<PlanningDeps> {
  return {
    createClient: () => createClientFromEnvironment(process.env),
    readTextFile,
    ...deps,
  };
}

/**
 * Reads and validates the policy file. An unreadable file or an invalid policy is a {@link UsageError}
 * (exit 2); every policy problem is written to stderr first, one per line, prefixed with the file name.
 */
export async function loadPolicyFile(
  file: string,
  io: CliIo,
  read: (path: string) => Promise<string> = readTextFile,
): Promise<Policy> {
  return (await validatePolicyFile(file, io, read)).policy;
}

/**
 * Runs `build` (which loads settings), turning a {@link SettingsError} into a {@link UsageError}: with `io`
 * every problem is listed on stderr and the error counts them; without it the one-line error lists them.
 */
export async function withSettings<T>(build: () => T | Promise<T>, io?: CliIo): Promise<T> {
  try {
    return await build();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    const lines = error.issues.map((issue) => `${issue.setting}: ${issue.message}`);
    if (!io) throw new UsageError(lines.join('; '));
    for (const line of lines) io.stderr(`${line}\n`);
    throw new UsageError(
      `invalid settings, ${lines.length} problem${lines.length === 1 ? '' : 's'} (listed above)`,
    );
  }
}

/** The CLI's settings from `env` (state storage optional). */
export function cliSettings(
  env: NodeJS.ProcessEnv = process.env,
  io?: CliIo,
): Promise<Readonly<CliSettings>> {
  return withSettings(() => loadCliSettings(env), io);
}

/**
 * A FortiFlex client configured from `env`. Nothing is read from the network until first use. With state
 * storage configured (`AzureWebJobsStorage`) it shares the app's FortiFlex session (one active token per API
 * user); without, its token is its own.
 */
export async function createClientFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<FortiFlexClient> {
  const settings = await cliSettings(env);
  const sharedTokens = settings.storage
    ? (await import('../lib/state/index.js')).createSharedTokenStore(settings.storage)
    : undefined;
  return new FortiFlexClient({
    apiUrl: settings.fortiflexApiUrl,
    authUrl: settings.fortiflexAuthUrl,
    credentials: createCredentialsProvider(settings),
    ...(sharedTokens && { sharedTokens }),
  });
}

/**
 * What the planning commands read from FortiFlex: every entitlement of the policy's scopes (one list per
 * scope, the app's own listing; a failing scope fails the command) and the points rates the policy leaves
 * out (the app's `tools/calc` source; an unpriced config counts as 0 and the notes say so).
 */
export async function readFleet(
  client: PlanningClient,
  policy: Policy,
): Promise<{ entitlements: Entitlement[]; rates: Record<number, number>; notes: string[] }> {
  const errors: RunError[] = [];
  const { entitlements } = await listPolicy(client, policy, errors);
  if (errors.length > 0) throw new Error(`entitlements/list failed: ${errors[0]!.message}`);
  // A one-shot source: its cache (keyed by the wall clock) only spans this command.
  const found = await createRateSource(client).lookup(selectedMissingRates(policy, entitlements), new Date());
  return { entitlements, rates: found.rates, notes: found.notes };
}
