/**
 * Configuration of licence delivery: the pool key `fortigate` (defaults, accepted forms, one-line errors
 * naming the path), the settings `FORTIGATE_API_KEY` and the ARM endpoint and token, and what the
 * composition root builds from them.
 */
import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { createAppDependencies } from '../../src/app/dependencies';
import { loadSettings, SettingsError } from '../../src/app/settings';
import { PolicyError, validatePolicy } from '../../src/lib/rules';
import { poolPolicyDocument, SCALE_SET } from './pools/support';

function policyProblems(pool: Record<string, unknown>): string[] {
  try {
    validatePolicy(poolPolicyDocument(pool));
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('expected a PolicyError');
}

function settingProblems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadSettings({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as Error).message.split('\n');
  }
  throw new Error('expected a SettingsError');
}

describe('pool key fortigate', () => {
  it('fills in the documented defaults', () => {
    const policy = validatePolicy(poolPolicyDocument({ scaleSet: { resourceId: SCALE_SET }, fortigate: {} }));
    expect(policy.pools[0]!.fortigate).toEqual({
      apiKeySecret: 'fortigate-api-key',
      port: 443,
      protocol: 'https',
      tls: 'tofu',
      deliveryTimeoutMinutes: 30,
    });
    const ca = validatePolicy(
      poolPolicyDocument({
        scaleSet: { resourceId: SCALE_SET },
        fortigate: { apiKeySecret: 'fgt-key', port: 8443, tls: { caSecret: 'fgt-ca' } },
      }),
    );
    expect(ca.pools[0]!.fortigate).toMatchObject({
      apiKeySecret: 'fgt-key',
      port: 8443,
      tls: { caSecret: 'fgt-ca' },
    });
  });

  it('names the path and the accepted form of every bad value', () => {
    expect(policyProblems({ fortigate: {} })).toEqual([
      expect.stringMatching(
        /^pools\[0\]\.fortigate: needs the scale set whose FortiGates it licenses; expected scaleSet:/,
      ),
    ]);
    const bad = policyProblems({
      scaleSet: { resourceId: SCALE_SET },
      fortigate: { port: 70000, protocol: 'ftp', tls: 'pinned', apiKeySecret: 'no spaces allowed' },
    });
    expect(bad).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^pools\[0\]\.fortigate\.port: .*expected a TCP port 1\.\.65535/),
        expect.stringMatching(
          /^pools\[0\]\.fortigate\.protocol: .*expected "https" \(or "http", for loopback/,
        ),
        expect.stringMatching(
          /^pools\[0\]\.fortigate\.tls: .*expected "tofu", "insecure" or \{ caSecret: NAME \}/,
        ),
        expect.stringMatching(/^pools\[0\]\.fortigate\.apiKeySecret: .*1-127 letters, digits and dashes/),
      ]),
    );
  });
});

describe('delivery settings', () => {
  it('keeps FORTIGATE_API_KEY and the ARM token as secrets that never print', () => {
    const settings = loadSettings({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      FORTIGATE_API_KEY: 'fortios-key-123456',
      AZURE_RESOURCE_MANAGER_ENDPOINT: 'https://127.0.0.1:8443',
      AZURE_RESOURCE_MANAGER_TOKEN: 'sim-arm-token-abc',
    });
    expect(settings.fortigateApiKey?.reveal()).toBe('fortios-key-123456');
    expect(settings.armEndpoint).toBe('https://127.0.0.1:8443');
    const printed = `${JSON.stringify(settings)} ${inspect(settings)}`;
    expect(printed).not.toContain('fortios-key-123456');
    expect(printed).not.toContain('sim-arm-token-abc');
  });

  it('refuses an ARM token for a non-loopback endpoint, an http endpoint and a key with spaces, without echoing secrets', () => {
    expect(
      settingProblems({
        AZURE_RESOURCE_MANAGER_ENDPOINT: 'https://management.azure.com',
        AZURE_RESOURCE_MANAGER_TOKEN: 't0ken',
      }),
    ).toEqual([
      expect.stringMatching(
        /^AZURE_RESOURCE_MANAGER_TOKEN: accepted only when AZURE_RESOURCE_MANAGER_ENDPOINT is a loopback/,
      ),
    ]);
    expect(settingProblems({ AZURE_RESOURCE_MANAGER_TOKEN: 't0ken' })).toEqual([
      expect.stringMatching(/^AZURE_RESOURCE_MANAGER_TOKEN: set without AZURE_RESOURCE_MANAGER_ENDPOINT/),
    ]);
    expect(settingProblems({ AZURE_RESOURCE_MANAGER_ENDPOINT: 'http://127.0.0.1:8080' })).toEqual([
      expect.stringMatching(/^AZURE_RESOURCE_MANAGER_ENDPOINT: .*expected https:\/\/host\[:port\]/),
    ]);
    const key = settingProblems({ FORTIGATE_API_KEY: 'has a space' });
    expect(key).toEqual([
      'FORTIGATE_API_KEY: expected a FortiOS REST API key (printable characters, no spaces)',
    ]);
  });

  it('the composition root reads the API key from FORTIGATE_API_KEY without a vault and builds compute for a simulator', async () => {
    const deps = await createAppDependencies({
      env: {
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        FORTIGATE_API_KEY: 'fortios-key-123456',
        AZURE_RESOURCE_MANAGER_ENDPOINT: 'https://127.0.0.1:1',
        AZURE_RESOURCE_MANAGER_TOKEN: 'sim-arm-token-abc',
      },
    });
    expect(await deps.fortigateSecret('fortigate-api-key', 'apiKey')).toBe('fortios-key-123456');
    expect(await deps.fortigateSecret('fortigate-ca', 'ca')).toBeUndefined();
    expect(deps.compute).toBeDefined();
    const none = await createAppDependencies({ env: { AzureWebJobsStorage: 'UseDevelopmentStorage=true' } });
    expect(none.compute).toBeUndefined();
    expect(await none.fortigateSecret('fortigate-api-key', 'apiKey')).toBeUndefined();
  });
});
