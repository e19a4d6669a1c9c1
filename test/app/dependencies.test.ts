import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import {
  appRoot,
  createAppDependencies,
  createPolicyLoader,
  getAppDependencies,
  resetAppDependencies,
} from '../../src/app/dependencies';
import { runReconcile } from '../../src/app/reconcile/reconcile';
import { startSimulator, defaultSeed, type SimulatorHandle } from '../../src/simulator';
import { BRANCH_POLICY, FRIDAY_EVENING, RATES, uniquePrefix } from '../e2e/harness';

let sim: SimulatorHandle | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    AzureWebJobsStorage: inject('azuriteConnectionString'),
    FORTIFLEX_ACCESS_USERNAME: 'user',
    FORTIFLEX_ACCESS_PASSWORD: 'pass',
    SCALER_POLICY: BRANCH_POLICY,
    ...extra,
  };
}

describe('getAppDependencies', () => {
  it('builds once per worker: the same frozen dependencies for every call with the same environment', async () => {
    const env = baseEnv();
    const first = getAppDependencies(env);
    expect(getAppDependencies(env)).toBe(first);
    const deps = await first;
    expect(Object.isFrozen(deps)).toBe(true);
    expect(Object.isFrozen(deps.settings)).toBe(true);
    expect(deps.settings.storage.kind).toBe('connectionString');
    expect(deps.secrets).toBeUndefined();
    resetAppDependencies(env);
    expect(getAppDependencies(env)).not.toBe(first);
  });

  it('fails listing every bad setting, and does not memoize the failure', async () => {
    const env: NodeJS.ProcessEnv = { SCALER_DRY_RUN: 'sometimes', FORTIFLEX_API_URL: 'not a url' };
    const error = await getAppDependencies(env).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    const lines = (error as Error).message.split('\n');
    expect(lines.some((l) => l.startsWith('SCALER_DRY_RUN:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('FORTIFLEX_API_URL:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('AzureWebJobsStorage:'))).toBe(true);
    env.SCALER_DRY_RUN = 'true';
    env.FORTIFLEX_API_URL = 'http://127.0.0.1:9/';
    env.AzureWebJobsStorage = inject('azuriteConnectionString');
    const deps = await getAppDependencies(env);
    expect(deps.settings.forceDryRun).toBe(true);
    resetAppDependencies(env);
  });

  it('wires settings, credentials, client and store from the environment into a working reconcile', async () => {
    sim = await startSimulator({ seed: { ...defaultSeed(), rates: RATES, now: FRIDAY_EVENING } });
    const deps = await createAppDependencies({
      env: baseEnv({
        FORTIFLEX_API_URL: sim.apiUrl,
        FORTIFLEX_AUTH_URL: sim.authUrl,
        FORTIFLEX_ACCESS_USERNAME: sim.credentials.username,
        FORTIFLEX_ACCESS_PASSWORD: sim.credentials.password,
        SCALER_DRY_RUN: 'true',
      }),
      storePrefix: uniquePrefix('d'),
    });
    const summary = await runReconcile(deps, sim.clock.now());
    // SCALER_DRY_RUN forces a dry run whatever the policy says.
    expect(summary).toMatchObject({ dryRun: true, planned: 12, applied: 0 });
    expect(sim.stats().requests['entitlements/list']).toBe(1);
  });
});

describe('createAppDependencies with partial settings', () => {
  it('fills what is not given with the documented defaults', async () => {
    const deps = await createAppDependencies({
      settings: { forceDryRun: true },
      policy: BRANCH_POLICY,
      client: {} as never,
      store: {} as never,
    });
    expect(deps.settings).toMatchObject({
      forceDryRun: true,
      fortiflexApiUrl: 'https://support.fortinet.com/ES/api/fortiflex/v2/',
      fortiflexAuthUrl: 'https://customerapiauth.fortinet.com/api/v1/oauth/token/',
      policyPath: 'scaler.policy.yaml',
      schedule: '0 */5 * * * *',
    });
    expect(Object.isFrozen(deps.settings)).toBe(true);
  });
});

describe('policy loading', () => {
  it('prefers inline SCALER_POLICY, parses once and caches', async () => {
    const load = createPolicyLoader({ inline: BRANCH_POLICY, path: 'does-not-exist.yaml' });
    const a = await load();
    expect(a.rules.map((r) => r.name)).toEqual(['branches']);
    expect(await load()).toBe(a);
  });

  it('reads SCALER_POLICY_PATH relative to the app root', async () => {
    expect(appRoot()).toBe(path.resolve(__dirname, '..', '..'));
    const policy = await createPolicyLoader({ path: 'scaler.policy.example.yaml' })();
    expect(policy.rules.length).toBeGreaterThan(0);
  });

  it('names SCALER_POLICY_PATH when the file is missing, and retries after a failure', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'policy-'));
    const load = createPolicyLoader({ path: 'scaler.policy.yaml' }, dir);
    await expect(load()).rejects.toThrow(
      /^SCALER_POLICY_PATH: cannot read policy file .*scaler\.policy\.yaml \(ENOENT\)/,
    );
    writeFileSync(path.join(dir, 'scaler.policy.yaml'), BRANCH_POLICY);
    expect((await load()).rules).toHaveLength(1);
  });

  it('reports an invalid policy with its problems', async () => {
    const deps = await createAppDependencies({
      settings: {},
      policy: 'schedules: {}\nrules: [ { name: r, schedule: nope } ]',
      client: {} as never,
      store: {} as never,
    });
    await expect(deps.loadPolicy()).rejects.toThrow(/rules/);
  });
});
