import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/io';
import { createClientFromEnvironment } from '../../src/cli/setup';

describe('createClientFromEnvironment', () => {
  it('rejects a URL setting that is not a URL, naming the setting', async () => {
    await expect(createClientFromEnvironment({ FORTIFLEX_API_URL: 'support.fortinet.com' })).rejects.toThrow(
      /FORTIFLEX_API_URL: "support.fortinet.com" is not a URL/,
    );
    await expect(createClientFromEnvironment({ FORTIFLEX_AUTH_URL: 'x' })).rejects.toBeInstanceOf(UsageError);
  });

  it('builds a client without touching the network', async () => {
    const client = await createClientFromEnvironment({});
    expect(client.stats()).toEqual({ calls: 0, logins: 0 });
  });
});
