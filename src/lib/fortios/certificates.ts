/**
 * Certificate fingerprints for TOFU pinning: SHA-256 of the leaf certificate's DER bytes, written as
 * upper-case hex pairs joined by colons (the form `openssl x509 -fingerprint -sha256` and FortiOS print).
 */
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

/** Formats 32 bytes as `AB:CD:…`. */
function format(hex: string): string {
  return hex.toUpperCase().match(/../g)!.join(':');
}

/**
 * Accepts a SHA-256 fingerprint with or without colons, in any case, and returns the canonical form.
 * Throws a one-line error naming `field` otherwise.
 */
export function normalizeFingerprint(value: string, field: string): string {
  const hex = typeof value === 'string' ? value.trim().replace(/:/g, '') : '';
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new Error(`${field}: expected a SHA-256 certificate fingerprint (64 hex digits, colons optional)`);
  return format(hex);
}

/** The SHA-256 fingerprint of a DER certificate. */
export function fingerprintOfDer(der: Buffer): string {
  return format(createHash('sha256').update(der).digest('hex'));
}

/** The fingerprint of the peer's leaf certificate on a connected TLS socket, or undefined if it sent none. */
export function peerFingerprint(socket: TLSSocket): string | undefined {
  const certificate = socket.getPeerCertificate();
  return certificate && certificate.raw ? fingerprintOfDer(certificate.raw) : undefined;
}

/** The fingerprint of a PEM certificate (the first one in `pem`). */
export function fingerprintOfPem(pem: string): string {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1];
  if (!body) throw new Error('certificate: expected a PEM certificate (-----BEGIN CERTIFICATE-----)');
  return fingerprintOfDer(Buffer.from(body.replace(/\s+/g, ''), 'base64'));
}
