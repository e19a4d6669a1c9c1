import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { request } from 'node:https';
import { describe, expect, it } from 'vitest';
import { createLocalCa, issueServerCertificate } from '../../src/simulator/tls';

function get(url: string, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('simulator TLS', () => {
  it('serves HTTPS that a client trusting the local CA accepts and an untrusting client refuses', async () => {
    const ca = await createLocalCa();
    const server = await issueServerCertificate(ca, ['127.0.0.2', 'localhost']);
    const https = createServer(server, (_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.2', resolve));
    const { port } = https.address() as AddressInfo;
    try {
      expect(await get(`https://127.0.0.2:${port}/`, ca.cert)).toBe('hello');
      await expect(get(`https://127.0.0.2:${port}/`)).rejects.toThrow(/certificate/i);
    } finally {
      await new Promise<void>((resolve) => https.close(() => resolve()));
    }
  });

  it('names its hosts: a server answering on an address the certificate does not list is refused', async () => {
    const ca = await createLocalCa();
    const server = await issueServerCertificate(ca, ['127.0.0.2']);
    const https = createServer(server, (_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.3', resolve));
    const { port } = https.address() as AddressInfo;
    try {
      await expect(get(`https://127.0.0.3:${port}/`, ca.cert)).rejects.toThrow(
        /IP: 127\.0\.0\.3 is not in the cert's list/,
      );
    } finally {
      await new Promise<void>((resolve) => https.close(() => resolve()));
    }
  });
});
