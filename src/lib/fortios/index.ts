/**
 * Public surface of the FortiOS REST client used to license FortiGate-VMs. Everything outside
 * `src/lib/fortios` imports from here.
 */
export { FortiOsClient, sameSerial, isVmLicenseValid } from './client';
export { FortiOsError, isFortiOsError, type FortiOsErrorCode, type FortiOsErrorDetails } from './errors';
export { normalizeFingerprint, fingerprintOfPem } from './certificates';
export { isLoopback, DEFAULT_PORT, DEFAULT_TIMEOUT_MS } from './options';
export type * from './types';
