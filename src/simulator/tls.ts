/**
 * TLS material for the simulators. The Azure SDK refuses bearer tokens over plain HTTP, and FortiGates serve
 * their admin API over HTTPS, so the ARM and FortiGate simulators listen with certificates issued here by a
 * local certificate authority generated at start-up. Clients trust that authority per client (`ca`) or per
 * process (`NODE_EXTRA_CA_CERTS`, read by Node only at start-up, so it must point at a file written earlier).
 */
import { writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import selfsigned from 'selfsigned';

/** A certificate and its private key, both PEM. */
export interface KeyPair {
  cert: string;
  key: string;
}

const VALIDITY_MS = 7 * 24 * 3600_000;

function attributes(commonName: string): { name: string; value: string }[] {
  return [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'fortiflex-scaler simulator' },
  ];
}

/** Generates a local certificate authority that can sign simulator server certificates. */
export async function createLocalCa(commonName = 'fortiflex-scaler simulator CA'): Promise<KeyPair> {
  const notBeforeDate = new Date(Date.now() - 3600_000);
  const result = await selfsigned.generate(attributes(commonName), {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + VALIDITY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: result.cert, key: result.private };
}

/**
 * Issues a server certificate signed by `ca` for `hosts` (IP addresses and DNS names, e.g. `127.0.0.2`,
 * `localhost`); the first host is the common name.
 */
export async function issueServerCertificate(ca: KeyPair, hosts: readonly string[]): Promise<KeyPair> {
  if (hosts.length === 0) throw new Error('issueServerCertificate: at least one host is required');
  const notBeforeDate = new Date(Date.now() - 3600_000);
  const result = await selfsigned.generate(attributes(hosts[0]!), {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + VALIDITY_MS),
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: hosts.map((host) => (isIP(host) ? { type: 7, ip: host } : { type: 2, value: host })),
      },
    ],
  });
  return { cert: result.cert, key: result.private };
}

/** Writes the authority's certificate to `path` so other processes can trust it via `NODE_EXTRA_CA_CERTS`. */
export async function writeCaCertificate(ca: KeyPair, path: string): Promise<void> {
  await writeFile(path, ca.cert, { mode: 0o644 });
}
