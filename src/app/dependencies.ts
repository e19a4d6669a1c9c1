/**
 * Composition root: turns the environment into the objects every use case needs (settings, FortiFlex client,
 * state store, policy, clock), once per worker.
 *
 * Function modules are loaded when the host indexes the app, under a start-up time limit, so this module only
 * imports types at the top level; the settings parser, the Azure SDKs (through `lib/state` and `lib/secrets`)
 * and the rule engine are loaded on first use. The dynamic imports name the emitted `.js` file because Node's
 * `import()` does not add extensions; TypeScript, vitest and tsx map it back to the `.ts` source.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from './settings';
import type { FortiFlexClient } from '../lib/fortiflex';
import type { StateStore } from '../lib/state';
import type { SecretReader } from '../lib/secrets';
import type { Policy } from '../lib/rules';
import type { ScaleSetLister } from '../lib/azure/scale-set-lister';
import type { ComputeClient } from '../lib/azure/compute';
import type { PoolHints } from './pools/hints';
import type { PoolLeases } from './pools/lease';
import type { RateSource } from './reconcile/rates';

/** Everything a use case depends on. Built once per worker by {@link getAppDependencies}. */
export interface AppDependencies {
  /** Validated, frozen settings (docs/architecture.md §"Settings"). */
  settings: Readonly<Settings>;
  client: FortiFlexClient;
  store: StateStore;
  /** The policy from `SCALER_POLICY` (inline) or `SCALER_POLICY_PATH`, parsed once and cached. */
  loadPolicy(): Promise<Policy>;
  /** Key Vault reader, present when `KEY_VAULT_URL` is set (also used for the webhook HMAC key). */
  secrets?: SecretReader;
  /** The wall clock; use cases read it once per run and pass the instant down. */
  now(): Date;
  /** Lists a scale set's VM names for the claim sweep; present when Azure access is configured. */
  scaleSets?: ScaleSetLister;
  /** Points per day of configs the policy gives no rate (tools/calc), cached for the worker's life. */
  rates?: RateSource;
  /** This worker's inventory hints for claims. */
  hints: PoolHints;
  /** This worker's pool leases. */
  leases: PoolLeases;
  /** The webhook HMAC key (Key Vault secret or `WEBHOOK_HMAC_KEY`); undefined when not configured. */
  webhookHmacKey(): Promise<string | undefined>;
  /** Scale-set instances for licence delivery; present with a managed identity or a simulator's ARM token. */
  compute?: Pick<ComputeClient, 'listScaleSetInstances'>;
  /** A FortiGate secret the pools name (Key Vault, or `FORTIGATE_API_KEY` for the API key without a vault). */
  fortigateSecret(name: string, use: 'apiKey' | 'ca'): Promise<string | undefined>;
}

/** Pieces a test (or the CLI) supplies instead of building them from the environment. */
export interface AppDependencyOverrides {
  /** Environment to read settings and credentials from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Settings; partial settings are merged over the defaults without reading `env`. */
  settings?: Partial<Settings>;
  client?: FortiFlexClient;
  store?: StateStore;
  /** Table / container / queue name prefix for a store built here (test isolation). */
  storePrefix?: string;
  /** A parsed policy or its YAML/JSON text; replaces `SCALER_POLICY` / `SCALER_POLICY_PATH`. */
  policy?: Policy | string;
  secrets?: SecretReader;
  now?: () => Date;
  /** Scale-set lister; by default one over `@azure/arm-compute` when Azure access is configured. */
  scaleSets?: ScaleSetLister;
  /** Rate source; by default a cached one over the client's `configs/list` and `tools/calc`. */
  rates?: RateSource;
  /** Waits of the pool leases (tests shorten them). */
  sleep?: (ms: number) => Promise<void>;
  /** Compute adapter; by default one over ARM when a managed identity or an ARM simulator token is set. */
  compute?: Pick<ComputeClient, 'listScaleSetInstances'>;
}

/**
 * The directory the app is deployed from: the nearest ancestor of this module holding `package.json`
 * (the repository root from `src/app`, the package root from `dist/src/app`).
 */
export function appRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/**
 * Returns a cached policy loader. Inline text wins over the file; a relative path is resolved against the
 * app root. A failed load is not cached, so fixing the file heals the next run.
 */
export function createPolicyLoader(
  source: { inline?: string; path: string },
  root: string = appRoot(),
): () => Promise<Policy> {
  let cached: Promise<Policy> | undefined;
  return () => {
    cached ??= (async () => {
      const { parsePolicy } = await import('../lib/rules/index.js');
      if (source.inline !== undefined && source.inline.trim() !== '') {
        return parsePolicy(source.inline, 'SCALER_POLICY');
      }
      const file = path.resolve(root, source.path);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
        throw new Error(
          `SCALER_POLICY_PATH: cannot read policy file ${file} (${code}); set SCALER_POLICY_PATH to a YAML or JSON policy file or SCALER_POLICY to the policy text`,
        );
      }
      return parsePolicy(text, path.basename(file));
    })();
    cached.catch(() => (cached = undefined));
    return cached;
  };
}

/**
 * Builds dependencies, taking any piece from `overrides` and the rest from the environment. Every call builds
 * a new set: tests use it directly; production code goes through {@link getAppDependencies}.
 */
export async function createAppDependencies(
  overrides: AppDependencyOverrides = {},
): Promise<AppDependencies> {
  const env = overrides.env ?? process.env;
  const { loadSettings } = await import('./settings.js');
  // Partial settings go over the defaults (what an environment naming only the storage yields), so the
  // defaults live in one place.
  const settings: Readonly<Settings> = overrides.settings
    ? Object.freeze({
        ...loadSettings({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }),
        ...overrides.settings,
      })
    : loadSettings(env);

  let secrets = overrides.secrets;
  if (!secrets && settings.keyVaultUrl && !overrides.client) {
    const { createSecretReader } = await import('../lib/secrets/index.js');
    secrets = createSecretReader({ vaultUrl: settings.keyVaultUrl });
  }

  let client = overrides.client;
  if (!client) {
    const [{ FortiFlexClient }, { createCredentialsProvider }, { createSharedTokenStore }] =
      await Promise.all([
        import('../lib/fortiflex/index.js'),
        import('../lib/secrets/index.js'),
        import('../lib/state/index.js'),
      ]);
    client = new FortiFlexClient({
      apiUrl: settings.fortiflexApiUrl,
      authUrl: settings.fortiflexAuthUrl,
      credentials: createCredentialsProvider(settings, secrets ? { secretReader: secrets } : undefined),
      // One FortiFlex session for every process of the app (FortiFlex keeps one active token per API user).
      sharedTokens: createSharedTokenStore(
        settings.storage,
        overrides.storePrefix ? { prefix: overrides.storePrefix } : undefined,
      ),
    });
  }

  let store = overrides.store;
  if (!store) {
    const { createStateStore } = await import('../lib/state/index.js');
    store = await createStateStore(
      settings.storage,
      overrides.storePrefix ? { prefix: overrides.storePrefix } : undefined,
    );
  }

  let loadPolicy: () => Promise<Policy>;
  const policy = overrides.policy;
  if (policy === undefined) {
    loadPolicy = createPolicyLoader({ inline: settings.policyInline, path: settings.policyPath });
  } else if (typeof policy === 'string') {
    loadPolicy = createPolicyLoader({ inline: policy, path: settings.policyPath });
  } else {
    loadPolicy = () => Promise.resolve(policy);
  }

  // The scale-set lister needs Azure access: a managed identity with Reader on each pool's scale set.
  let scaleSets = overrides.scaleSets;
  if (!scaleSets && !overrides.client && settings.managedIdentity) {
    scaleSets = (await import('../lib/azure/scale-set-lister.js')).createAzureScaleSetLister();
  }

  // Licence delivery lists scale-set instances through ARM: the app's identity, or a simulator's token.
  let compute = overrides.compute;
  if (!compute && !overrides.client && (settings.managedIdentity || settings.armToken)) {
    const [{ createComputeClient }, { createArmCredential }] = await Promise.all([
      import('../lib/azure/compute.js'),
      import('../lib/azure/credential.js'),
    ]);
    compute = createComputeClient({
      credential: createArmCredential({
        ...(settings.armEndpoint !== undefined && { endpoint: settings.armEndpoint }),
        ...(settings.armToken !== undefined && { staticToken: settings.armToken.reveal() }),
      }),
      ...(settings.armEndpoint !== undefined && { endpoint: settings.armEndpoint }),
    });
  }
  const fortigateSecrets = secrets;
  const fortigateSecret = async (name: string, use: 'apiKey' | 'ca'): Promise<string | undefined> => {
    if (fortigateSecrets) return fortigateSecrets.get(name);
    return use === 'apiKey' ? settings.fortigateApiKey?.reveal() : undefined;
  };

  const [{ createRateSource }, { PoolHints }, { PoolLeases }, { resolveHmacKey }] = await Promise.all([
    import('./reconcile/rates.js'),
    import('./pools/hints.js'),
    import('./pools/lease.js'),
    import('./pools/webhook.js'),
  ]);
  const rates = overrides.rates ?? createRateSource(client);
  const webhookSecrets = secrets;

  const deps: AppDependencies = {
    settings,
    rates,
    client,
    store,
    loadPolicy,
    now: overrides.now ?? (() => new Date()),
    hints: new PoolHints(),
    leases: new PoolLeases(store, overrides.sleep ? { sleep: overrides.sleep } : {}),
    webhookHmacKey: () => resolveHmacKey({ settings, secrets: webhookSecrets }),
    fortigateSecret,
    ...(compute ? { compute } : {}),
    ...(secrets ? { secrets } : {}),
    ...(scaleSets ? { scaleSets } : {}),
  };
  return Object.freeze(deps);
}

const memo = new WeakMap<NodeJS.ProcessEnv, Promise<AppDependencies>>();

/**
 * The worker's dependencies, built on first call from `env` and shared by every later invocation (SDK clients
 * and tokens are reused). A failure is not memoized: the next invocation tries again, and a bad configuration
 * keeps failing with its list of problems.
 */
export function getAppDependencies(env: NodeJS.ProcessEnv = process.env): Promise<AppDependencies> {
  let pending = memo.get(env);
  if (!pending) {
    pending = createAppDependencies({ env });
    memo.set(env, pending);
    pending.catch(() => memo.delete(env));
  }
  return pending;
}

/** Forgets the memoized dependencies for `env` (tests that change the environment). */
export function resetAppDependencies(env: NodeJS.ProcessEnv = process.env): void {
  memo.delete(env);
}
