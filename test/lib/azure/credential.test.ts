import { describe, expect, it } from 'vitest';
import {
  createArmCredential,
  DEFAULT_ARM_ENDPOINT,
  isLoopbackHost,
  parseArmEndpoint,
  staticTokenCredential,
} from '../../../src/lib/azure/credential';

describe('ARM endpoint and credential', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['127.0.0.1', true],
    ['127.45.6.7', true],
    ['[::1]', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['management.azure.com', false],
    ['localhost.example.com', false],
    ['127.0.0.1.nip.io', false],
    ['[::2]', false],
  ])('%s is loopback: %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it('defaults the endpoint and normalises it to an origin', () => {
    expect(parseArmEndpoint(undefined)).toBe(DEFAULT_ARM_ENDPOINT);
    expect(parseArmEndpoint('  ')).toBe(DEFAULT_ARM_ENDPOINT);
    expect(parseArmEndpoint('https://127.0.0.1:8443/')).toBe('https://127.0.0.1:8443');
  });

  it.each([
    [
      'not a url',
      /^AZURE_RESOURCE_MANAGER_ENDPOINT: "not a url" is not a URL; expected https:\/\/host\[:port\]$/,
    ],
    [
      'http://127.0.0.1:80',
      /^AZURE_RESOURCE_MANAGER_ENDPOINT: .* expected https:\/\/host\[:port\] \(HTTPS, no path\)$/,
    ],
    ['https://management.azure.com/sub', /^AZURE_RESOURCE_MANAGER_ENDPOINT: /],
  ])('refuses the endpoint %j in one line', (value, message) => {
    expect(() => parseArmEndpoint(value)).toThrow(message);
  });

  it('accepts a static token for loopback endpoints and answers it', async () => {
    for (const endpoint of ['https://127.0.0.1:9443', 'https://localhost:1', 'https://[::1]:443']) {
      const credential = createArmCredential({ endpoint, staticToken: 'sim-token' });
      expect((await credential.getToken(['https://management.azure.com/.default']))?.token).toBe('sim-token');
    }
  });

  it('refuses a static token for any other endpoint, naming the setting and never the token', () => {
    for (const endpoint of [
      undefined,
      'https://management.azure.com',
      'https://10.1.2.3:443',
      'https://127.0.0.1.nip.io',
    ]) {
      let message = '';
      try {
        createArmCredential({ endpoint, staticToken: 'secret-static-token' });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(
        /^AZURE_RESOURCE_MANAGER_TOKEN: a static token is accepted only when AZURE_RESOURCE_MANAGER_ENDPOINT is a loopback address/,
      );
      expect(message).not.toContain('secret-static-token');
      expect(message.split('\n')).toHaveLength(1);
    }
  });

  it('uses DefaultAzureCredential without a static token (loaded lazily, nothing requested yet)', () => {
    const credential = createArmCredential({
      endpoint: 'https://management.azure.com',
      managedIdentityClientId: 'abc',
    });
    expect(typeof credential.getToken).toBe('function');
    // A blank token means "not set", not a token.
    expect(() =>
      createArmCredential({ endpoint: 'https://management.azure.com', staticToken: '  ' }),
    ).not.toThrow();
  });

  it('a static credential stays valid for the whole run', async () => {
    const token = await staticTokenCredential('t').getToken([]);
    expect(token!.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3600_000);
  });
});
