/**
 * Keeps secrets out of stored rows. Callers are expected never to hand secrets to the store; this is the
 * second line of defence for the two ways one could still slip in: a secret-named field in structured
 * details, and a credential quoted inside free text (an error message echoing a request or a header).
 */

/** `tokenStatus` (an entitlement's USED/NOT_USED) is no secret; every other `…token…` key is treated as one. */
const SECRET_KEY =
  /password|secret|token(?!status)|authorization|hmac|signature|credential|connectionstring|accountkey/i;

/**
 * `Bearer <token>`, and `key=value` / `"key": "value"` pairs whose key names a secret (password, client
 * secret, access/refresh token, storage account key, SAS signature).
 */
const SECRET_IN_TEXT =
  /(\bbearer\s+)[A-Za-z0-9\-._~+/]+=*|((?:password|passwd|client_secret|access_token|refresh_token|accountkey|sig)["']?\s*[:=]\s*)(?:"[^"]*"|'[^']*'|[^\s"'&;,}]+)/gi;

/**
 * Replaces values under secret-looking keys, at any depth (bounded), with `[redacted]`, and masks
 * credentials inside the remaining strings.
 */
export function redactDetails(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactDetails(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key,
      SECRET_KEY.test(key) ? '[redacted]' : redactDetails(item, depth + 1),
    ]),
  );
}

/** Masks credentials quoted inside free text, keeping the rest of the message readable. */
export function redactText(text: string): string {
  return text.replace(
    SECRET_IN_TEXT,
    (_match, bearer: string | undefined, key: string | undefined) => `${bearer ?? key ?? ''}[redacted]`,
  );
}
