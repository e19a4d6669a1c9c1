/**
 * Public surface of the FortiFlex v2 client. Everything outside `src/lib/fortiflex` imports from here.
 */
export {
  FortiFlexClient,
  DEFAULT_API_URL,
  DEFAULT_AUTH_URL,
  type FortiFlexClientOptions,
  type CallOptions,
  type EntitlementScope,
  type EntitlementFilters,
  type ParameterInput,
  type ClientStats,
} from './client';
export {
  type Credentials,
  type CredentialsProvider,
  FORTIFLEX_CLIENT_ID,
  TOKEN_EXPIRY_SKEW_MS,
} from './auth';
export {
  FortiFlexError,
  FortiFlexAuthError,
  FortiFlexRateLimitError,
  FortiFlexApiError,
  FortiFlexResponseError,
  FortiFlexTimeoutError,
  FortiFlexNetworkError,
  FortiFlexAbortError,
  isFortiFlexError,
  redactSecrets,
} from './errors';
export type { FetchLike, FetchInitLike, FetchResponseLike } from './transport';
export { DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limit';
export { DEFAULT_BACKOFF, type BackoffOptions } from './retry';
export { parameterValues, toRequestParameters, requestParametersOf, READ_ONLY_PARAMETER_IDS } from './parse';
export type * from './types';
