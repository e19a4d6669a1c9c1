import { describe, expect, it, vi } from 'vitest';
import {
  FortiFlexAbortError,
  FortiFlexApiError,
  FortiFlexAuthError,
  FortiFlexClient,
  FortiFlexError,
  FortiFlexNetworkError,
  FortiFlexRateLimitError,
  FortiFlexResponseError,
  FortiFlexTimeoutError,
  type CredentialsProvider,
  type FortiFlexClientOptions,
} from '../../../src/lib/fortiflex';
import {
  API_URL,
  apiError,
  AUTH_URL,
  createFakeFetch,
  fixture,
  ok,
  systemError,
  type Route,
} from './fake-fetch';

const PASSWORD = 'pw-secret-0001';
const USERNAME = 'api-user-0001';
const staticCredentials: CredentialsProvider = {
  get: () => Promise.resolve({ username: USERNAME, password: PASSWORD }),
};

const entitlement = (serialNumber: string, status: string, extra: Record<string, unknown> = {}) => ({
  serialNumber,
  description: '',
  configId: 2198,
  accountId: 12345,
  startDate: '2026-01-18T07:47:42.257',
  endDate: '2027-05-29T00:00:00',
  status,
  token: 'EF0AAE0ADA1B577453E3',
  tokenStatus: 'USED',
  ...extra,
});

function setup(routes: Record<string, Route | Route[]>, options: Partial<FortiFlexClientOptions> = {}) {
  const fake = createFakeFetch(routes);
  const sleeps: number[] = [];
  const logs: string[] = [];
  const client = new FortiFlexClient({
    apiUrl: API_URL,
    authUrl: AUTH_URL,
    credentials: staticCredentials,
    fetch: fake.fetch,
    rateLimit: { perMinute: Infinity, perHour: Infinity },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    logger: { debug: (m) => logs.push(m), warn: (m) => logs.push(m) },
    ...options,
  });
  return { client, fake, sleeps, logs };
}

const programs = ok('programs', fixture('programs-list').programs);

describe('reads retry transient faults', () => {
  it.each([
    ['HTTP 503', { status: 503, body: { status: -1, message: 'Service Unavailable' } }],
    ['HTTP 500 without JSON', { status: 500, text: '<html>oops</html>' }],
    ['a reset connection', { error: systemError('ECONNRESET') }],
    ['a malformed reply', { text: '{"status":0,"programs":[' }],
    ['envelope rate limit -10', { status: 200, body: fixture('error-rate-limit') }],
  ] as const)('succeeds after %s', async (_name, fault) => {
    const { client, fake, sleeps } = setup({ 'programs/list': [fault as Route, programs] });
    await expect(client.listPrograms()).resolves.toHaveLength(1);
    expect(fake.callsTo('programs/list')).toHaveLength(2);
    // Full jitter: random 0.5 of the first 250 ms ceiling.
    expect(sleeps).toEqual([125]);
  });

  it('waits exactly the Retry-After of a 429 instead of the jittered backoff', async () => {
    const { client, sleeps } = setup({
      'programs/list': [
        { status: 429, headers: { 'Retry-After': '2' }, body: { status: -1, message: 'Too many' } },
        programs,
      ],
    });
    await expect(client.listPrograms()).resolves.toHaveLength(1);
    expect(sleeps).toEqual([2000]);
  });

  it('gives up after maxRetries with the error class of the last fault', async () => {
    const { client, fake, sleeps } = setup(
      { 'programs/list': { error: systemError('ECONNRESET') } },
      { maxRetries: 3 },
    );
    const error = await client.listPrograms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexNetworkError);
    expect((error as FortiFlexNetworkError).message).toBe('programs/list: network error (ECONNRESET)');
    expect(fake.callsTo('programs/list')).toHaveLength(4);
    expect(sleeps).toEqual([125, 250, 500]);
  });

  it('fails with FortiFlexRateLimitError carrying retryAfterMs when the limit persists', async () => {
    const { client } = setup(
      { 'programs/list': { status: 429, headers: { 'retry-after': '7' }, body: {} } },
      { maxRetries: 1 },
    );
    const error = await client.listPrograms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexRateLimitError);
    expect((error as FortiFlexRateLimitError).retryAfterMs).toBe(7000);
  });

  it('fails at once, without another request, when Retry-After exceeds the longest wait it honours', async () => {
    const { client, fake, sleeps } = setup(
      { 'programs/list': { status: 429, headers: { 'Retry-After': '3600' }, body: {} } },
      // A budget long enough to wait: the refusal must come from the Retry-After cap, not the deadline.
      { totalTimeoutMs: 10 * 3_600_000 },
    );
    const error = await client.listPrograms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexRateLimitError);
    expect((error as FortiFlexRateLimitError).retryAfterMs).toBe(3_600_000);
    expect(sleeps).toEqual([]);
    expect(fake.callsTo('programs/list')).toHaveLength(1);
  });

  it('leaves no timer running when the caller aborts a Retry-After wait', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const { client, fake } = setup(
      { 'programs/list': { status: 429, headers: { 'Retry-After': '60' }, body: {} } },
      { sleep: undefined },
    );
    const before = timers();
    const controller = new AbortController();
    const pending = client.listPrograms({ signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fake.callsTo('programs/list')).toHaveLength(1);
    expect(timers()).toBeGreaterThan(before);
    controller.abort();
    expect(await pending).toBeInstanceOf(FortiFlexAbortError);
    expect(timers()).toBe(before);
  });

  it('times out a hanging attempt and retries it', async () => {
    const { client, fake } = setup({ 'programs/list': [{ hang: true }, programs] }, { attemptTimeoutMs: 20 });
    await expect(client.listPrograms()).resolves.toHaveLength(1);
    expect(fake.callsTo('programs/list')).toHaveLength(2);
  });

  it('fails with FortiFlexTimeoutError when every attempt hangs', async () => {
    const { client } = setup({ 'programs/list': { hang: true } }, { attemptTimeoutMs: 10, maxRetries: 1 });
    const error = await client.listPrograms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexTimeoutError);
    expect(String(error)).toMatch(/programs\/list: no reply within 10 ms/);
  });

  it('stops at the total budget even with retries left', async () => {
    const { client, fake } = setup(
      { 'programs/list': { hang: true } },
      { attemptTimeoutMs: 1000, totalTimeoutMs: 30, maxRetries: 5 },
    );
    const error = await client.listPrograms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexTimeoutError);
    expect(fake.callsTo('programs/list')).toHaveLength(1);
  });

  it('does not retry an API rejection and names operation, message and error code', async () => {
    const { client, fake } = setup({ 'configs/update': apiError('Parameter id 1 value is invalid.', 400) });
    const error = await client
      .updateConfig({ id: 22, parameters: [{ id: 1, value: '999' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexApiError);
    expect(error).toMatchObject({
      errorCode: 400,
      httpStatus: 400,
      apiMessage: 'Parameter id 1 value is invalid.',
    });
    expect((error as Error).message).toBe(
      'configs/update 22: Parameter id 1 value is invalid. (errorCode 400)',
    );
    expect(fake.callsTo('configs/update')).toHaveLength(1);
  });

  it('treats HTTP 200 with a non-zero envelope status as a failure', async () => {
    const { client } = setup({
      'groups/list': {
        status: 200,
        body: { status: -1, message: 'Invalid parameter value', error: { errorCode: -1 } },
      },
    });
    await expect(client.listGroups({ accountId: 1 })).rejects.toThrow(
      'groups/list: Invalid parameter value (errorCode -1)',
    );
  });

  it('rejects a success reply whose payload has the wrong shape without retrying', async () => {
    const { client, fake } = setup({ 'programs/list': ok('programs', [{ accountId: 1 }]) });
    const error = await client.listPrograms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexResponseError);
    expect(String(error)).toMatch(/programs payload at 0\.serialNumber/);
    expect(fake.callsTo('programs/list')).toHaveLength(1);
  });

  it('aborts a wait between retries when the caller aborts', async () => {
    const controller = new AbortController();
    const { client } = setup(
      { 'programs/list': { status: 503, body: {} } },
      { sleep: () => new Promise((resolve) => setTimeout(resolve, 5_000)) },
    );
    const pending = client.listPrograms({ signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 20);
    const error = await pending;
    expect(error).toBeInstanceOf(FortiFlexAbortError);
    expect(String(error)).toMatch(/programs\/list: aborted/);
  });
});

describe('token lifecycle', () => {
  it('makes exactly one login for concurrent first calls', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { client, fake } = setup({
      'oauth/token': async () => {
        await gate;
        return { body: fixture('oauth-token') };
      },
      'programs/list': programs,
    });
    const calls = Array.from({ length: 20 }, () => client.listPrograms());
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    await Promise.all(calls);
    expect(fake.callsTo('oauth/token')).toHaveLength(1);
    expect(client.stats()).toEqual({ calls: 21, logins: 1 });
  });

  it('reuses the token until expires_in minus 60 s, then uses the refresh grant', async () => {
    let now = 1_000_000;
    const { client, fake } = setup({ 'programs/list': programs }, { now: () => now });
    await client.listPrograms();
    now += (3660 - 61) * 1000;
    await client.listPrograms();
    expect(fake.callsTo('oauth/token')).toHaveLength(1);
    now += 2000;
    await client.listPrograms();
    const logins = fake.callsTo('oauth/token');
    expect(logins).toHaveLength(2);
    expect(logins[1]!.body).toEqual({
      client_id: 'flexvm',
      grant_type: 'refresh_token',
      refresh_token: '5popAdZsnku1mdb0uaLntVBgI9jNpw',
    });
  });

  it('reuses a token that lives less than the skew for half its lifetime instead of logging in every call', async () => {
    let now = 0;
    const { client, fake } = setup(
      {
        'oauth/token': { body: { access_token: 'short-lived-token-1', expires_in: 30 } },
        'programs/list': programs,
      },
      { now: () => now },
    );
    await client.listPrograms();
    now += 14_000;
    await client.listPrograms();
    expect(fake.callsTo('oauth/token')).toHaveLength(1);
    now += 2_000;
    await client.listPrograms();
    expect(fake.callsTo('oauth/token')).toHaveLength(2);
  });

  it('reports a login that outlasts the total budget as FortiFlexTimeoutError of the operation', async () => {
    const { client, fake } = setup(
      { 'oauth/token': { hang: true }, 'programs/list': programs },
      { totalTimeoutMs: 30, attemptTimeoutMs: 5_000 },
    );
    const error = await client.listPrograms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexTimeoutError);
    expect(String(error)).toMatch(/programs\/list: total budget of 30 ms used up/);
    expect(fake.callsTo('programs/list')).toHaveLength(0);
  });

  it('falls back to the password grant when the refresh token is refused', async () => {
    let now = 0;
    const { client, fake } = setup(
      {
        'oauth/token': (body) =>
          body.grant_type === 'refresh_token'
            ? { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid refresh token.' } }
            : { body: fixture('oauth-token') },
        'programs/list': programs,
      },
      { now: () => now },
    );
    await client.listPrograms();
    now += 3_700_000;
    await client.listPrograms();
    expect(fake.callsTo('oauth/token').map((c) => c.body.grant_type)).toEqual([
      'password',
      'refresh_token',
      'password',
    ]);
    expect(client.stats().logins).toBe(2);
  });

  it.each([
    ['envelope "Invalid security token."', { status: 200, body: fixture('error-invalid-token') }],
    ['HTTP 401', { status: 401, body: { detail: 'unauthorized' } }],
  ] as const)(
    'resends with the same token after a transient %s, without logging in',
    async (_name, fault) => {
      const { client, fake, sleeps } = setup({ 'programs/list': [programs, fault as Route, programs] });
      await client.listPrograms();
      await client.listPrograms();
      const sent = fake.callsTo('programs/list').map((c) => c.headers.Authorization);
      expect(sent).toHaveLength(3);
      expect(new Set(sent).size).toBe(1);
      expect(client.stats().logins).toBe(1);
      expect(sleeps).toEqual([125]); // backoff before the resend: full jitter of 250 ms at random 0.5
    },
  );

  it('treats a token refused 4 times in a row as dead and logs in once', async () => {
    const refused = { status: 401, body: fixture('error-invalid-token') } as Route;
    const { client, fake, sleeps } = setup({
      'programs/list': [programs, refused, refused, refused, refused, programs],
    });
    await client.listPrograms();
    await client.listPrograms();
    expect(fake.callsTo('programs/list')).toHaveLength(6);
    expect(fake.callsTo('oauth/token')).toHaveLength(2);
    expect(sleeps).toEqual([125, 250, 500]);
  });

  it('re-logs in once when many in-flight calls hold the same invalidated token', async () => {
    let valid = 'first';
    let issued = 0;
    const { client, fake } = setup({
      'oauth/token': () => {
        issued += 1;
        valid = `token-${issued}-abcdef`;
        return { body: { access_token: valid, expires_in: 3660, refresh_token: `refresh-${issued}-abcdef` } };
      },
      'programs/list': (_body, call) =>
        call.headers.Authorization === `Bearer ${valid}`
          ? programs
          : { body: fixture('error-invalid-token') },
    });
    await client.listPrograms();
    valid = 'revoked-elsewhere';
    await Promise.all(Array.from({ length: 10 }, () => client.listPrograms()));
    expect(fake.callsTo('oauth/token')).toHaveLength(2);
  });

  it('gives up with FortiFlexAuthError after a fixed budget when every token is refused', async () => {
    const { client, fake } = setup({ 'programs/list': { body: fixture('error-invalid-token') } });
    const error = await client.listPrograms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexAuthError);
    expect(String(error)).toMatch(
      /^FortiFlexAuthError: programs\/list: security token rejected again after 2 fresh logins \(Invalid security token\.\)$/,
    );
    // Each token: the first send and 3 resends; two replacements; never more.
    expect(fake.callsTo('programs/list')).toHaveLength(12);
    expect(fake.callsTo('oauth/token')).toHaveLength(3);
  });

  it('invalidates the credentials after a rejection and succeeds with rotated ones', async () => {
    let password = 'old-password-1';
    const invalidate = vi.fn(() => void (password = 'new-password-2'));
    const { client, fake } = setup(
      {
        'oauth/token': (body) =>
          body.password === 'new-password-2'
            ? { body: fixture('oauth-token') }
            : {
                status: 401,
                body: { error: 'invalid_grant', error_description: 'Invalid credentials given.' },
              },
        'programs/list': programs,
      },
      { credentials: { get: () => Promise.resolve({ username: USERNAME, password }), invalidate } },
    );
    await expect(client.listPrograms()).resolves.toHaveLength(1);
    expect(invalidate).toHaveBeenCalledTimes(1);
    expect(fake.callsTo('oauth/token')).toHaveLength(2);
  });

  it('reports bad credentials as FortiFlexAuthError without leaking them into messages or logs', async () => {
    const invalidate = vi.fn();
    const { client, logs } = setup(
      {
        'oauth/token': {
          status: 400,
          body: {
            error: 'invalid_grant',
            error_description: `Invalid credentials given for ${USERNAME} / ${PASSWORD}`,
          },
        },
      },
      { credentials: { ...staticCredentials, invalidate } },
    );
    const error = await client.listPrograms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexAuthError);
    expect(invalidate).toHaveBeenCalled();
    const everything = [
      String(error),
      (error as Error).stack ?? '',
      JSON.stringify(error),
      String((error as Error).cause),
      JSON.stringify((error as Error).cause),
      ...logs,
    ].join('\n');
    expect(everything).toMatch(/programs\/list: login failed: oauth\/token: credentials rejected \(HTTP 400/);
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(USERNAME);
  });

  it('never puts tokens or Authorization values into errors or logs, even when the server echoes them', async () => {
    const token = fixture('oauth-token').access_token as string;
    const { client, logs } = setup({
      'programs/list': [
        { status: 503, body: { status: -1, message: `backend saw Authorization: Bearer ${token}` } },
        { status: 400, body: { status: -1, message: `bad request with token ${token} and ${PASSWORD}` } },
      ],
    });
    const error = await client.listPrograms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexApiError);
    // JSON.stringify covers every enumerable property a logger might serialize (apiMessage, detail, …).
    const everything = [String(error), (error as Error).stack ?? '', JSON.stringify(error), ...logs].join(
      '\n',
    );
    expect((error as FortiFlexApiError).apiMessage).toContain('[redacted]');
    expect(everything).toContain('[redacted]');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(PASSWORD);
  });
});

describe('stop and reactivate', () => {
  const serial = 'FGVMMLTM22004497';
  const scope = { configId: 2198 };

  it('confirms an ambiguous 500 by re-reading and does not stop twice', async () => {
    const { client, fake } = setup({
      'entitlements/stop': { status: 500, body: { status: -1, message: 'Internal Server Error' } },
      'entitlements/list': ok('entitlements', [entitlement(serial, 'STOPPED')]),
    });
    await expect(client.stopEntitlement({ serialNumber: serial, scope })).resolves.toMatchObject({
      status: 'STOPPED',
    });
    expect(fake.callsTo('entitlements/stop')).toHaveLength(1);
    expect(fake.callsTo('entitlements/list')[0]!.body).toEqual({ configId: 2198, serialNumber: serial });
  });

  it('re-sends when the re-read shows the change did not happen', async () => {
    const { client, fake } = setup({
      'entitlements/stop': [
        { error: systemError('ECONNRESET') },
        ok('entitlements', [entitlement(serial, 'STOPPED')]),
      ],
      'entitlements/list': ok('entitlements', [entitlement(serial, 'ACTIVE')]),
    });
    await expect(client.stopEntitlement({ serialNumber: serial, scope })).resolves.toMatchObject({
      status: 'STOPPED',
    });
    expect(fake.callsTo('entitlements/stop')).toHaveLength(2);
  });

  it('surfaces an ambiguous failure when there is no scope to re-read', async () => {
    const { client, fake } = setup({
      'entitlements/stop': { status: 502, body: { status: -1, message: 'Bad Gateway' } },
    });
    const error = await client.stopEntitlement({ serialNumber: serial }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexApiError);
    expect((error as FortiFlexApiError).ambiguous).toBe(true);
    expect(fake.callsTo('entitlements/stop')).toHaveLength(1);
  });

  it('treats "already STOPPED" as success after confirming it', async () => {
    const { client } = setup({
      'entitlements/stop': { status: 400, body: fixture('error-stop-stopped') },
      'entitlements/list': ok('entitlements', [entitlement(serial, 'STOPPED')]),
    });
    await expect(client.stopEntitlement({ serialNumber: serial, scope })).resolves.toMatchObject({
      status: 'STOPPED',
    });
  });

  it('treats "already ACTIVE" as success on reactivate', async () => {
    const { client } = setup({
      'entitlements/reactivate': { status: 400, body: fixture('error-stop-stopped') },
      'entitlements/list': ok('entitlements', [entitlement(serial, 'ACTIVE')]),
    });
    await expect(client.reactivateEntitlement({ serialNumber: serial, scope })).resolves.toMatchObject({
      status: 'ACTIVE',
    });
  });

  it('reports the rejection when the entitlement is in another state (PENDING cannot be stopped)', async () => {
    const { client } = setup({
      'entitlements/stop': { status: 400, body: fixture('error-stop-stopped') },
      'entitlements/list': ok('entitlements', [entitlement(serial, 'PENDING')]),
    });
    await expect(client.stopEntitlement({ serialNumber: serial, scope })).rejects.toThrow(
      `entitlements/stop ${serial}: Unable to update VM from current status. (errorCode 400)`,
    );
  });

  it('reports the rejection unconfirmed without a scope', async () => {
    const { client, fake } = setup({
      'entitlements/stop': { status: 400, body: fixture('error-stop-stopped') },
    });
    await expect(client.stopEntitlement({ serialNumber: serial })).rejects.toBeInstanceOf(FortiFlexApiError);
    expect(fake.callsTo('entitlements/list')).toHaveLength(0);
  });
});

describe('creates are never blindly repeated', () => {
  const created = entitlement('FGVMMLTM26000999', 'PENDING', {
    description: 'pool-a req-1',
    tokenStatus: 'NOTUSED',
  });
  const existing = entitlement('FGVMMLTM26000001', 'ACTIVE');

  it('finds the entitlement created by an attempt whose reply was lost, and sends no second create', async () => {
    const { client, fake } = setup({
      'entitlements/list': [ok('entitlements', [existing]), ok('entitlements', [existing, created])],
      'entitlements/vm/create': { error: systemError('ECONNRESET') },
    });
    const result = await client.createVmEntitlements({ configId: 2198, description: 'pool-a req-1' });
    expect(result.map((e) => e.serialNumber)).toEqual(['FGVMMLTM26000999']);
    expect(fake.callsTo('entitlements/vm/create')).toHaveLength(1);
  });

  it('re-sends the create when the re-read shows nothing was created', async () => {
    const { client, fake } = setup(
      {
        'entitlements/list': ok('entitlements', [existing]),
        'entitlements/vm/create': [{ hang: true }, ok('entitlements', [created])],
      },
      { attemptTimeoutMs: 20 },
    );
    const result = await client.createVmEntitlements({ configId: 2198, description: 'pool-a req-1' });
    expect(result.map((e) => e.serialNumber)).toEqual(['FGVMMLTM26000999']);
    expect(fake.callsTo('entitlements/vm/create')).toHaveLength(2);
  });

  it('re-sends without checking when the request was refused before processing (rate limit)', async () => {
    const { client, fake } = setup({
      'entitlements/list': ok('entitlements', [existing]),
      'entitlements/vm/create': [{ status: 429, body: {} }, ok('entitlements', [created])],
    });
    await expect(
      client.createVmEntitlements({ configId: 2198, description: 'pool-a req-1' }),
    ).resolves.toHaveLength(1);
    expect(fake.callsTo('entitlements/list')).toHaveLength(1);
    expect(fake.callsTo('entitlements/vm/create')).toHaveLength(2);
  });

  it('refuses to guess when more new entitlements appear than were requested', async () => {
    const other = { ...created, serialNumber: 'FGVMMLTM26000998' };
    const { client, fake } = setup({
      'entitlements/list': [ok('entitlements', [existing]), ok('entitlements', [existing, created, other])],
      'entitlements/vm/create': { status: 504, body: {} },
    });
    const error = await client
      .createVmEntitlements({ configId: 2198, description: 'pool-a req-1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexError);
    expect((error as FortiFlexError).retryable).toBe(false);
    expect(String(error)).toMatch(
      /outcome uncertain after FortiFlexApiError \(request failed \(HTTP 504\)\): found 2 .*FGVMMLTM26000998, FGVMMLTM26000999/,
    );
    expect(fake.callsTo('entitlements/vm/create')).toHaveLength(1);
  });

  it('does not retry a business rejection of a create', async () => {
    const { client, fake } = setup({
      'entitlements/list': ok('entitlements', []),
      'entitlements/vm/create': apiError('Insufficient points.', 400),
    });
    await expect(client.createVmEntitlements({ configId: 2198 })).rejects.toBeInstanceOf(FortiFlexApiError);
    expect(fake.callsTo('entitlements/vm/create')).toHaveLength(1);
    expect(fake.callsTo('entitlements/list')).toHaveLength(1);
  });

  it('re-sends only the hardware serials that were not created', async () => {
    const { client, fake } = setup({
      'entitlements/hardware/create': [
        { status: 500, body: {} },
        ok('entitlements', [entitlement('FGT60FTK19000013', 'ACTIVE')]),
      ],
      'entitlements/list': ok('entitlements', [entitlement('FGT60FTK19000010', 'ACTIVE')]),
    });
    const result = await client.createHardwareEntitlements({
      configId: 2198,
      serialNumbers: ['FGT60FTK19000010', 'FGT60FTK19000013'],
    });
    expect(result.map((e) => e.serialNumber)).toEqual(['FGT60FTK19000010', 'FGT60FTK19000013']);
    expect(fake.callsTo('entitlements/hardware/create')[1]!.body.serialNumbers).toEqual(['FGT60FTK19000013']);
  });

  it('takes a config with the requested name as the result of an ambiguous configs/create', async () => {
    const config = fixture('configs-create').configs as Record<string, unknown>;
    const { client, fake } = setup({
      'configs/create': { text: 'not json' },
      'configs/list': ok('configs', [config]),
    });
    const result = await client.createConfig({
      programSerialNumber: 'ELAVMR0000000101',
      name: 'Test Configuration',
      productTypeId: 1,
      parameters: [],
    });
    expect(result.id).toBe(3224);
    expect(fake.callsTo('configs/create')).toHaveLength(1);
  });

  it('does not repeat an ambiguous transfer but does repeat one refused by the rate limit', async () => {
    const q = {
      sourceAccountId: 1,
      sourceConfigId: 2,
      targetAccountId: 3,
      targetConfigId: 4,
      serialNumbers: ['FGVM000000000001'],
    };
    const ambiguous = setup({ 'entitlements/transfer': { error: systemError('ECONNRESET') } });
    await expect(ambiguous.client.transferEntitlements(q)).rejects.toBeInstanceOf(FortiFlexNetworkError);
    expect(ambiguous.fake.callsTo('entitlements/transfer')).toHaveLength(1);
    const limited = setup({
      'entitlements/transfer': [{ status: 429, body: {} }, ok('entitlements', [])],
    });
    await expect(limited.client.transferEntitlements(q)).resolves.toEqual([]);
    expect(limited.fake.callsTo('entitlements/transfer')).toHaveLength(2);
  });

  it('re-sends a create after a refused connection, which proves the server never saw it', async () => {
    const { client, fake } = setup({
      'entitlements/list': ok('entitlements', []),
      'entitlements/cloud/create': [{ error: systemError('ECONNREFUSED') }, ok('entitlements', [created])],
    });
    await expect(client.createCloudEntitlement({ configId: 2198 })).resolves.toHaveLength(1);
    expect(fake.callsTo('entitlements/list')).toHaveLength(1);
  });
});

describe('client-side rate limiter', () => {
  it('waits for the per-minute budget instead of failing', async () => {
    let now = 0;
    const waits: number[] = [];
    const { client, fake } = setup(
      { 'programs/list': programs },
      {
        rateLimit: { perMinute: 3, perHour: 1000 },
        now: () => now,
        sleep: (ms) => {
          waits.push(ms);
          now += ms;
          return Promise.resolve();
        },
      },
    );
    for (let i = 0; i < 5; i += 1) await client.listPrograms();
    expect(fake.callsTo('programs/list')).toHaveLength(5);
    // 3 immediately, then one token every 20 s.
    expect(waits).toEqual([20_000, 20_000]);
    expect(now).toBe(40_000);
  });
});

describe('rate limiter waits and budgets', () => {
  it('lets a caller queued behind another rate-limit wait abort at once without sending a request', async () => {
    let now = 0;
    let releaseWait: () => void = () => undefined;
    const { client, fake } = setup(
      { 'programs/list': programs },
      {
        rateLimit: { perMinute: 1, perHour: Infinity },
        now: () => now,
        sleep: (ms) =>
          new Promise<void>((resolve) => {
            releaseWait = () => {
              now += ms;
              resolve();
            };
          }),
      },
    );
    await client.listPrograms();
    const waiting = client.listPrograms();
    const controller = new AbortController();
    const queued = client.listPrograms({ signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    const error = await queued;
    expect(error).toBeInstanceOf(FortiFlexAbortError);
    expect(String(error)).toMatch(/programs\/list: aborted by the caller/);
    releaseWait();
    await expect(waiting).resolves.toHaveLength(1);
    expect(fake.callsTo('programs/list')).toHaveLength(2);
  });

  it('ends a rate-limit wait with FortiFlexTimeoutError naming the operation when the total budget runs out', async () => {
    const { client } = setup(
      { 'programs/list': programs },
      {
        rateLimit: { perMinute: 1 },
        totalTimeoutMs: 30,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      },
    );
    await client.listPrograms();
    const error = await client.listPrograms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FortiFlexTimeoutError);
    expect(String(error)).toMatch(/programs\/list: total budget of 30 ms used up/);
  });
});
