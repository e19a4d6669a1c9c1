/**
 * One FortiFlex session across clients that stand for separate processes: each has its own FortiFlexClient
 * and its own store object over the same Azurite, against a simulator that keeps one active token per API
 * user and refuses a freshly issued token once.
 */
import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FortiFlexClient } from '../../../src/lib/fortiflex';
import { openToken, sealToken, sharedTokenKey } from '../../../src/lib/fortiflex/shared-token';
import { createSharedTokenStore } from '../../../src/lib/state';
import { startSimulator, type SimulatorHandle } from '../../../src/simulator';

let sim: SimulatorHandle;
let connectionString: string;
const logs: string[] = [];

beforeAll(async () => {
  connectionString = inject('azuriteConnectionString');
  sim = await startSimulator({ invalidatePreviousTokens: true, refuseFreshTokensOnce: true });
});
afterAll(async () => sim.stop());

/** A client as a separate process would build it: its own store object on the shared storage. */
function processClient(prefix: string | undefined): FortiFlexClient {
  return new FortiFlexClient({
    apiUrl: sim.apiUrl,
    authUrl: sim.authUrl,
    credentials: { get: () => Promise.resolve(sim.credentials) },
    rateLimit: { perMinute: Infinity, perHour: Infinity },
    logger: { debug: (m) => logs.push(m), warn: (m) => logs.push(m) },
    ...(prefix !== undefined && {
      sharedTokens: createSharedTokenStore({ kind: 'connectionString', connectionString }, { prefix }),
    }),
  });
}

const prefixOf = () => `k${randomBytes(4).toString('hex')}`;

describe('shared FortiFlex token', () => {
  it('gives 12 concurrent clients one login, a forced invalidation one more, and no failures', async () => {
    const prefix = prefixOf();
    sim.resetStats();
    const clients = Array.from({ length: 12 }, () => processClient(prefix));
    const first = await Promise.allSettled(clients.map((c) => c.listEntitlements({ configId: 2198 })));
    expect(first.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(sim.stats().logins).toBe(1);

    sim.invalidateTokens(); // someone logged in with another tool
    const later = [...clients, processClient(prefix)];
    const second = await Promise.allSettled(later.map((c) => c.listPrograms()));
    expect(second.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(sim.stats().logins).toBe(2);
    // The freshly issued tokens were refused once each and resent, not replaced by yet another login.
    expect(logs.some((l) => /security token refused .*same token again/.test(l))).toBe(true);
  });

  it('keeps the token sealed at rest: the blob holds neither the token nor the credentials', async () => {
    const prefix = prefixOf();
    const client = processClient(prefix);
    await client.listPrograms();
    const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(
      `${prefix}scaler-tokens`,
    );
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    expect(names).toEqual([`${sharedTokenKey(sim.credentials.username, sim.authUrl)}.json`]);
    const stored = (await container.getBlockBlobClient(names[0]!).downloadToBuffer()).toString('utf8');
    const token = openToken(stored, sim.credentials)!;
    expect(token.accessToken).toMatch(/^[A-Za-z0-9]{30}$/);
    for (const secret of [token.accessToken, token.refreshToken!, sim.credentials.password]) {
      expect(stored).not.toContain(secret);
    }
    expect(names[0]).not.toContain(sim.credentials.username);
    expect(openToken(stored, { ...sim.credentials, password: 'another-password' })).toBeUndefined();
    expect(openToken(stored, { ...sim.credentials, username: 'another-user' })).toBeUndefined();
    const tampered = JSON.stringify({ ...JSON.parse(stored), tag: Buffer.alloc(16).toString('base64') });
    expect(openToken(tampered, sim.credentials)).toBeUndefined();
    const resealed = sealToken(token, sim.credentials);
    expect(resealed).not.toBe(stored); // fresh salt and IV every time
    expect(openToken(resealed, sim.credentials)).toEqual(token);
  });

  it('replaces a token sealed with old credentials instead of failing', async () => {
    const prefix = prefixOf();
    const store = createSharedTokenStore({ kind: 'connectionString', connectionString }, { prefix });
    const key = sharedTokenKey(sim.credentials.username, sim.authUrl);
    const lock = (await store.lock(key))!;
    await lock.write(
      sealToken(
        { accessToken: 'A'.repeat(30), refreshToken: undefined, expiresAt: Date.now() + 3_600_000 },
        { ...sim.credentials, password: 'rotated-away' },
      ),
    );
    expect(await store.lock(key)).toBeNull(); // held: a second process cannot renew meanwhile
    await lock.release();
    sim.resetStats();
    await expect(processClient(prefix).listPrograms()).resolves.not.toHaveLength(0);
    expect(sim.stats().logins).toBe(1);
  });

  it('without a store, a second process invalidates the first one’s token (why the store exists)', async () => {
    const [a, b] = [processClient(undefined), processClient(undefined)];
    sim.resetStats();
    await a.listPrograms();
    await b.listPrograms();
    await a.listPrograms();
    // a's token died with b's login: a logged in again.
    expect(sim.stats().logins).toBe(3);
  });
});
