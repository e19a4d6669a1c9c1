import { describe, expect, it } from 'vitest';
import { redactDetails, redactText } from '../../../src/lib/state/redact';

describe('redactText', () => {
  it.each([
    [
      'HTTP 401 (Authorization: Bearer eyJhbGciOi.abc-def_ghi==)',
      'HTTP 401 (Authorization: Bearer [redacted])',
    ],
    [
      'request {"username":"u","password":"p w d"} refused',
      'request {"username":"u","password":[redacted]} refused',
    ],
    [
      'grant_type=password&password=hunter2&client_id=x',
      'grant_type=password&password=[redacted]&client_id=x',
    ],
    [
      'AccountName=st;AccountKey=YWJjZA==;EndpointSuffix=x',
      'AccountName=st;AccountKey=[redacted];EndpointSuffix=x',
    ],
    [
      'GET https://st.blob.core.windows.net/c?sv=1&sig=ab%2Bc&se=2',
      'GET https://st.blob.core.windows.net/c?sv=1&sig=[redacted]&se=2',
    ],
    ["refresh_token: 'r-123' expired", 'refresh_token: [redacted] expired'],
  ])('masks %s', (text, expected) => {
    expect(redactText(text)).toBe(expected);
  });

  it('leaves ordinary messages alone', () => {
    for (const text of ['Invalid security token.', 'stop FGVM01: outside office hours (Europe/Berlin)']) {
      expect(redactText(text)).toBe(text);
    }
  });
});

describe('redactDetails', () => {
  it('replaces secret-named values at any depth and masks secrets in strings, keeping tokenStatus', () => {
    expect(
      redactDetails({
        serialNumber: 'FGVM01',
        tokenStatus: 'USED',
        token: 'LICENSE',
        nested: [{ clientSecret: 'x', note: 'Bearer abc' }],
        count: 3,
      }),
    ).toEqual({
      serialNumber: 'FGVM01',
      tokenStatus: 'USED',
      token: '[redacted]',
      nested: [{ clientSecret: '[redacted]', note: 'Bearer [redacted]' }],
      count: 3,
    });
  });
});
