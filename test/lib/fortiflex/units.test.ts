import { describe, expect, it } from 'vitest';
import { toRequestParameters, redactSecrets, FortiFlexRateLimitError } from '../../../src/lib/fortiflex';
import { parseEntitlements, parsePointsEstimate, parseProgramPoints } from '../../../src/lib/fortiflex/parse';
import { RateLimiter } from '../../../src/lib/fortiflex/rate-limit';
import { parseRetryAfter, retryDelayMs } from '../../../src/lib/fortiflex/retry';
import { interpretResponse } from '../../../src/lib/fortiflex/response';

const raw = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers: { get: (name: string) => headers[name.toLowerCase()] ?? null },
  text: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('retry decisions', () => {
  it('draws full jitter below an exponentially growing, capped ceiling', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
    expect([0, 1, 2, 3, 4, 5].map((n) => retryDelayMs(n, new Error('x'), () => 0.999, options))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(retryDelayMs(3, new Error('x'), () => 0, options)).toBe(0);
  });

  it('uses Retry-After unjittered, capped at maxRetryAfterMs', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
    const limited = (ms: number) =>
      new FortiFlexRateLimitError('op', 'x', { httpStatus: 429, retryAfterMs: ms });
    expect(retryDelayMs(0, limited(3000), () => 0.1, options)).toBe(3000);
    expect(retryDelayMs(0, limited(60_000), () => 0.1, options)).toBe(5000);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-03-02T08:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Mon, 02 Mar 2026 08:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('interpretResponse', () => {
  it('accepts status 0 and "success"; rejects non-zero status even with HTTP 200', () => {
    expect(interpretResponse('op', raw(200, { status: 0, programs: [] }), 0).kind).toBe('ok');
    expect(interpretResponse('op', raw(200, { status: 'success' }), 0).kind).toBe('ok');
    expect(() => interpretResponse('op', raw(200, { status: -1, message: 'Nope' }), 0)).toThrow(
      'op: Nope (errorCode -1)',
    );
    expect(() => interpretResponse('op', raw(404, { status: 0 }), 0)).toThrow(
      'op: request failed (HTTP 404)',
    );
  });

  it('recognizes rejected tokens and rate-limit codes', () => {
    expect(
      interpretResponse('op', raw(200, { status: -1, message: 'Invalid security token.' }), 0).kind,
    ).toBe('invalidToken');
    expect(() =>
      interpretResponse('op', raw(200, { status: -11, message: 'Exceed max requests in hour' }), 0),
    ).toThrow(FortiFlexRateLimitError);
  });
});

describe('parsers', () => {
  it('reads the legacy vms key and an object payload as a list', () => {
    const e = { serialNumber: 'FGVM1', configId: '5', accountId: 7, status: 'ACTIVE' };
    expect(parseEntitlements({ vms: e })).toEqual([
      {
        serialNumber: 'FGVM1',
        description: '',
        configId: 5,
        accountId: 7,
        startDate: '',
        endDate: '',
        status: 'ACTIVE',
        token: '',
        tokenStatus: '',
      },
    ]);
  });

  it('reads points estimates given as a bare number and refuses program points without a balance', () => {
    expect(parsePointsEstimate({ points: 4.5 })).toEqual({
      current: 4.5,
      latest: null,
      latestEffectiveDate: null,
    });
    expect(() => parseProgramPoints({ status: 0 }, 'ELAVMS1')).toThrow(/no recognisable points balance/);
  });

  it('builds request parameters with repeated ids for lists and NONE for an empty list', () => {
    expect(
      toRequestParameters([
        { id: 1, value: 4 },
        { id: 43, value: ['FGTAVDB', 'FGTFAIS'] },
        { id: 44, value: [] },
      ]),
    ).toEqual([
      { id: 1, value: '4' },
      { id: 43, value: 'FGTAVDB' },
      { id: 43, value: 'FGTFAIS' },
      { id: 44, value: 'NONE' },
    ]);
  });
});

describe('redactSecrets', () => {
  it('removes known secrets and bearer values but ignores very short strings', () => {
    expect(redactSecrets('Authorization: Bearer abc.DEF-123 pw=hunter22 id=ab', ['hunter22', 'ab'])).toBe(
      'Authorization: Bearer [redacted] pw=[redacted] id=ab',
    );
  });
});

describe('RateLimiter', () => {
  it('enforces the hourly bucket as well as the minute bucket', async () => {
    let now = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter(
      { perMinute: 100, perHour: 2 },
      () => now,
      (ms) => {
        waits.push(ms);
        now += ms;
        return Promise.resolve();
      },
    );
    for (let i = 0; i < 3; i += 1) await limiter.acquire();
    expect(waits).toEqual([1_800_000]);
  });

  it('is a no-op when both limits are Infinity', async () => {
    const limiter = new RateLimiter(
      { perMinute: Infinity, perHour: Infinity },
      () => 0,
      () => {
        throw new Error('must not wait');
      },
    );
    expect(limiter.enabled).toBe(false);
    for (let i = 0; i < 1000; i += 1) await limiter.acquire();
  });
});

describe('parseEntitlements fast path', () => {
  it('gives the same result as the schema for canonical and quirky items', () => {
    const canonical = {
      serialNumber: 'FGVM1',
      description: 'x',
      configId: 5,
      accountId: 7,
      startDate: 's',
      endDate: 'e',
      status: 'ACTIVE',
      token: 'T',
      tokenStatus: 'USED',
      extra: 'ignored',
    };
    const quirky = { ...canonical, configId: '5', description: null };
    const { extra: _extra, ...expected } = canonical;
    expect(parseEntitlements({ entitlements: [canonical] })).toEqual([expected]);
    expect(parseEntitlements({ entitlements: [canonical, quirky] })).toEqual([
      expected,
      { ...expected, description: '' },
    ]);
  });
});
