/**
 * Checks and completes {@link FortiOsClientOptions}. Every problem is one line naming the field and the
 * accepted form; values that are secrets (the API key) are never quoted.
 */
import { BlockList, isIP } from 'node:net';
import { normalizeFingerprint } from './certificates';
import type { FortiOsClientOptions, FortiOsTls } from './types';

/** Default request budget: FortiGates answer in well under a second; 10 s as Fortinet's own functions. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Default admin HTTPS port. */
export const DEFAULT_PORT = 443;

/** The TLS check as the transport applies it. */
export type ResolvedTls =
  { mode: 'tofu'; fingerprint: string | undefined } | { mode: 'ca'; ca: string[] } | { mode: 'insecure' };

/** Options with every default filled in. */
export interface ResolvedOptions {
  address: string;
  apiKey: string;
  port: number;
  protocol: 'https' | 'http';
  tls: ResolvedTls;
  timeoutMs: number;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for 127.0.0.0/8 and ::1 (in any spelling, IPv4-mapped forms included). */
export function isLoopback(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Checks a timeout in milliseconds; `field` names it in the error. */
export function checkTimeout(value: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${field}: ${value} is not valid; expected milliseconds > 0`);
  return value;
}

function resolveTls(tls: FortiOsTls | undefined): ResolvedTls {
  if (tls === undefined) return { mode: 'tofu', fingerprint: undefined };
  switch (tls.mode) {
    case 'tofu':
      return {
        mode: 'tofu',
        fingerprint:
          tls.fingerprint === undefined
            ? undefined
            : normalizeFingerprint(tls.fingerprint, 'tls.fingerprint'),
      };
    case 'ca': {
      const list = typeof tls.ca === 'string' ? [tls.ca] : [...tls.ca];
      if (list.length === 0 || list.some((pem) => !pem.includes('-----BEGIN CERTIFICATE-----')))
        throw new Error('tls.ca: expected one or more PEM certificates (-----BEGIN CERTIFICATE-----)');
      return { mode: 'ca', ca: list };
    }
    case 'insecure':
      return { mode: 'insecure' };
    default:
      throw new Error('tls.mode: expected "tofu", "ca" or "insecure"');
  }
}

/** Validates the options and fills in the defaults. */
export function resolveOptions(options: FortiOsClientOptions): ResolvedOptions {
  const address = typeof options.address === 'string' ? options.address.trim() : '';
  if (isIP(address) === 0)
    throw new Error(`address: "${address}" is not an IP address; expected e.g. 10.0.1.4 or fd00::4`);
  if (typeof options.apiKey !== 'string' || !/^[\x21-\x7e]+$/.test(options.apiKey))
    throw new Error('apiKey: expected a non-empty REST API key of printable characters without spaces');
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`port: ${port} is not valid; expected an integer 1..65535`);
  const protocol = options.protocol ?? 'https';
  if (protocol !== 'https' && protocol !== 'http')
    throw new Error(`protocol: "${String(protocol)}" is not valid; expected "https" or "http"`);
  if (protocol === 'http' && !isLoopback(address))
    throw new Error(
      `protocol: "http" is accepted only for loopback addresses (127.0.0.0/8, ::1); ${address} needs "https"`,
    );
  return {
    address,
    apiKey: options.apiKey,
    port,
    protocol,
    tls: resolveTls(options.tls),
    timeoutMs: checkTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs'),
  };
}
